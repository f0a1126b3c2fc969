"""Request and response bodies of the distribution API (the webhook payloads are
documented on ``Change``: each delivery's body is ``{type, timestamp, data: Change}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, HttpUrl

from events.schemas.distribution import Cooperation
from events.schemas.listings import Mode, Stage
from services.distribution.domain import CATALOGUE_TYPES
from services.distribution.event_types import OPT_IN, EventType
from services.runtime.http.pagination import PageQuery
from services.distribution.messages import Change  # noqa: F401 — the feed's items
from services.runtime.models import Identified, Strict

CatalogueType = Literal[CATALOGUE_TYPES]  # type: ignore[valid-type]


class FilterIn(Strict):
    types: list[CatalogueType] = Field(default=[], max_length=5)
    industries: list[str] = Field(default=[], max_length=100, description="GB/T 4754 code prefixes, e.g. C38")
    regions: list[str] = Field(default=[], max_length=100, description="GB/T 2260 codes; 310000 = all of Shanghai")
    stages: list[Stage] = Field(default=[], max_length=4)
    modes: list[Mode] = Field(default=[], max_length=5)
    ipc: list[str] = Field(default=[], max_length=100, description="IPC prefixes, e.g. H01M")


OptInType = Literal[tuple(sorted(OPT_IN))]  # type: ignore[valid-type]
RATE = Field(default=None, ge=0.1, le=1000, description="messages per second at most to this venue's webhook")


class VenueCreate(Strict):
    org_id: str
    webhook_url: HttpUrl | None = Field(default=None, description="none: the venue polls GET /v1/feed; never an "
                                                                   "internal (loopback, private, link-local) address")
    filter: FilterIn = FilterIn()
    event_types: list[OptInType] = Field(default=[], description="opt-in types it also wants (GET /v1/event-types)")
    rate_limit_per_s: float | None = RATE


class VenuePatch(Strict):
    """Only what is sent changes; it applies from the next change."""

    webhook_url: HttpUrl | None = Field(default=None, description="null: feed only")
    filter: FilterIn | None = None
    event_types: list[OptInType] | None = None
    rate_limit_per_s: float | None = RATE
    enabled: Literal[True] | None = Field(default=None, description="true: re-enable a disabled venue")


class Venue(BaseModel):
    id: str
    org_id: str
    webhook_url: str | None
    filter: dict[str, list[str]]
    event_types: list[str] = Field(description="opt-in types it receives besides the catalogue changes")
    rate_limit_per_s: float | None
    status: Literal["active", "paused", "throttled", "disabled", "feed_only"]
    disabled_reason: str | None
    paused_until: datetime | None
    throttled_until: datetime | None = Field(description="the receiver asked to slow down (429/5xx Retry-After)")
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


class VenueDeleted(BaseModel):
    id: str
    deleted: Literal[True] = True
    dropped_deliveries: int = Field(description="pending deliveries that will never be sent")


class Recover(Strict):
    since: datetime
    until: datetime | None = Field(default=None, description="default: now")


class VenueCreated(Venue):
    secret: str = Field(description="Standard Webhooks signing secret (whsec_…); shown once")


class SecretRotated(BaseModel):
    id: str
    secret: str
    previous_secret_valid_until: datetime | None = Field(
        description="until then every delivery carries a signature with the old secret too")


class Delivery(BaseModel):
    id: str = Field(description="the webhook-id header: the same on every try and replay")
    endpoint_id: str
    subject: str
    change_type: str
    status: Literal["pending", "delivered", "dead", "dropped"]
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_status: int | None
    latency_ms: int | None = Field(description="from the change being recorded to the receiver's 2xx")
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None = None


class DeliveryQuery(PageQuery):
    status: Literal["pending", "delivered", "dead", "dropped"] | None = None


class Replay(Strict):
    since: datetime = Field(description="every delivery created at or after this time is sent again")
    status: list[Literal["delivered", "dead"]] = ["delivered", "dead"]


class Replayed(BaseModel):
    requeued: int


class FeedQuery(Strict):
    after: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    venue_id: str | None = Field(default=None, description="whose filter applies (if the org has several venues)")


class FeedPage(BaseModel):
    items: list[Change]
    next_cursor: str = Field(description="always set: poll again with after=next_cursor")


class SubscriptionCreate(Strict):
    filter: FilterIn = FilterIn()
    query: str | None = Field(default=None, min_length=1, max_length=200,
                              description="free text: every term must appear in the listing's texts")
    channel: Literal["webhook", "inbox"] = "inbox"
    webhook_url: HttpUrl | None = None


class SubscriptionPatch(Strict):
    filter: FilterIn | None = None
    query: str | None = Field(default=None, min_length=1, max_length=200, description="null: no free text")
    webhook_url: HttpUrl | None = Field(default=None, description="channel webhook only; re-enables it")
    active: bool | None = Field(default=None, description="false: pushes stop until true again")


class SubscriptionDeleted(BaseModel):
    id: str
    deleted: Literal[True] = True


class Subscription(BaseModel):
    id: str
    org_id: str
    filter: dict[str, list[str]]
    query: str | None
    channel: str
    webhook_url: str | None = None
    active: bool
    created_at: datetime
    secret: str | None = Field(default=None, description="for channel=webhook: the signing secret, shown once")


class SubscriptionPage(BaseModel):
    items: list[Subscription]
    next_cursor: str | None = None


class InboxQuery(PageQuery):
    unread: bool | None = None


class Push(BaseModel):
    id: str
    kind: Literal["push", "notice"] = Field(description="a pushed listing, or a notice to you (e.g. a webhook disabled)")
    listing_id: str | None
    listing: dict[str, Any] | None
    notice: dict[str, Any] | None = None
    subscription_ids: list[str]
    channel: str
    read_at: datetime | None
    created_at: datetime


class InboxPage(BaseModel):
    items: list[Push]
    next_cursor: str | None = None


class FeedbackCreate(Strict):
    interest_level: int = Field(ge=1, le=5)
    cooperation: Cooperation
    comment: str = Field(default="", max_length=2000)


class PushFeedback(Identified):
    ID_FIELD: ClassVar[str] = "push_id"

    push_id: str
    listing_id: str
    from_org_id: str
    interest_level: int
    cooperation: str
    comment: str
    created_at: datetime


class PushFeedbackPage(BaseModel):
    items: list[PushFeedback]
    next_cursor: str | None = None


class EventTypeList(BaseModel):
    items: list[EventType]
    next_cursor: str | None = Field(default=None, description="always null: the catalogue is one page")
