"""The statistics' subscriptions: organisations and patents (the dimensions), listings
(the inventory), completed deals in every channel (the facts), leads and pushes (market
activity). ``PROJECTION`` is the one table of handlers: the live consumers and a rebuild
(services/stats/rebuild.py) apply events through it alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from events.consumer import Subscription
from events.envelope import CloudEvent
from events.registry import registered_types
from events.schemas.auctions import AuctionSettled
from events.schemas.deals import DealPaid
from events.schemas.distribution import PushDelivered
from events.schemas.financing import PledgeInForce
from events.schemas.licences import LicenceGranted, RoyaltyPaid
from events.schemas.listings import PatentRegistered, PatentUpdated
from events.schemas.platform import OrgRegistered
from events.schemas.register import PatentLegalStatusChanged, PatentTransferred, PledgeReleased
from events.schemas.roadshows import InterestExpressed
from events.topics import Topic
from services.stats import domain, handlers
from services.stats import repository as repo

Handler = Callable[[asyncpg.Connection, CloudEvent, object], Awaitable[None]]


async def on_org(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.sub_kind, e.name, domain.region_of(e.country, e.uscc))


async def on_patent(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    p = e.patent
    await repo.upsert_patent(conn, p.patent_id, p.owner_org_id, domain.industry_of(p.ipc), event.sequence or 0)


async def on_listing(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    s = e.listing
    await repo.upsert_listing(conn, s.listing_id, [p.patent_id for p in s.patents], s.published_at)


async def on_deal_paid(conn: asyncpg.Connection, event: CloudEvent, e: DealPaid) -> None:
    await handlers.deal_paid(conn, e, event.time)


async def on_auction_settled(conn: asyncpg.Connection, event: CloudEvent, e: AuctionSettled) -> None:
    await handlers.auction_settled(conn, e, event.time)


async def on_licence_granted(conn: asyncpg.Connection, event: CloudEvent, e: LicenceGranted) -> None:
    await handlers.licence_granted(conn, e, event.time)


async def on_royalty_paid(conn: asyncpg.Connection, event: CloudEvent, e: RoyaltyPaid) -> None:
    await handlers.royalty_paid(conn, e, event.time)


async def on_pledge_in_force(conn: asyncpg.Connection, event: CloudEvent, e: PledgeInForce) -> None:
    p = e.pledge
    await repo.pledge_in_force(conn, p.pledge_id, p.pledgor_org_id, p.kind, p.loan.amount.amount,
                               p.loan.amount.currency, (p.effective_at or event.time).date())


async def on_pledge_released(conn: asyncpg.Connection, event: CloudEvent, e: PledgeReleased) -> None:
    await repo.pledge_ended(conn, e.pledge_id, event.time.date())


async def on_lead(conn: asyncpg.Connection, event: CloudEvent, e: InterestExpressed) -> None:
    await repo.record_activity(conn, f"lead:{e.lead_id}", "roadshow_lead", e.at)


async def on_push(conn: asyncpg.Connection, event: CloudEvent, e: PushDelivered) -> None:
    await repo.record_activity(conn, f"push:{e.push_id}", "push_delivered", event.time)


LISTING_EVENTS = sorted(t for t in registered_types() if t.startswith("psm.listing."))

# topic → {event type → handler}, in the order a rebuild replays them (dimensions first).
PROJECTION: dict[Topic, dict[str, Handler]] = {
    Topic.PLATFORM: {OrgRegistered.TYPE: on_org},
    Topic.LISTINGS: {PatentRegistered.TYPE: on_patent, PatentUpdated.TYPE: on_patent,
                     PatentTransferred.TYPE: on_patent, PatentLegalStatusChanged.TYPE: on_patent,
                     **{t: on_listing for t in LISTING_EVENTS}},
    Topic.DEALS: {DealPaid.TYPE: on_deal_paid},
    Topic.AUCTIONS: {AuctionSettled.TYPE: on_auction_settled},
    Topic.LICENCES: {LicenceGranted.TYPE: on_licence_granted, RoyaltyPaid.TYPE: on_royalty_paid},
    Topic.ROADSHOWS: {InterestExpressed.TYPE: on_lead},
    Topic.FINANCING: {PledgeInForce.TYPE: on_pledge_in_force, PledgeReleased.TYPE: on_pledge_released},
    Topic.DISTRIBUTION: {PushDelivered.TYPE: on_push},
}

SUBSCRIPTIONS = [
    Subscription(name=f"stats.{topic.value.removeprefix('psm.')}", schema="stats", topics=[topic], handlers=handlers_)
    for topic, handlers_ in PROJECTION.items()
]
