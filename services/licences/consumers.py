"""Licences' read models of other contexts' facts: patents (owner, co-owners, kind,
legal status, term), which listings offer them for transfer and which of those are
being auctioned, pledges, exclusive/sole licences, organisations.

The consumer framework applies each aggregate's events in order and once, so these
handlers simply apply the latest fact.
"""

from __future__ import annotations

import asyncpg

from events.consumer import Subscription
from events.envelope import CloudEvent
from events.registry import registered_types
from events.schemas.auctions import (
    AuctionClosed, AuctionDefaulted, AuctionScheduled, AuctionSettled, ExportReviewDecided,
)
from events.schemas.licences import LicenceGranted, LicenceTerminated
from events.schemas.listings import PatentRegistered, PatentUpdated
from events.schemas.platform import OrgRegistered
from events.schemas.pledges import PatentPledged, PatentPledgeReleased
from events.topics import Topic
from services.licences import repository as repo


async def on_patent(conn: asyncpg.Connection, event: CloudEvent, e: PatentRegistered | PatentUpdated) -> None:
    await repo.upsert_patent(conn, e.patent)


async def on_listing(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    s = e.listing
    await repo.upsert_listing(conn, s.listing_id, s.status, list(s.modes), [p.patent_id for p in s.patents])


async def on_pledged(conn: asyncpg.Connection, event: CloudEvent, e: PatentPledged) -> None:
    await repo.add_pledge(conn, e.pledge_id, e.patent_id, e.pledgee_org_id)


async def on_pledge_released(conn: asyncpg.Connection, event: CloudEvent, e: PatentPledgeReleased) -> None:
    await repo.release_pledge(conn, e.pledge_id)


async def on_auction_scheduled(conn: asyncpg.Connection, event: CloudEvent, e: AuctionScheduled) -> None:
    await repo.auction_running(conn, e.auction_id, e.listing_id)


async def on_auction_closed(conn: asyncpg.Connection, event: CloudEvent, e: AuctionClosed) -> None:
    # A won lot still goes to its winner (until settled or defaulted): still "under auction".
    if e.outcome == "closed_unsold":
        await repo.auction_ended(conn, e.auction_id)


async def on_auction_ended(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    await repo.auction_ended(conn, e.auction_id)


async def on_export_review_decided(conn: asyncpg.Connection, event: CloudEvent, e: ExportReviewDecided) -> None:
    if not e.approved:
        await repo.auction_ended(conn, e.auction_id)


async def on_licence_granted(conn: asyncpg.Connection, event: CloudEvent, e: LicenceGranted) -> None:
    # Ordinary licences (ours among them) do not bar an open licence; exclusive and sole
    # ones, granted by any context, do (Implementing Regulations art. 86).
    if e.kind in ("exclusive", "sole"):
        await repo.add_exclusive_licence(conn, e.licence_id, e.patent_id, e.kind)


async def on_licence_terminated(conn: asyncpg.Connection, event: CloudEvent, e: LicenceTerminated) -> None:
    await repo.remove_exclusive_licence(conn, e.licence_id)


async def on_org_registered(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.name)


LISTING_EVENTS = sorted(t for t in registered_types() if t.startswith("psm.listing."))

SUBSCRIPTIONS = [
    Subscription(name="licences.register", schema="licences", topics=[Topic.LISTINGS], handlers={
        PatentRegistered.TYPE: on_patent,
        PatentUpdated.TYPE: on_patent,
        PatentPledged.TYPE: on_pledged,
        PatentPledgeReleased.TYPE: on_pledge_released,
        **{t: on_listing for t in LISTING_EVENTS},
    }),
    Subscription(name="licences.auctions", schema="licences", topics=[Topic.AUCTIONS], handlers={
        AuctionScheduled.TYPE: on_auction_scheduled,
        AuctionClosed.TYPE: on_auction_closed,
        AuctionSettled.TYPE: on_auction_ended,
        AuctionDefaulted.TYPE: on_auction_ended,
        ExportReviewDecided.TYPE: on_export_review_decided,
    }),
    Subscription(name="licences.exclusive", schema="licences", topics=[Topic.LICENCES], handlers={
        LicenceGranted.TYPE: on_licence_granted,
        LicenceTerminated.TYPE: on_licence_terminated,
    }),
    Subscription(name="licences.orgs", schema="licences", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org_registered}),
]
