"""Pledges of patents (专利权质押, registered with CNIPA): facts of the patent register.

Keyed by the pledge id, not the patent id: the pledge is its own aggregate, and its
sequence must not mix with the patent's own events on the same topic.
"""

from __future__ import annotations

from events.registry import EventPayload, event_type
from events.topics import Topic


@event_type("psm.patent.pledged.v1", Topic.LISTINGS)
class PatentPledged(EventPayload):
    patent_id: str
    pledge_id: str
    pledgee_org_id: str


@event_type("psm.patent.pledge_released.v1", Topic.LISTINGS)
class PatentPledgeReleased(EventPayload):
    patent_id: str
    pledge_id: str
    pledgee_org_id: str
