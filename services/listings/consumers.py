"""The register's (and listings') reactions to other contexts' events: organisations'
names, reservations asked of the register, and the lifecycle facts that end them."""

from __future__ import annotations

import asyncpg

from events.consumer import Subscription
from events.envelope import CloudEvent
from events.schemas.deals import (
    DealCancelled, DealExportReviewDecided, DealPaid, DealReservationRequested,
)
from events.schemas.auctions import (
    AuctionCancelled, AuctionClosed, AuctionDefaulted, AuctionSettled, ExportReviewDecided,
)
from events.schemas.financing import PledgeConsentGiven, PledgeConsentRevoked
from events.schemas.licences import LicenceGranted, LicenceTerminated, OpenLicenceEnded, OpenLicenceWithdrawn
from events.schemas.platform import OrgRegistered
from events.schemas.register import (
    AuctionReservationRequested, OpenLicenceReservationRequested, PledgeReleased, PledgeReservationRequested,
    TransferReference,
)
from events.topics import Topic
from services.listings import handlers, reservations, rights
from services.listings import repository as repo


async def on_org_registered(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.sub_kind, e.name)
    # Anything the organisation published before this event reached us went out
    # without its owner's kind and name: announce it again, complete.
    await handlers.refresh_owner(conn, e.org_id)


async def on_reservation_requested(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    await reservations.decide(conn, e.reservation, event.time)


async def on_open_licence_ended(conn: asyncpg.Connection, event: CloudEvent,
                                e: OpenLicenceWithdrawn | OpenLicenceEnded) -> None:
    await reservations.end(conn, e.declaration_id, rights.OPEN_LICENCE)


async def on_licence_granted(conn: asyncpg.Connection, event: CloudEvent, e: LicenceGranted) -> None:
    # Granted under a declaration or a deal the register reserved: a fact to hold (an
    # exclusive or sole licence then bars an open licence, art. 86 (1)). A deal's own
    # reservation gives way to the licence in the same transaction: no gap between them.
    await repo.hold(conn, e.patent_id, f"{e.kind}_licence", e.licence_id, since=event.time,
                    holder_org_id=e.licensee_org_id)
    if e.deal_id is not None:
        await repo.release(conn, e.deal_id)


async def on_licence_terminated(conn: asyncpg.Connection, event: CloudEvent, e: LicenceTerminated) -> None:
    await repo.release(conn, e.licence_id)


async def on_auction_closed(conn: asyncpg.Connection, event: CloudEvent, e: AuctionClosed) -> None:
    if e.outcome == "closed_unsold":
        await reservations.auction_ended(conn, e.listing_id, e.auction_id)
    elif e.disposes is not None:
        await reservations.reserve_disposal_sale(conn, e.listing_id, e.auction_id, event.time)


async def on_auction_settled(conn: asyncpg.Connection, event: CloudEvent, e: AuctionSettled) -> None:
    if e.winner_org_id is not None:
        await reservations.transfer(conn, listing_id=e.listing_id, reference=TransferReference(kind="auction",
                                    id=e.auction_id), to_org_id=e.winner_org_id, price=e.price, at=event.time)
    await handlers.sell_through(conn, e.listing_id, e.auction_id, e.price)
    await repo.release(conn, e.auction_id, rights.AUCTION)


async def on_auction_unsold(conn: asyncpg.Connection, event: CloudEvent, e: AuctionDefaulted | AuctionCancelled) -> None:
    await reservations.auction_ended(conn, e.listing_id, e.auction_id)


async def on_export_review_decided(conn: asyncpg.Connection, event: CloudEvent, e: ExportReviewDecided) -> None:
    if not e.approved:  # the transfer abroad was refused: the lot is back on the market
        await reservations.auction_ended(conn, e.listing_id, e.auction_id)


async def on_deal_paid(conn: asyncpg.Connection, event: CloudEvent, e: DealPaid) -> None:
    """A transfer or equity contribution is complete: ownership moves to the counterparty.
    (A licence deal keeps its reservation until the licences context grants the licence.)"""
    d = e.deal
    if d.kind in ("transfer", "equity"):
        await reservations.transfer(conn, listing_id=None, patent_ids=d.patent_ids,
                                    reference=TransferReference(kind="deal", id=d.deal_id),
                                    to_org_id=d.counterparty_org_id, price=d.terms.contract_value(), at=event.time)
        await repo.release(conn, d.deal_id)


async def on_deal_ended(conn: asyncpg.Connection, event: CloudEvent, e: DealCancelled | DealExportReviewDecided) -> None:
    if isinstance(e, DealCancelled) or not e.approved:
        await repo.release(conn, e.deal.deal_id)


async def on_pledge_consents(conn: asyncpg.Connection, event: CloudEvent,
                             e: PledgeConsentGiven | PledgeConsentRevoked) -> None:
    # Recorded as the pledgee gives or withdraws it; what was done with a consent stands.
    await repo.set_consents(conn, e.pledge_id, e.consents)


async def on_pledge_released(conn: asyncpg.Connection, event: CloudEvent, e: PledgeReleased) -> None:
    await reservations.end(conn, e.pledge_id, rights.PLEDGE)


SUBSCRIPTIONS = [
    Subscription(name="listings.orgs", schema="listings", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org_registered}),
    # One consumer for everything the register decides or ends, so that a request and
    # the facts that end it are applied in their aggregate's order.
    Subscription(name="listings.register", schema="listings",
                 topics=[Topic.LICENCES, Topic.AUCTIONS, Topic.FINANCING, Topic.DEALS], handlers={
                     OpenLicenceReservationRequested.TYPE: on_reservation_requested,
                     AuctionReservationRequested.TYPE: on_reservation_requested,
                     PledgeReservationRequested.TYPE: on_reservation_requested,
                     OpenLicenceWithdrawn.TYPE: on_open_licence_ended,
                     OpenLicenceEnded.TYPE: on_open_licence_ended,
                     LicenceGranted.TYPE: on_licence_granted,
                     LicenceTerminated.TYPE: on_licence_terminated,
                     AuctionClosed.TYPE: on_auction_closed,
                     AuctionSettled.TYPE: on_auction_settled,
                     AuctionDefaulted.TYPE: on_auction_unsold,
                     AuctionCancelled.TYPE: on_auction_unsold,
                     ExportReviewDecided.TYPE: on_export_review_decided,
                     PledgeReleased.TYPE: on_pledge_released,
                     PledgeConsentGiven.TYPE: on_pledge_consents,
                     PledgeConsentRevoked.TYPE: on_pledge_consents,
                     DealReservationRequested.TYPE: on_reservation_requested,
                     DealPaid.TYPE: on_deal_paid,
                     DealCancelled.TYPE: on_deal_ended,
                     DealExportReviewDecided.TYPE: on_deal_ended,
                 }),
]
