"""The statistics' subscriptions: organisations and patents (the dimensions), listings
(the inventory), completed deals in every channel (the facts), leads and pushes (market
activity). ``PROJECTION`` is the one table of handlers: the live consumers and a rebuild
(services/stats/rebuild.py) apply events through it alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from events.consumer import BATCHED, Subscription, latest_by_subject
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


async def on_patents(conn: asyncpg.Connection, staged: Sequence[tuple[CloudEvent, object]]) -> None:
    """Registrations, updates, transfers and status changes of patents: each one's latest
    state, all in one upsert (an import's thousands of events, one statement a batch)."""
    await repo.upsert_patents(conn, [(e.patent.patent_id, e.patent.owner_org_id, domain.industry_of(e.patent.ipc),
                                      event.sequence or 0) for event, e in latest_by_subject(staged)])


async def on_patent(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    await on_patents(conn, [(event, e)])


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
    await repo.record_activities(conn, [(f"lead:{e.lead_id}", "roadshow_lead", e.at)])


async def on_pushes(conn: asyncpg.Connection, staged: Sequence[tuple[CloudEvent, PushDelivered]]) -> None:
    """Pushes delivered (a listing matched reaches hundreds of enterprises): one statement."""
    await repo.record_activities(conn, [(f"push:{e.push_id}", "push_delivered", event.time) for event, e in staged])


async def on_push(conn: asyncpg.Connection, event: CloudEvent, e: PushDelivered) -> None:
    await on_pushes(conn, [(event, e)])


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

# The live consumers apply the patents' events and the pushes of a transaction together;
# a rebuild applies them one by one through PROJECTION (the same statements).
BATCHES: dict[Topic, tuple[Handler, Callable]] = {Topic.LISTINGS: (on_patent, on_patents),
                                                  Topic.DISTRIBUTION: (on_push, on_pushes)}


def _live(topic: Topic, handlers_: dict[str, Handler]) -> Subscription:
    one, together = BATCHES.get(topic, (None, None))
    return Subscription(name=f"stats.{topic.value.removeprefix('psm.')}", schema="stats", topics=[topic],
                        handlers={t: BATCHED if h is one else h for t, h in handlers_.items()},
                        on_batch=together)


SUBSCRIPTIONS = [_live(topic, handlers_) for topic, handlers_ in PROJECTION.items()]
