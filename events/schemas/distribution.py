"""Events of the distribution context (DESIGN §10): venues, deliveries, subscriptions, pushes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from events.registry import EventPayload, event_type
from events.topics import Topic

Cooperation = Literal["none", "licence", "transfer", "joint_development", "investment"]


@event_type("psm.venue.registered.v1", Topic.DISTRIBUTION)
class VenueRegistered(EventPayload):
    venue_id: str
    org_id: str
    webhook_url: str | None = None
    filter: dict


@event_type("psm.venue.secret_rotated.v1", Topic.DISTRIBUTION)
class VenueSecretRotated(EventPayload):
    venue_id: str
    org_id: str


@event_type("psm.venue.paused.v1", Topic.DISTRIBUTION)
class VenuePaused(EventPayload):
    venue_id: str
    consecutive_failures: int
    resume_at: datetime


@event_type("psm.venue.updated.v1", Topic.DISTRIBUTION)
class VenueUpdated(EventPayload):
    """A venue changed its webhook, filter, event types, rate limit, or was re-enabled."""

    venue_id: str
    org_id: str
    changed: list[str]
    webhook_url: str | None = None
    filter: dict
    event_types: list[str] = []
    rate_limit_per_s: float | None = None


@event_type("psm.venue.deleted.v1", Topic.DISTRIBUTION)
class VenueDeleted(EventPayload):
    venue_id: str
    org_id: str
    dropped_deliveries: int


@event_type("psm.venue.disabled.v1", Topic.DISTRIBUTION)
class VenueDisabled(EventPayload):
    """An endpoint (a venue's, or a subscription's webhook) stopped being sent to: it
    answered 410, or every try failed for days. Its owner re-enables it."""

    venue_id: str
    endpoint_kind: Literal["venue", "subscription"] = "venue"
    org_id: str
    reason: str
    disabled_at: datetime


@event_type("psm.delivery.dead_lettered.v1", Topic.DISTRIBUTION)
class DeliveryDeadLettered(EventPayload):
    delivery_id: str
    endpoint_id: str
    subject: str
    change_type: str
    attempts: int
    last_error: str


@event_type("psm.subscription.created.v1", Topic.DISTRIBUTION)
class SubscriptionCreated(EventPayload):
    subscription_id: str
    org_id: str
    channel: Literal["webhook", "inbox"]
    filter: dict
    query: str | None = None


@event_type("psm.subscription.updated.v1", Topic.DISTRIBUTION)
class SubscriptionUpdated(EventPayload):
    subscription_id: str
    org_id: str
    filter: dict
    query: str | None = None
    active: bool


@event_type("psm.subscription.deleted.v1", Topic.DISTRIBUTION)
class SubscriptionDeleted(EventPayload):
    subscription_id: str
    org_id: str


@event_type("psm.push.delivered.v1", Topic.DISTRIBUTION)
class PushDelivered(EventPayload):
    push_id: str
    org_id: str
    listing_id: str
    subscription_ids: list[str]
    channel: Literal["webhook", "inbox"]


@event_type("psm.push.feedback_given.v1", Topic.DISTRIBUTION)
class PushFeedbackGiven(EventPayload):
    """An enterprise's answer to a pushed listing, routed to the listing's owner (计划第八条)."""

    push_id: str
    listing_id: str
    listing_owner_org_id: str
    from_org_id: str
    interest_level: int
    cooperation: Cooperation
    comment: str = ""
