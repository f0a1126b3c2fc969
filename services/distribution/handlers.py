"""Distribution use cases: venues, the change log and its fan-out, subscriptions,
the inbox and feedback. Each runs in the caller's transaction and records its events
through the outbox there.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from events.outbox import Outbox
from events.schemas.distribution import (
    PushFeedbackGiven, SubscriptionCreated, VenueRegistered, VenueSecretRotated,
)
from services.runtime.access import Principal
from services.distribution import domain
from services.distribution.messages import change_of
from services.distribution import repository as repo
from services.runtime.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from services.runtime import webhooks
from services.runtime.ids import new_id

OUTBOX = Outbox(schema="distribution", source="/psm/distribution")
NOTIFY_CHANNEL = "psm_distribution_deliveries"


# -- views -------------------------------------------------------------------------------
# -- venues ------------------------------------------------------------------------------
async def register_venue(conn: asyncpg.Connection, me: Principal, org_id: str, url: str | None,
                         filter: dict) -> tuple[asyncpg.Record, str]:
    me.require_self(org_id, "its venues")
    kind = me.kind if me.org_id == org_id else await repo.org_kind(conn, org_id)
    if kind != "venue":
        raise ValidationFailed([FieldError("org_id", f"{org_id} is not a venue organisation")])
    venue_id, secret = new_id("ven"), webhooks.new_secret()
    flt = domain.Filter.of(filter).as_dict()
    await repo.insert_endpoint(conn, venue_id, "venue", org_id, url, secret)
    await repo.insert_venue(conn, venue_id, org_id, flt)
    await OUTBOX.record(conn, venue_id, VenueRegistered(venue_id=venue_id, org_id=org_id, webhook_url=url, filter=flt))
    return await repo.get_venue(conn, venue_id), secret


async def load_venue(conn: asyncpg.Connection, me: Principal, venue_id: str) -> asyncpg.Record:
    """A venue, seen by the organisation that runs it (not under a mandate) and the operator."""
    row = await repo.get_venue(conn, venue_id)
    if row is None or not (me.is_operator or (me.org_id == row["org_id"] and me.acting_for is None)):
        raise NotFound(f"no venue {venue_id}")
    return row


async def rotate_secret(conn: asyncpg.Connection, me: Principal, venue_id: str) -> str:
    row = await load_venue(conn, me, venue_id)
    secret = webhooks.new_secret()
    # Deliveries not yet sent are signed with the new secret when they go: the worker
    # reads the secret at send time.
    await repo.set_secret(conn, venue_id, secret)
    await OUTBOX.record(conn, venue_id, VenueSecretRotated(venue_id=venue_id, org_id=row["org_id"]))
    return secret


async def retry_delivery(conn: asyncpg.Connection, me: Principal, venue_id: str, delivery_id: str) -> asyncpg.Record:
    await load_venue(conn, me, venue_id)
    d = await repo.get_delivery(conn, venue_id, delivery_id)
    if d is None:
        raise NotFound(f"no delivery {delivery_id} for venue {venue_id}")
    if d["status"] == "pending":
        raise Conflict(f"delivery {delivery_id} is still being tried", rule="delivery-pending")
    await repo.resume(conn, venue_id)
    return await repo.requeue(conn, venue_id, delivery_id)


async def replay(conn: asyncpg.Connection, me: Principal, venue_id: str, since: datetime, statuses: list[str]) -> int:
    await load_venue(conn, me, venue_id)
    await repo.resume(conn, venue_id)
    return await repo.requeue_since(conn, venue_id, since, statuses)


# -- the change log ------------------------------------------------------------------------
async def append_change(conn: asyncpg.Connection, event_id: str, change: domain.Change, *,
                        new_supply: bool = False) -> asyncpg.Record:
    """Append ``change`` to the log and queue it for every venue whose filter it matches,
    in the consumer's transaction: the change, its deliveries and the consumed event's
    record commit together, or none of them does."""
    a = change.attributes
    row = await repo.append_change(
        conn, subject=change.subject, change_type=change.change_type, event_id=event_id,
        attributes={"type": a.type, "industry": a.industry, "region": a.region, "stage": a.stage,
                    "modes": list(a.modes), "ipc": list(a.ipc)},
        snapshot=change.snapshot, occurred_at=change.occurred_at)
    body = domain.webhook_body(change.change_type, change.occurred_at, change_of(row).model_dump(mode="json"))
    rows = [(new_id("msg"), v["id"], change.subject, row["seq"], change.change_type, body)
            for v in await repo.webhook_venues(conn) if domain.Filter.of(v["filter"]).matches(a)]
    await repo.insert_deliveries(conn, rows)
    if new_supply:
        await repo.insert_match_job(conn, change.subject, row["seq"], change.snapshot)
    if rows or new_supply:
        await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return row


async def feed(conn: asyncpg.Connection, flt: domain.Filter | None, after: int, limit: int,
               scan_limit: int = 5000) -> tuple[list[asyncpg.Record], int]:
    """Up to ``limit`` changes after ``after`` that match ``flt``, and where to resume.

    The log is read in order in chunks; at most ``scan_limit`` rows per request, so a
    narrow filter over a long log answers quickly (with fewer items and a cursor further
    on) instead of scanning it all.
    """
    items: list[asyncpg.Record] = []
    position, scanned = after, 0
    while len(items) < limit and scanned < scan_limit:
        chunk = await repo.changes_after(conn, position, min(1000, scan_limit - scanned))
        if not chunk:
            break
        for r in chunk:
            position = r["seq"]
            scanned += 1
            if flt is None or flt.matches(attributes_of(r["attributes"])):
                items.append(r)
                if len(items) == limit:
                    break
    return items, position


def attributes_of(raw: dict) -> domain.Attributes:
    return domain.Attributes(type=raw["type"], industry=raw.get("industry"), region=raw.get("region"),
                             stage=raw.get("stage"), modes=tuple(raw.get("modes") or ()),
                             ipc=tuple(raw.get("ipc") or ()))


# -- subscriptions ---------------------------------------------------------------------------
async def subscribe(conn: asyncpg.Connection, me: Principal, filter: dict, query: str | None, channel: str,
                    webhook_url: str | None) -> tuple[asyncpg.Record, str | None]:
    if channel == "webhook" and webhook_url is None:
        raise ValidationFailed([FieldError("webhook_url", "required for channel webhook")])
    if channel == "inbox" and webhook_url is not None:
        raise ValidationFailed([FieldError("webhook_url", "only for channel webhook")])
    flt = domain.Filter.of(filter)
    query = query.strip() if query else None
    if flt == domain.Filter() and not query:
        raise ValidationFailed([FieldError("filter", "give a filter or a query: a subscription to everything "
                                                     "is what a venue's feed is for")])
    org = me.effective_org_id
    sub_id = new_id("sub")
    secret = None
    if channel == "webhook":
        secret = webhooks.new_secret()
        await repo.insert_endpoint(conn, sub_id, "subscription", org, webhook_url, secret)
    row = await repo.insert_subscription(conn, sub_id, org, flt.as_dict(), query, channel)
    await OUTBOX.record(conn, sub_id, SubscriptionCreated(subscription_id=sub_id, org_id=org, channel=channel,
                                                   filter=flt.as_dict(), query=query))
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return row, secret


# -- inbox and feedback ----------------------------------------------------------------------
async def load_push(conn: asyncpg.Connection, me: Principal, push_id: str) -> asyncpg.Record:
    row = await repo.get_push(conn, push_id)
    if row is None or not me.acts_as(row["org_id"]):
        raise NotFound(f"no inbox item {push_id}")
    return row


async def give_feedback(conn: asyncpg.Connection, me: Principal, push_id: str, interest_level: int, cooperation: str,
                        comment: str | None) -> asyncpg.Record:
    push = await load_push(conn, me, push_id)
    listing = await repo.get_listing(conn, push["listing_id"])
    owner = listing["owner_org_id"] if listing else push["listing"]["owner_org_id"]
    row = await repo.insert_feedback(conn, push_id, push["listing_id"], owner, push["org_id"], interest_level,
                                     cooperation, comment)
    if row is None:
        raise Conflict(f"feedback on {push_id} was already given", rule="feedback-already-given")
    await OUTBOX.record(conn, push["listing_id"], PushFeedbackGiven(
        push_id=push_id, listing_id=push["listing_id"], listing_owner_org_id=owner, from_org_id=push["org_id"],
        interest_level=interest_level, cooperation=cooperation, comment=comment))
    return row


async def feedback_for_owner(conn: asyncpg.Connection, me: Principal, listing_id: str) -> None:
    listing = await repo.get_listing(conn, listing_id)
    if listing is None:
        raise NotFound(f"no listing {listing_id}")
    if not me.acts_as(listing["owner_org_id"]):
        raise Forbidden("push feedback is for the listing's owner", rule="not-owner")
