"""Events of the platform context: organisations, their API keys and mandates."""

from __future__ import annotations

from typing import Literal

from events.registry import EventPayload, event_type
from events.topics import Topic

OrgKind = Literal["institution", "enterprise", "venue", "agency", "financier", "operator"]
SubKind = Literal["university", "research_institute", "hospital", "other"]


@event_type("psm.org.registered.v1", Topic.PLATFORM)
class OrgRegistered(EventPayload):
    org_id: str
    kind: OrgKind
    sub_kind: SubKind | None = None
    name: str
    country: str
    uscc: str | None = None


@event_type("psm.org.key_issued.v1", Topic.PLATFORM)
class OrgKeyIssued(EventPayload):
    org_id: str
    key_id: str


@event_type("psm.org.key_revoked.v1", Topic.PLATFORM)
class OrgKeyRevoked(EventPayload):
    org_id: str
    key_id: str


@event_type("psm.org.mandate_granted.v1", Topic.PLATFORM)
class OrgMandateGranted(EventPayload):
    org_id: str
    venue_id: str


@event_type("psm.org.mandate_revoked.v1", Topic.PLATFORM)
class OrgMandateRevoked(EventPayload):
    org_id: str
    venue_id: str
