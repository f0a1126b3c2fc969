"""Listings' reactions to other contexts' events (read models and reservations)."""

from __future__ import annotations

import asyncpg

from events.consumer import Subscription
from events.envelope import CloudEvent
from events.schemas.auctions import (
    AuctionClosed, AuctionDefaulted, AuctionScheduled, AuctionSettled, ExportReviewDecided,
)
from events.schemas.licences import LicenceGranted, LicenceTerminated, OpenLicenceDeclared, OpenLicenceWithdrawn
from events.schemas.platform import OrgRegistered
from events.topics import Topic
from services.listings import handlers
from services.listings import repository as repo


async def on_org_registered(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.sub_kind, e.name)
    # Anything the organisation published before this event reached us went out
    # without its owner's kind and name: announce it again, complete.
    await handlers.refresh_owner(conn, e.org_id)


async def on_open_licence_declared(conn: asyncpg.Connection, event: CloudEvent, e: OpenLicenceDeclared) -> None:
    await repo.add_encumbrance(conn, e.patent_id, "open_licence", e.declaration_id, event.time)
    await handlers.refresh_listings_of_patent(conn, e.patent_id)


async def on_open_licence_withdrawn(conn: asyncpg.Connection, event: CloudEvent, e: OpenLicenceWithdrawn) -> None:
    await repo.remove_encumbrance(conn, e.patent_id, e.declaration_id)
    await handlers.refresh_listings_of_patent(conn, e.patent_id)


async def on_licence_granted(conn: asyncpg.Connection, event: CloudEvent, e: LicenceGranted) -> None:
    if e.kind in ("exclusive", "sole"):
        await repo.add_encumbrance(conn, e.patent_id, f"{e.kind}_licence", e.licence_id, event.time)


async def on_licence_terminated(conn: asyncpg.Connection, event: CloudEvent, e: LicenceTerminated) -> None:
    await repo.remove_encumbrance(conn, e.patent_id, e.licence_id)


async def on_auction_scheduled(conn: asyncpg.Connection, event: CloudEvent, e: AuctionScheduled) -> None:
    await handlers.reserve_for(conn, e.listing_id, "auction", e.auction_id)


async def on_auction_closed(conn: asyncpg.Connection, event: CloudEvent, e: AuctionClosed) -> None:
    if e.outcome == "closed_unsold":
        await handlers.release_from(conn, e.listing_id, e.auction_id)


async def on_auction_settled(conn: asyncpg.Connection, event: CloudEvent, e: AuctionSettled) -> None:
    await handlers.sell_through(conn, e.listing_id, e.auction_id, e.price)


async def on_auction_defaulted(conn: asyncpg.Connection, event: CloudEvent, e: AuctionDefaulted) -> None:
    await handlers.release_from(conn, e.listing_id, e.auction_id)


async def on_export_review_decided(conn: asyncpg.Connection, event: CloudEvent, e: ExportReviewDecided) -> None:
    if not e.approved:  # the transfer abroad was refused: the lot is back on the market
        await handlers.release_from(conn, e.listing_id, e.auction_id)


SUBSCRIPTIONS = [
    Subscription(name="listings.orgs", schema="listings", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org_registered}),
    Subscription(name="listings.encumbrances", schema="listings", topics=[Topic.LICENCES], handlers={
        OpenLicenceDeclared.TYPE: on_open_licence_declared,
        OpenLicenceWithdrawn.TYPE: on_open_licence_withdrawn,
        LicenceGranted.TYPE: on_licence_granted,
        LicenceTerminated.TYPE: on_licence_terminated,
    }),
    Subscription(name="listings.auctions", schema="listings", topics=[Topic.AUCTIONS], handlers={
        AuctionScheduled.TYPE: on_auction_scheduled,
        AuctionClosed.TYPE: on_auction_closed,
        AuctionSettled.TYPE: on_auction_settled,
        AuctionDefaulted.TYPE: on_auction_defaulted,
        ExportReviewDecided.TYPE: on_export_review_decided,
    }),
]
