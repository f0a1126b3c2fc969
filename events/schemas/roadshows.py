"""Events of the roadshows context (DESIGN §9): 路演, registrations, leads, feedback.

Every event is keyed by the roadshow's id, so one roadshow's events keep their order
end to end. The lifecycle events (scheduled, published, rescheduled, cancelled) carry
the roadshow's whole state (``RoadshowSnapshot``), so that the catalogue's
``type=roadshow`` document is a function of the latest of them alone. Registration
events carry the attendee; rescheduled and cancelled name every attendee to tell.

Feedback events name the enterprise: they are internal facts for the listing owner's
read models; nothing derived from them may show one enterprise's feedback to another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from events.registry import EventPayload, event_type
from events.topics import Topic

RoadshowMode = Literal["online", "offline", "hybrid"]
RoadshowStatus = Literal["draft", "published", "cancelled"]
Concern = Literal["too_early", "benefit_unclear", "commercial_route_unclear", "description_unclear", "price"]
Cooperation = Literal["none", "licence", "transfer", "joint_development", "investment"]
CONCERNS: tuple[str, ...] = Concern.__args__
COOPERATIONS: tuple[str, ...] = Cooperation.__args__


class LineupSlot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    listing_id: str
    listing_title: str
    owner_org_id: str
    slot_starts_at: datetime
    slot_ends_at: datetime


class RoadshowSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    roadshow_id: str
    organiser_org_id: str
    organiser_kind: str | None = None
    title: str
    description: str = ""
    starts_at: datetime
    ends_at: datetime
    mode: RoadshowMode
    location: str | None = None
    stream_url: str | None = None
    capacity: int
    status: RoadshowStatus
    lineup: list[LineupSlot]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    cancelled_at: datetime | None = None


class _RoadshowEvent(EventPayload):
    roadshow: RoadshowSnapshot


@event_type("psm.roadshow.scheduled.v1", Topic.ROADSHOWS)
class RoadshowScheduled(_RoadshowEvent):
    """Created as a draft: the organiser can still change it; not public yet."""


@event_type("psm.roadshow.published.v1", Topic.ROADSHOWS)
class RoadshowPublished(_RoadshowEvent):
    pass


@event_type("psm.roadshow.rescheduled.v1", Topic.ROADSHOWS)
class RoadshowRescheduled(_RoadshowEvent):
    previous_starts_at: datetime
    previous_ends_at: datetime
    attendee_org_ids: list[str] = []  # registered and waitlisted: each is told


@event_type("psm.roadshow.cancelled.v1", Topic.ROADSHOWS)
class RoadshowCancelled(_RoadshowEvent):
    reason: str | None = None
    attendee_org_ids: list[str] = []


class _RegistrationEvent(EventPayload):
    roadshow_id: str
    registration_id: str
    org_id: str
    at: datetime


@event_type("psm.roadshow.registration_registered.v1", Topic.ROADSHOWS)
class RegistrationRegistered(_RegistrationEvent):
    pass


@event_type("psm.roadshow.registration_waitlisted.v1", Topic.ROADSHOWS)
class RegistrationWaitlisted(_RegistrationEvent):
    waitlist_position: int


@event_type("psm.roadshow.registration_promoted.v1", Topic.ROADSHOWS)
class RegistrationPromoted(_RegistrationEvent):
    """A seat came free and the head of the waitlist took it."""


@event_type("psm.roadshow.registration_cancelled.v1", Topic.ROADSHOWS)
class RegistrationCancelled(_RegistrationEvent):
    previous_status: Literal["registered", "waitlisted"]


@event_type("psm.roadshow.interest_expressed.v1", Topic.ROADSHOWS)
class InterestExpressed(EventPayload):
    """举手: an enterprise wants to talk to the listing's owner — a lead for the owner."""

    roadshow_id: str
    lead_id: str
    listing_id: str
    owner_org_id: str
    enterprise_org_id: str
    note: str | None = None
    at: datetime


@event_type("psm.roadshow.feedback_submitted.v1", Topic.ROADSHOWS)
class FeedbackSubmitted(EventPayload):
    """Submitted (revision 1) or edited (revision > 1) before the report was closed."""

    roadshow_id: str
    feedback_id: str
    listing_id: str
    owner_org_id: str
    enterprise_org_id: str
    revision: int
    industrialisation_prospect: int
    improvement_needs: str
    concerns: list[Concern]
    cooperation: Cooperation
    at: datetime


@event_type("psm.roadshow.report_closed.v1", Topic.ROADSHOWS)
class RoadshowReportClosed(EventPayload):
    """No more feedback, nor edits to it, for this roadshow."""

    roadshow_id: str
    at: datetime
