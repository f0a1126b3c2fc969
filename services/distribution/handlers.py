"""Distribution use cases: venues, the change log and its fan-out, subscriptions,
the inbox and feedback. Each runs in the caller's transaction and records its events
through the outbox there.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from events.outbox import Outbox
from events.schemas.distribution import (
    PushFeedbackGiven, SubscriptionCreated, SubscriptionDeleted, SubscriptionUpdated, VenueDeleted, VenueDisabled,
    VenueRegistered, VenueSecretRotated, VenueUpdated,
)
from services.runtime.access import Principal
from services.distribution import domain, targets
from services.distribution.event_types import OPT_IN
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
                         filter: dict, event_types: list[str] = (), rate_limit_per_s: float | None = None,
                         *, allow_private: bool = False) -> tuple[asyncpg.Record, str]:
    me.require_self(org_id, "its venues")
    kind = me.kind if me.org_id == org_id else await repo.org_kind(conn, org_id)
    if kind != "venue":
        raise ValidationFailed([FieldError("org_id", f"{org_id} is not a venue organisation")])
    if url is not None:
        await targets.check_url(url, allow_private=allow_private)
    venue_id, secret = new_id("ven"), webhooks.new_secret()
    flt = domain.Filter.of(filter).as_dict()
    await repo.insert_endpoint(conn, venue_id, "venue", org_id, url, secret)
    await repo.insert_venue(conn, venue_id, org_id, flt)
    await repo.update_venue(conn, venue_id, None, list(event_types))
    if rate_limit_per_s is not None:
        await repo.update_endpoint(conn, venue_id, {"rate_limit_per_s": rate_limit_per_s})
    await OUTBOX.record(conn, venue_id, VenueRegistered(venue_id=venue_id, org_id=org_id, webhook_url=url, filter=flt))
    return await repo.get_venue(conn, venue_id), secret


async def update_venue(conn: asyncpg.Connection, me: Principal, venue_id: str, changes: dict, *,
                       allow_private: bool = False) -> asyncpg.Record:
    """What the venue changed takes effect for the next change (filters are read when a
    change is appended, the URL and rate when a delivery is sent)."""
    row = await load_venue(conn, me, venue_id)
    if changes.get("webhook_url") is not None:
        await targets.check_url(changes["webhook_url"], allow_private=allow_private)
    flt = domain.Filter.of(changes["filter"]).as_dict() if "filter" in changes else None
    await repo.update_venue(conn, venue_id, flt, changes.get("event_types"))
    endpoint = {k: v for k, v in (("url", changes.get("webhook_url", ...)),
                                  ("rate_limit_per_s", changes.get("rate_limit_per_s", ...)),
                                  ("enabled", changes.get("enabled", ...))) if v is not ...}
    await repo.update_endpoint(conn, venue_id, endpoint)
    after = await repo.get_venue(conn, venue_id)
    await OUTBOX.record(conn, venue_id, VenueUpdated(
        venue_id=venue_id, org_id=row["org_id"], changed=sorted(changes), webhook_url=after["webhook_url"],
        filter=after["filter"], event_types=list(after["event_types"]),
        rate_limit_per_s=float(after["rate_limit_per_s"]) if after["rate_limit_per_s"] is not None else None))
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return after


async def delete_venue(conn: asyncpg.Connection, me: Principal, venue_id: str) -> int:
    """Deleted: nothing more is queued or sent to it; returns how many pending deliveries were dropped."""
    row = await load_venue(conn, me, venue_id)
    dropped = await repo.delete_endpoint(conn, venue_id)
    await OUTBOX.record(conn, venue_id, VenueDeleted(venue_id=venue_id, org_id=row["org_id"],
                                                     dropped_deliveries=dropped))
    return dropped


async def disabled(conn: asyncpg.Connection, endpoint: asyncpg.Record, reason: str) -> None:
    """An endpoint was disabled (by the delivery worker): an event, and a notice in its
    owner's inbox saying what happened and how to turn it back on."""
    kind = endpoint["kind"]
    how = (f"PATCH /v1/venues/{endpoint['id']} {{\"enabled\": true}}" if kind == "venue"
           else f"PATCH /v1/subscriptions/{endpoint['id']} {{\"webhook_url\": …}}")
    await repo.insert_notice(conn, new_id("psh"), endpoint["owner_org_id"], {
        "topic": "endpoint_disabled", "endpoint_id": endpoint["id"], "endpoint_kind": kind, "reason": reason,
        "message": f"Deliveries to {endpoint['url']} stopped: {reason}. Fix the receiver, then {how}; "
                   "POST /v1/venues/{id}/recover re-sends what failed meanwhile."})
    await OUTBOX.record(conn, endpoint["id"], VenueDisabled(
        venue_id=endpoint["id"], endpoint_kind=kind, org_id=endpoint["owner_org_id"], reason=reason,
        disabled_at=endpoint["disabled_at"]))


async def load_venue(conn: asyncpg.Connection, me: Principal, venue_id: str) -> asyncpg.Record:
    """A venue, seen by the organisation that runs it (not under a mandate) and the operator."""
    row = await repo.get_venue(conn, venue_id)
    if row is None or not (me.is_operator or (me.org_id == row["org_id"] and me.acting_for is None)):
        raise NotFound(f"no venue {venue_id}")
    return row


