"""Financing's read models — organisations (financiers), patents and licences (what may be
pledged, by whom), and what the value-degree score reads: deals, royalties, roadshow and
push feedback — and its reactions: the register's decisions on pledges, royalty payments
of pledged licences."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from events.consumer import BATCHED, Subscription, latest_by_subject
from events.envelope import CloudEvent
from events.registry import registered_types
from events.schemas.auctions import AuctionScheduled, AuctionSettled
from events.schemas.deals import DealPaid
from events.schemas.distribution import PushFeedbackGiven
from events.schemas.licences import LicenceGranted, RoyaltyPaid
from events.schemas.listings import PatentRegistered, PatentUpdated
from events.schemas.platform import OrgRegistered
from events.schemas.register import (
    PatentLegalStatusChanged, PatentTransferred, ReservationGranted, ReservationRefused,
)
from events.schemas.roadshows import FeedbackSubmitted
from events.topics import Topic
from services.financing import handlers
from services.financing import repository as repo


def _subclass(ipc: list[str]) -> str | None:
    return ipc[0].replace(" ", "")[:4].upper() if ipc else None


async def on_patents(conn: asyncpg.Connection, staged: Sequence[tuple[CloudEvent, object]]) -> None:
    """Patents registered, updated or changing status: each one's latest state, one upsert."""
    await repo.upsert_patents(conn, [repo.PatentRow(
        patent_id=e.patent.patent_id, owner_org_id=e.patent.owner_org_id,
        co_owner_org_ids=list(e.patent.co_owner_org_ids), legal_status=e.patent.legal_status,
        expires_on=e.patent.expires_on, ipc_subclass=_subclass(e.patent.ipc), sequence=event.sequence or 0)
        for event, e in latest_by_subject(staged)])


async def on_patent_transferred(conn: asyncpg.Connection, event: CloudEvent, e: PatentTransferred) -> None:
    await on_patents(conn, [(event, e)])
    if e.reference.kind == "auction":  # a negotiated deal counts from psm.deal.paid.v1
        await repo.record_deal(conn, f"auction:{e.reference.id}", [e.patent_id])


async def on_listing(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    await repo.set_listing_patents(conn, e.listing.listing_id, [p.patent_id for p in e.listing.patents])


async def on_reservation_decided(conn: asyncpg.Connection, event: CloudEvent,
                                 e: ReservationGranted | ReservationRefused) -> None:
    if e.kind == "pledge":
        await handlers.on_reservation_decided(conn, e)


async def on_org(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.name)


async def on_licence_granted(conn: asyncpg.Connection, event: CloudEvent, e: LicenceGranted) -> None:
    await repo.upsert_licence(conn, e.licence_id, e.patent_id, e.kind, e.licensor_org_id)


async def on_royalty_paid(conn: asyncpg.Connection, event: CloudEvent, e: RoyaltyPaid) -> None:
    await repo.add_royalty(conn, e.licence_id, e.amount.amount, e.amount.currency)
    await handlers.on_royalty_paid(conn, e, event.time)


async def on_deal_paid(conn: asyncpg.Connection, event: CloudEvent, e: DealPaid) -> None:
    await repo.record_deal(conn, e.deal.deal_id, e.deal.patent_ids)


async def on_feedback(conn: asyncpg.Connection, event: CloudEvent, e: FeedbackSubmitted) -> None:
    await repo.record_interest(conn, f"roadshow:{e.feedback_id}", e.listing_id, "roadshow",
                               e.industrialisation_prospect)


async def on_push_feedback(conn: asyncpg.Connection, event: CloudEvent, e: PushFeedbackGiven) -> None:
    await repo.record_interest(conn, f"push:{e.push_id}:{e.from_org_id}", e.listing_id, "push", e.interest_level)


async def on_auction_scheduled(conn: asyncpg.Connection, event: CloudEvent, e: AuctionScheduled) -> None:
    if e.disposes is not None:
        await handlers.on_disposal_auction(conn, e.disposes, e.auction_id)


async def on_auction_settled(conn: asyncpg.Connection, event: CloudEvent, e: AuctionSettled) -> None:
    if e.disposes is not None:
        await handlers.on_disposed(conn, e.disposes, e.auction_id, e.price)


LISTING_EVENTS = sorted(t for t in registered_types() if t.startswith("psm.listing."))

SUBSCRIPTIONS = [
    Subscription(name="financing.register", schema="financing", topics=[Topic.LISTINGS], handlers={
        PatentRegistered.TYPE: BATCHED,
        PatentUpdated.TYPE: BATCHED,
        PatentLegalStatusChanged.TYPE: BATCHED,
        PatentTransferred.TYPE: on_patent_transferred,
        ReservationGranted.TYPE: on_reservation_decided,
        ReservationRefused.TYPE: on_reservation_decided,
        **{t: on_listing for t in LISTING_EVENTS},
    }, on_batch=on_patents),
    Subscription(name="financing.orgs", schema="financing", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org}),
    Subscription(name="financing.licences", schema="financing", topics=[Topic.LICENCES],
                 handlers={LicenceGranted.TYPE: on_licence_granted, RoyaltyPaid.TYPE: on_royalty_paid}),
    Subscription(name="financing.auctions", schema="financing", topics=[Topic.AUCTIONS],
                 handlers={AuctionScheduled.TYPE: on_auction_scheduled, AuctionSettled.TYPE: on_auction_settled}),
    Subscription(name="financing.deals", schema="financing", topics=[Topic.DEALS],
                 handlers={DealPaid.TYPE: on_deal_paid}),
    Subscription(name="financing.interest", schema="financing", topics=[Topic.ROADSHOWS, Topic.DISTRIBUTION],
                 handlers={FeedbackSubmitted.TYPE: on_feedback, PushFeedbackGiven.TYPE: on_push_feedback}),
]
