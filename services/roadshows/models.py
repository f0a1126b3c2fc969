"""Request and response bodies of the roadshows API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, PlainSerializer, RootModel

from events.schemas.roadshows import Concern, Cooperation, RoadshowMode, RoadshowStatus
from services.runtime.http.pagination import PageQuery
from services.runtime.models import Strict

# Means travel as exact decimal strings ("4.33"), never floats.
DecimalText = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")]


def _url(v: str | None) -> str | None:
    if v is not None and not v.startswith(("https://", "http://", "rtmp://", "rtmps://")):
        raise ValueError("an http(s) or rtmp(s) URL")
    return v


class SlotCreate(Strict):
    listing_id: str = Field(min_length=1, max_length=100)
    slot_starts_at: AwareDatetime
    slot_ends_at: AwareDatetime | None = Field(default=None, description="default: when the next slot starts "
                                               "(the last slot: when the roadshow ends)")


class RoadshowCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    mode: RoadshowMode
    location: str | None = Field(default=None, max_length=500, description="offline and hybrid roadshows")
    stream_url: Annotated[str | None, AfterValidator(_url)] = Field(default=None, max_length=1000,
                                                                    description="online and hybrid roadshows")
    capacity: int = Field(ge=1, le=100_000)
    lineup: list[SlotCreate] = Field(min_length=1, max_length=50)


class Reschedule(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    lineup: list[SlotCreate] | None = Field(default=None, max_length=50,
                                            description="default: every slot moves with the roadshow's start")


class Cancellation(Strict):
    reason: str | None = Field(default=None, max_length=1000)


class CalendarFile(RootModel[str]):
    """An iCalendar (RFC 5545) file: one VCALENDAR with one VEVENT, times in UTC."""


class Slot(BaseModel):
    listing_id: str
    listing_title: str
    owner_org_id: str
    slot_starts_at: datetime
    slot_ends_at: datetime


class Roadshow(BaseModel):
    id: str
    organiser_org_id: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    mode: RoadshowMode
    location: str | None
    stream_url: str | None
    capacity: int
    seats_taken: int
    waitlisted: int
    status: RoadshowStatus
    lineup: list[Slot]
    report_closed: bool
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    cancelled_at: datetime | None


class RoadshowQuery(PageQuery):
    status: RoadshowStatus | None = None
    listing_id: str | None = None
    upcoming: bool = Field(default=False, description="only roadshows not over yet")


class RoadshowPage(BaseModel):
    items: list[Roadshow]
    next_cursor: str | None


class RegistrationCreate(Strict):
    pass


class Registration(BaseModel):
    id: str
    roadshow_id: str
    org_id: str
    status: Literal["registered", "waitlisted", "cancelled"]
    arrival: int = Field(description="arrival order within the roadshow (1 = first)")
    waitlist_position: int | None = Field(description="1 = next to get a seat; only while waitlisted")
    created_at: datetime
    promoted_at: datetime | None
    cancelled_at: datetime | None


class RegistrationQuery(Strict):
    status: Literal["registered", "waitlisted", "cancelled"] | None = None


class Registrations(BaseModel):
    items: list[Registration]


class InterestCreate(Strict):
    listing_id: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=2000, description="what the enterprise wants to discuss")


class Lead(BaseModel):
    id: str
    roadshow_id: str
    listing_id: str
    owner_org_id: str
    enterprise_org_id: str
    note: str | None
    created_at: datetime


class FeedbackCreate(Strict):
    listing_id: str = Field(min_length=1, max_length=100)
    industrialisation_prospect: int = Field(ge=1, le=5, description="1 (remote) … 5 (ready to industrialise)")
    improvement_needs: str = Field(default="", max_length=5000)
    concerns: list[Concern] = Field(default=[], max_length=5)
    cooperation: Cooperation


class FeedbackUpdate(Strict):
    industrialisation_prospect: int | None = Field(default=None, ge=1, le=5)
    improvement_needs: str | None = Field(default=None, max_length=5000)
    concerns: list[Concern] | None = Field(default=None, max_length=5)
    cooperation: Cooperation | None = None


class Feedback(BaseModel):
    id: str
    roadshow_id: str
    listing_id: str
    enterprise_org_id: str
    industrialisation_prospect: int
    improvement_needs: str
    concerns: list[Concern]
    cooperation: Cooperation
    revision: int
    submitted_at: datetime
    updated_at: datetime


class FeedbackList(BaseModel):
    items: list[Feedback]


class Summary(BaseModel):
    feedback_count: int
    prospect_mean: DecimalText | None = Field(description="exact mean, half up to 0.01, as a decimal string")
    prospect_distribution: dict[str, int] = Field(description="score (1..5) → count")
    concerns: dict[str, int]
    cooperation: dict[str, int]


class ListingReport(Summary):
    listing_id: str
    listing_title: str
    owner_org_id: str
    slot_starts_at: datetime
    leads: list[Lead]


class Report(BaseModel):
    roadshow_id: str
    title: str
    closed: bool
    closed_at: datetime | None
    registered: int
    listings: list[ListingReport]


class TrendPoint(Summary):
    month: str = Field(description="YYYY-MM (UTC) of submission")


class ListingFeedback(BaseModel):
    """All feedback on one listing across roadshows: for its owner (or a venue with its mandate)."""

    listing_id: str
    overall: Summary
    trend: list[TrendPoint] = Field(description="by month of submission, oldest first")
    items: list[Feedback]
    leads: list[Lead]


class ListingSlot(BaseModel):
    roadshow_id: str
    roadshow_title: str
    mode: RoadshowMode
    location: str | None
    slot_starts_at: datetime
    slot_ends_at: datetime
    label: str = Field(description="e.g. \"in roadshow on 2026-12-03\" (UTC date)")


class ListingRoadshows(BaseModel):
    listing_id: str
    items: list[ListingSlot]
