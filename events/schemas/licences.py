"""Events of the licences context that other contexts react to (DESIGN §7).

Listings keeps an encumbrance read model from these: while an open licence is in
force, or an exclusive/sole licence is granted, no exclusive or sole licence may be
offered on the patent.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from events.registry import EventPayload, event_type
from events.topics import Topic


@event_type("psm.open_licence.declared.v1", Topic.LICENCES)
class OpenLicenceDeclared(EventPayload):
    declaration_id: str
    patent_id: str
    declarer_org_id: str


@event_type("psm.open_licence.withdrawn.v1", Topic.LICENCES)
class OpenLicenceWithdrawn(EventPayload):
    declaration_id: str
    patent_id: str


@event_type("psm.licence.granted.v1", Topic.LICENCES)
class LicenceGranted(EventPayload):
    licence_id: str
    patent_id: str
    licensor_org_id: str
    licensee_org_id: str
    kind: Literal["exclusive", "sole", "ordinary"]
    effective_date: date
    open_licence_id: str | None = None


@event_type("psm.licence.terminated.v1", Topic.LICENCES)
class LicenceTerminated(EventPayload):
    licence_id: str
    patent_id: str
