"""Auctions' read models — listings (what may be auctioned, by whom) and organisations
(the winner's country, for export review) — and its reactions to the patent register:
its decisions on lots, and patents that left force."""

from __future__ import annotations

import asyncpg

from events.consumer import Subscription
from events.envelope import CloudEvent
from events.registry import registered_types
from events.schemas.financing import PledgeDisposalRequested
from events.schemas.platform import OrgRegistered
from events.topics import Topic
from events.schemas.register import PatentLegalStatusChanged, ReservationGranted, ReservationRefused
from services.auctions import handlers
from services.auctions import repository as repo


async def on_listing_changed(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    s = e.listing
    await repo.upsert_listing(conn, s.listing_id, s.owner_org_id, s.kind, s.status, s.title, list(s.modes),
                              event.sequence, s.model_dump(mode="json"))


async def on_reservation_decided(conn: asyncpg.Connection, event: CloudEvent,
                                 e: ReservationGranted | ReservationRefused) -> None:
    if e.kind == "auction":
        await handlers.on_reservation_decided(conn, e)


async def on_legal_status_changed(conn: asyncpg.Connection, event: CloudEvent, e: PatentLegalStatusChanged) -> None:
    if e.legal_status in ("lapsed", "expired", "invalidated"):
        await handlers.cancel_for_patent(conn, e.patent_id, e.legal_status)


async def on_disposal_requested(conn: asyncpg.Connection, event: CloudEvent, e: PledgeDisposalRequested) -> None:
    await handlers.create_disposal(conn, e)


async def on_org_registered(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.country)


LISTING_EVENTS = sorted(t for t in registered_types() if t.startswith("psm.listing."))

SUBSCRIPTIONS = [
    Subscription(name="auctions.listings", schema="auctions", topics=[Topic.LISTINGS], handlers={
        **{t: on_listing_changed for t in LISTING_EVENTS},
        ReservationGranted.TYPE: on_reservation_decided,
        ReservationRefused.TYPE: on_reservation_decided,
        PatentLegalStatusChanged.TYPE: on_legal_status_changed,
    }),
    Subscription(name="auctions.orgs", schema="auctions", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org_registered}),
    Subscription(name="auctions.disposals", schema="auctions", topics=[Topic.FINANCING],
                 handlers={PledgeDisposalRequested.TYPE: on_disposal_requested}),
]