async def rotate_secret(conn: asyncpg.Connection, me: Principal, venue_id: str,
                        overlap_s: float) -> tuple[str, datetime | None]:
    """A new secret, and until when the old one still signs beside it (Standard Webhooks:
    several signatures, any one valid), so a receiver can switch without losing a message."""
    row = await load_venue(conn, me, venue_id)
    secret = webhooks.new_secret()
    # Deliveries not yet sent are signed when they go: the worker reads the secrets then.
    until = await repo.rotate_secret(conn, venue_id, secret, overlap_s)
    await OUTBOX.record(conn, venue_id, VenueSecretRotated(venue_id=venue_id, org_id=row["org_id"]))
    return secret, until


async def retry_delivery(conn: asyncpg.Connection, me: Principal, venue_id: str, delivery_id: str) -> asyncpg.Record:
    await load_venue(conn, me, venue_id)
    d = await repo.get_delivery(conn, venue_id, delivery_id)
    if d is None:
        raise NotFound(f"no delivery {delivery_id} for venue {venue_id}")
    if d["status"] == "pending":
        raise Conflict(f"delivery {delivery_id} is still being tried", rule="delivery-pending")
    await repo.resume(conn, venue_id)
    return await repo.requeue(conn, venue_id, delivery_id)


async def recover(conn: asyncpg.Connection, me: Principal, venue_id: str, since: datetime,
                  until: datetime | None) -> int:
    """Re-send what failed (was dead-lettered) in [since, until), same webhook-ids."""
    await load_venue(conn, me, venue_id)
    if until is not None and until <= since:
        raise ValidationFailed([FieldError("until", "must be after since")])
    await repo.resume(conn, venue_id)
    n = await repo.requeue_failed(conn, venue_id, since, until)
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return n


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
    opt_in = change.change_type in OPT_IN
    rows = [(new_id("msg"), v["id"], change.subject, row["seq"], change.change_type, body)
            for v in await repo.webhook_venues(conn)
            if (not opt_in or change.change_type in v["event_types"]) and domain.Filter.of(v["filter"]).matches(a)]
    await repo.insert_deliveries(conn, rows)
    if new_supply:
        await repo.insert_match_job(conn, change.subject, row["seq"], change.snapshot)
    if rows or new_supply:
        await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return row


async def feed(conn: asyncpg.Connection, flt: domain.Filter | None, after: int, limit: int,
               scan_limit: int = 5000, opted_in: frozenset[str] | None = None) -> tuple[list[asyncpg.Record], int]:
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
            if opted_in is not None and r["change_type"] in OPT_IN and r["change_type"] not in opted_in:
                continue
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
                    webhook_url: str | None, *, allow_private: bool = False) -> tuple[asyncpg.Record, str | None]:
    if webhook_url is not None:
        await targets.check_url(webhook_url, allow_private=allow_private)
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


async def load_subscription(conn: asyncpg.Connection, me: Principal, subscription_id: str) -> asyncpg.Record:
    row = await repo.get_subscription(conn, subscription_id)
    if row is None or not me.acts_as(row["org_id"]):
        raise NotFound(f"no subscription {subscription_id}")
    return row


async def update_subscription(conn: asyncpg.Connection, me: Principal, subscription_id: str, changes: dict, *,
                              allow_private: bool = False) -> asyncpg.Record:
    row = await load_subscription(conn, me, subscription_id)
    if "webhook_url" in changes:
        if row["channel"] != "webhook":
            raise ValidationFailed([FieldError("webhook_url", "only for channel webhook")])
        if changes["webhook_url"] is None:
            raise ValidationFailed([FieldError("webhook_url", "required for channel webhook")])
        await targets.check_url(changes["webhook_url"], allow_private=allow_private)
        await repo.update_endpoint(conn, subscription_id, {"url": changes["webhook_url"], "enabled": True})
    flt = domain.Filter.of(changes["filter"]).as_dict() if "filter" in changes else None
    query = changes.get("query")
    query = query.strip() if query else None
    after_filter = flt if flt is not None else row["filter"]
    after_query = query if "query" in changes else row["query"]
    if domain.Filter.of(after_filter) == domain.Filter() and not after_query:
        raise ValidationFailed([FieldError("filter", "give a filter or a query: a subscription to everything "
                                                     "is what a venue's feed is for")])
    await repo.update_subscription(conn, subscription_id, flt, query, "query" in changes, changes.get("active"))
    after = await repo.get_subscription(conn, subscription_id)
    await OUTBOX.record(conn, subscription_id, SubscriptionUpdated(
        subscription_id=subscription_id, org_id=row["org_id"], filter=after["filter"], query=after["query"],
        active=after["active"]))
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return after


async def delete_subscription(conn: asyncpg.Connection, me: Principal, subscription_id: str) -> None:
    """Nothing more is pushed for it; a webhook's pending deliveries are dropped."""
    row = await load_subscription(conn, me, subscription_id)
    await repo.delete_subscription(conn, subscription_id)
    if row["channel"] == "webhook":
        await repo.delete_endpoint(conn, subscription_id)
    await OUTBOX.record(conn, subscription_id, SubscriptionDeleted(subscription_id=subscription_id,
                                                                   org_id=row["org_id"]))
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


# -- inbox and feedback ----------------------------------------------------------------------
async def load_push(conn: asyncpg.Connection, me: Principal, push_id: str) -> asyncpg.Record:
    row = await repo.get_push(conn, push_id)
    if row is None or not me.acts_as(row["org_id"]):
        raise NotFound(f"no inbox item {push_id}")
    return row


async def give_feedback(conn: asyncpg.Connection, me: Principal, push_id: str, interest_level: int, cooperation: str,
                        comment: str | None) -> asyncpg.Record:
    push = await load_push(conn, me, push_id)
    if push["kind"] != "push":
        raise Conflict(f"{push_id} is a notice, not a pushed listing: there is no owner to answer",
                       rule="not-a-pushed-listing")
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
