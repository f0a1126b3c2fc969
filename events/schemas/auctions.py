"""Events of the auctions context (DESIGN §8).

Listings reacts to scheduled/closed/settled/defaulted (reserved → published | sold);
the live stream and the catalogue follow the rest. A bidder appears only as its
registration id, which says nothing about who it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from events.registry import EventPayload, event_type
from events.schemas.common import Money
from events.schemas.listings import ListingSnapshot
from events.topics import Topic


@event_type("psm.auction.scheduled.v1", Topic.AUCTIONS)
class AuctionScheduled(EventPayload):
    auction_id: str
    listing_id: str
    starts_at: datetime
    ends_at: datetime
    start_price: Money
    seller_org_id: str | None = None
    increment: Money | None = None
    deposit: Money | None = None
    relisted_from: str | None = None
    lot: ListingSnapshot | None = None  # the listing as the auction found it
    # 质物处置: a pledgee's disposal of this pledge; holders of a priority purchase right.
    disposes: str | None = None
    priority_holders: list[str] = []


@event_type("psm.auction.opened.v1", Topic.AUCTIONS)
class AuctionOpened(EventPayload):
    auction_id: str
    listing_id: str
    ends_at: datetime


@event_type("psm.auction.bid_accepted.v1", Topic.AUCTIONS)
class BidAccepted(EventPayload):
    auction_id: str
    listing_id: str
    bid_sequence: int
    bidder: str  # registration id
    amount: Money
    proxy: bool
    placed_at: datetime
    reserve_met: bool
    ends_at: datetime


@event_type("psm.auction.extended.v1", Topic.AUCTIONS)
class AuctionExtended(EventPayload):
    auction_id: str
    listing_id: str
    ends_at: datetime


@event_type("psm.auction.closed.v1", Topic.AUCTIONS)
class AuctionClosed(EventPayload):
    auction_id: str
    listing_id: str
    outcome: Literal["closed_won", "closed_unsold"]
    price: Money | None = None
    winner: str | None = None  # registration id
    bid_count: int = 0
    disposes: str | None = None


@event_type("psm.auction.bidder_registered.v1", Topic.AUCTIONS)
class BidderRegistered(EventPayload):
    auction_id: str
    registration_id: str
    bidder_org_id: str


@event_type("psm.auction.deposit_confirmed.v1", Topic.AUCTIONS)
class DepositConfirmed(EventPayload):
    auction_id: str
    registration_id: str
    amount: Money


@event_type("psm.auction.deposits_settled.v1", Topic.AUCTIONS)
class DepositsSettled(EventPayload):
    """At the end: which deposits go back to their bidders and which one is forfeited."""

    auction_id: str
    released: list[str]
    forfeited: list[str] = []


@event_type("psm.auction.export_review_requested.v1", Topic.AUCTIONS)
class ExportReviewRequested(EventPayload):
    auction_id: str
    listing_id: str
    winner_org_id: str
    winner_country: str


@event_type("psm.auction.export_review_decided.v1", Topic.AUCTIONS)
class ExportReviewDecided(EventPayload):
    auction_id: str
    listing_id: str
    approved: bool


@event_type("psm.auction.settled.v1", Topic.AUCTIONS)
class AuctionSettled(EventPayload):
    auction_id: str
    listing_id: str
    price: Money
    seller_org_id: str | None = None
    winner_org_id: str | None = None
    disposes: str | None = None  # the pledge whose disposal this sale was


@event_type("psm.auction.defaulted.v1", Topic.AUCTIONS)
class AuctionDefaulted(EventPayload):
    auction_id: str
    listing_id: str


@event_type("psm.auction.cancelled.v1", Topic.AUCTIONS)
class AuctionCancelled(EventPayload):
    """An auction not yet decided ended without a sale: its patent stopped being in force
    (or the register refused to reserve its lot). Every deposit is released."""

    auction_id: str
    listing_id: str
    reason: str
