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
from services.distribution import repository as repo
from services.distribution.models import (
    Change, Delivery, FeedbackCreate, Push, PushFeedback, Subscription, SubscriptionCreate, Venue, VenueCreate,
)
from services.runtime.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from services.runtime.http.pagination import encode_cursor
from services.runtime.ids import new_id

OUTBOX = Outbox(schema="distribution", source="/psm/distribution")
NOTIFY_CHANNEL = "psm_distribution_deliveries"


# -- views -------------------------------------------------------------------------------
def venue_view(r: asyncpg.Record) -> Venue:
    return Venue(id=r["id"], org_id=r["org_id"], webhook_url=r["webhook_url"], filter=r["filter"],
                 paused_until=r["paused_until"], consecutive_failures=r["consecutive_failures"],
                 created_at=r["created_at"])


def change_view(r: asyncpg.Record) -> Change:
    return Change(cursor=encode_cursor([r["seq"]]), seq=r["seq"], subject=r["subject"], type=r["change_type"],
                  entity_type=r["attributes"]["type"], snapshot=r["snapshot"], occurred_at=r["occurred_at"])


def delivery_view(r: asyncpg.Record) -> Delivery:
    return Delivery(id=r["id"], endpoint_id=r["endpoint_id"], subject=r["subject"], change_type=r["change_type"],
                    status=r["status"], attempts=r["attempts"],
                    next_attempt_at=r["next_attempt_at"] if r["status"] == "pending" else None,
                    last_error=r["last_error"], last_status=r["last_status"], latency_ms=r["latency_ms"],
                    created_at=r["created_at"], delivered_at=r["delivered_at"])


def subscription_view(r: asyncpg.Record, secret: str | None = None) -> Subscription:
    return Subscription(id=r["id"], org_id=r["org_id"], filter=r["filter"], query=r["query"], channel=r["channel"],
                        active=r["active"], created_at=r["created_at"], secret=secret)


def push_view(r: asyncpg.Record) -> Push:
    return Push(id=r["id"], listing_id=r["listing_id"], listing=r["listing"], subscription_ids=list(r["subscription_ids"]),
                channel=r["channel"], read_at=r["read_at"], created_at=r["created_at"])


def feedback_view(r: asyncpg.Record) -> PushFeedback:
    return PushFeedback(push_id=r["push_id"], listing_id=r["listing_id"], from_org_id=r["from_org_id"],
                        interest_level=r["interest_level"], cooperation=r["cooperation"], comment=r["comment"],
                        created_at=r["created_at"])


# -- venues ------------------------------------------------------------------------------
async def register_venue(conn: asyncpg.Connection, me: Principal, b: VenueCreate) -> tuple[asyncpg.Record, str]:
    me.require_self(b.org_id, "its venues")
    kind = me.kind if me.org_id == b.org_id else await repo.org_kind(conn, b.org_id)
    if kind != "venue":
        raise ValidationFailed([FieldError("org_id", f"{b.org_id} is not a venue organisation (one registered a "
                                                     "moment ago may not have reached distribution yet)")])
    venue_id, secret = new_id("ven"), domain.new_secret()
    flt = domain.Filter.of(b.filter.model_dump()).as_dict()
    url = str(b.webhook_url) if b.webhook_url else None
    await repo.insert_endpoint(conn, venue_id, "venue", b.org_id, url, secret)
    await repo.insert_venue(conn, venue_id, b.org_id, flt)
    await OUTBOX.record(conn, venue_id, VenueRegistered(venue_id=venue_id, org_id=b.org_id, webhook_url=url, filter=flt))
    return await repo.get_venue(conn, venue_id), secret


async def load_venue(conn: asyncpg.Connection, me: Principal, venue_id: str) -> asyncpg.Record:
    """A venue, seen by the organisation that runs it (not under a mandate) and the operator."""
    row = await repo.get_venue(conn, venue_id)
    if row is None or not (me.is_operator or (me.org_id == row["org_id"] and me.acting_for is None)):
        raise NotFound(f"no venue {venue_id}")
    return row


async def rotate_secret(conn: asyncpg.Connection, me: Principal, venue_id: str) -> str:
    row = await load_venue(conn, me, venue_id)
    secret = domain.new_secret()
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
    body = domain.webhook_body(change.change_type, change.occurred_at, change_view(row).model_dump(mode="json"))
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
async def subscribe(conn: asyncpg.Connection, me: Principal, b: SubscriptionCreate) -> tuple[asyncpg.Record, str | None]:
    if b.channel == "webhook" and b.webhook_url is None:
        raise ValidationFailed([FieldError("webhook_url", "required for channel webhook")])
    if b.channel == "inbox" and b.webhook_url is not None:
        raise ValidationFailed([FieldError("webhook_url", "only for channel webhook")])
    flt = domain.Filter.of(b.filter.model_dump())
    query = b.query.strip() if b.query else None
    if flt == domain.Filter() and not query:
        raise ValidationFailed([FieldError("filter", "give a filter or a query: a subscription to everything "
                                                     "is what a venue's feed is for")])
    org = me.effective_org_id
    sub_id = new_id("sub")
    secret = None
    if b.channel == "webhook":
        secret = domain.new_secret()
        await repo.insert_endpoint(conn, sub_id, "subscription", org, str(b.webhook_url), secret)
    row = await repo.insert_subscription(conn, sub_id, org, flt.as_dict(), query, b.channel)
    await OUTBOX.record(conn, sub_id, SubscriptionCreated(subscription_id=sub_id, org_id=org, channel=b.channel,
                                                   filter=flt.as_dict(), query=query))
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return row, secret


# -- inbox and feedback ----------------------------------------------------------------------
async def load_push(conn: asyncpg.Connection, me: Principal, push_id: str) -> asyncpg.Record:
    row = await repo.get_push(conn, push_id)
    if row is None or not me.acts_as(row["org_id"]):
        raise NotFound(f"no inbox item {push_id}")
    return row


async def give_feedback(conn: asyncpg.Connection, me: Principal, push_id: str, b: FeedbackCreate) -> asyncpg.Record:
    push = await load_push(conn, me, push_id)
    listing = await repo.get_listing(conn, push["listing_id"])
    owner = listing["owner_org_id"] if listing else push["listing"]["owner_org_id"]
    row = await repo.insert_feedback(conn, push_id, push["listing_id"], owner, push["org_id"], b.interest_level,
                                     b.cooperation, b.comment)
    if row is None:
        raise Conflict(f"feedback on {push_id} was already given", rule="feedback-already-given")
    await OUTBOX.record(conn, push["listing_id"], PushFeedbackGiven(
        push_id=push_id, listing_id=push["listing_id"], listing_owner_org_id=owner, from_org_id=push["org_id"],
        interest_level=b.interest_level, cooperation=b.cooperation, comment=b.comment))
    return row


async def feedback_for_owner(conn: asyncpg.Connection, me: Principal, listing_id: str) -> None:
    listing = await repo.get_listing(conn, listing_id)
    if listing is None:
        raise NotFound(f"no listing {listing_id}")
    if not me.acts_as(listing["owner_org_id"]):
        raise Forbidden("push feedback is for the listing's owner", rule="not-owner")
