"""Catalogue-relevant events → the change log (and, from there, every venue's queue).

The consumer framework applies each aggregate's events once and in order, inside a
transaction that also records the event; ``handlers.append_change`` writes the change
and its deliveries in that same transaction, so a crash anywhere between the event and
the deliveries loses nothing and duplicates nothing (the event is replayed whole).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from events.consumer import BATCHED, Subscription
from events.envelope import CloudEvent
from events.registry import registered_types
from events.schemas.auctions import AuctionClosed, AuctionExtended, AuctionScheduled, AuctionSettled, BidAccepted
from events.schemas.licences import OpenLicenceDeclared, OpenLicenceWithdrawn
from events.schemas.listings import ListingPublished
from events.schemas.platform import OrgRegistered
from events.topics import Topic
from services.distribution import domain, handlers
from services.distribution.event_types import OPT_IN
from services.distribution import repository as repo

# Listing events that change what the catalogue shows (a draft's events do not).
LISTING_CHANGES = ("published", "updated", "withdrawn", "reserved", "released", "sold", "expired")


def listing_attributes(s: dict) -> domain.Attributes:
    return domain.Attributes(
        type="listing" if s["kind"] == "supply" else "demand", industry=s.get("industry"), region=s.get("region"),
        stage=s.get("stage"), modes=tuple(s.get("modes") or ()),
        ipc=tuple(dict.fromkeys(i for p in s.get("patents") or () for i in p.get("ipc") or ())))


async def on_listing(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    s = e.listing.model_dump(mode="json")
    await repo.upsert_listing(conn, s["listing_id"], s["owner_org_id"], s)
    if s["status"] == "draft":
        return
    new_supply = event.type == ListingPublished.TYPE and s["kind"] == "supply"
    data = {k: v for k, v in e.model_dump(mode="json").items() if k != "listing"}
    snapshot = {**s, **({"event": data} if data else {})}
    await handlers.append_change(conn, event.id, domain.Change(
        subject=s["listing_id"], change_type=event.type, attributes=listing_attributes(s), snapshot=snapshot,
        occurred_at=event.time), new_supply=new_supply)


async def on_open_licence(conn: asyncpg.Connection, event: CloudEvent, e: OpenLicenceDeclared | OpenLicenceWithdrawn) -> None:
    snapshot = e.model_dump(mode="json")
    ipc = tuple(e.patent.ipc) if e.patent else ()
    await handlers.append_change(conn, event.id, domain.Change(
        subject=e.declaration_id, change_type=event.type, attributes=domain.Attributes(type="open_licence", ipc=ipc),
        snapshot=snapshot, occurred_at=event.time))


async def on_auctions(conn: asyncpg.Connection, events: Sequence[tuple[CloudEvent, Any]]) -> None:
    """A transaction's auction events, in order. Bids come by the hundred a second in a
    contested auction: the log keeps them (and the other opt-in types) only once a venue
    wants them (from then on; the live WebSocket has the rest) — asked once per batch."""
    wanted = await repo.opted_in(conn, {event.type for event, _ in events} & OPT_IN)
    for event, e in events:
        if event.type not in OPT_IN or event.type in wanted:
            await on_auction(conn, event, e)


async def on_auction(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    # Filtered by its lot's listing (industry, region, …): the listing's events come on
    # another topic, so the lot may not be known yet; then only type filters apply.
    listing = await repo.get_listing(conn, e.listing_id)
    lot = listing["snapshot"] if listing else None
    a = listing_attributes(lot) if lot else domain.Attributes(type="auction")
    a = domain.Attributes(type="auction", industry=a.industry, region=a.region, stage=a.stage, modes=a.modes, ipc=a.ipc)
    await handlers.append_change(conn, event.id, domain.Change(
        subject=e.auction_id, change_type=event.type, attributes=a,
        snapshot={**e.model_dump(mode="json"), "lot": lot}, occurred_at=event.time))


async def on_roadshow(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    r = e.roadshow.model_dump(mode="json")
    await handlers.append_change(conn, event.id, domain.Change(
        subject=r["roadshow_id"], change_type=event.type, attributes=domain.Attributes(type="roadshow"),
        snapshot={**e.model_dump(mode="json")}, occurred_at=event.time))


async def on_org(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.name)


def _roadshow_handlers() -> dict:
    # The roadshows context is young: follow whichever of its public changes exist.
    known = registered_types()
    return {t: on_roadshow for t in ("psm.roadshow.published.v1", "psm.roadshow.rescheduled.v1",
                                     "psm.roadshow.cancelled.v1") if t in known}


SUBSCRIPTIONS = [
    Subscription(name="distribution.listings", schema="distribution", topics=[Topic.LISTINGS], handlers={
        f"psm.listing.{verb}.v1": on_listing for verb in LISTING_CHANGES}),
    Subscription(name="distribution.licences", schema="distribution", topics=[Topic.LICENCES], handlers={
        OpenLicenceDeclared.TYPE: on_open_licence, OpenLicenceWithdrawn.TYPE: on_open_licence}),
    Subscription(name="distribution.auctions", schema="distribution", topics=[Topic.AUCTIONS], handlers={
        AuctionScheduled.TYPE: BATCHED, AuctionClosed.TYPE: BATCHED,
        # Auction activity, for venues that opt in (services/distribution/event_types.py).
        BidAccepted.TYPE: BATCHED, AuctionExtended.TYPE: BATCHED, AuctionSettled.TYPE: BATCHED},
        on_batch=on_auctions),
    Subscription(name="distribution.roadshows", schema="distribution", topics=[Topic.ROADSHOWS],
                 handlers=_roadshow_handlers()),
    Subscription(name="distribution.orgs", schema="distribution", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org}),
]
