"""Events of the listings context: the patent register and supply/demand listings.

Each event carries the aggregate's whole state after the change (a snapshot), so that
a read model (the catalogue, a venue's copy) needs nothing but the latest event it has
seen; ``sequence`` orders them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from events.registry import EventPayload, event_type
from events.schemas.common import Money
from events.topics import Topic

PatentKind = Literal["invention", "utility_model", "design"]
# fee_unpaid: the annual fee is overdue (grace period, Implementing Regulations art. 116);
# suspended: proceedings suspended (中止, Implementing Regulations arts. 103–104).
LegalStatus = Literal["pending", "granted", "fee_unpaid", "suspended", "lapsed", "expired", "invalidated"]
ListingKind = Literal["supply", "demand"]
ListingStatus = Literal["draft", "published", "reserved", "sold", "withdrawn", "expired"]
Mode = Literal["transfer", "exclusive_licence", "sole_licence", "ordinary_licence", "equity"]
Stage = Literal["lab", "prototype", "pilot", "mass_production"]


class PatentSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    patent_id: str
    number: str
    title: str
    abstract: str = ""
    kind: PatentKind
    ipc: list[str]
    applicants: list[str] = []
    inventors: list[str] = []
    filing_date: date
    grant_date: date | None = None
    legal_status: LegalStatus
    expires_on: date
    owner_org_id: str
    owner_kind: str | None = None
    owner_sub_kind: str | None = None
    owner_name: str | None = None
    co_owner_org_ids: list[str] = []


class ListingSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    listing_id: str
    kind: ListingKind
    status: ListingStatus
    owner_org_id: str
    owner_kind: str | None = None
    owner_sub_kind: str | None = None
    owner_name: str | None = None
    title: str
    description: str = ""
    patents: list[PatentSnapshot] = []
    modes: list[Mode] = []
    price: Money | None = None
    negotiable: bool = False
    budget: Money | None = None
    industry: str | None = None
    field: str | None = None
    stage: Stage | None = None
    region: str | None = None
    tags: list[str] = []
    open_licence: bool = False
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    acted_by_org_id: str | None = None  # the venue that acted under a mandate, if any


@event_type("psm.patent.registered.v1", Topic.LISTINGS)
class PatentRegistered(EventPayload):
    patent: PatentSnapshot


@event_type("psm.patent.updated.v1", Topic.LISTINGS)
class PatentUpdated(EventPayload):
    patent: PatentSnapshot


class _ListingEvent(EventPayload):
    listing: ListingSnapshot


@event_type("psm.listing.drafted.v1", Topic.LISTINGS)
class ListingDrafted(_ListingEvent):
    pass


@event_type("psm.listing.updated.v1", Topic.LISTINGS)
class ListingUpdated(_ListingEvent):
    pass


@event_type("psm.listing.published.v1", Topic.LISTINGS)
class ListingPublished(_ListingEvent):
    pass


@event_type("psm.listing.withdrawn.v1", Topic.LISTINGS)
class ListingWithdrawn(_ListingEvent):
    pass


@event_type("psm.listing.reserved.v1", Topic.LISTINGS)
class ListingReserved(_ListingEvent):
    reason: Literal["auction", "deal"]
    reference_id: str


@event_type("psm.listing.released.v1", Topic.LISTINGS)
class ListingReleased(_ListingEvent):
    reference_id: str


@event_type("psm.listing.sold.v1", Topic.LISTINGS)
class ListingSold(_ListingEvent):
    reference_id: str
    price: Money | None = None


@event_type("psm.listing.expired.v1", Topic.LISTINGS)
class ListingExpired(_ListingEvent):
    pass
