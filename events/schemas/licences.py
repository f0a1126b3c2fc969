"""Events of the licences context (DESIGN §7).

Listings keeps an encumbrance read model from these: while an open licence is in
force, or an exclusive/sole licence is granted, no exclusive or sole licence may be
offered on the patent. The catalogue shows each declaration (``type=open_licence``)
from the patent snapshot and terms the declaration events carry, so that a document
is a function of the latest event alone.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from events.registry import EventPayload, event_type
from events.schemas.common import Money
from events.schemas.listings import PatentSnapshot
from events.topics import Topic

RoyaltyBasis = Literal["percent_of_revenue", "fixed_per_year", "lump_sum", "entry_fee_plus_rate"]
# A royalty rate travels as a decimal string (e.g. "3.50"), never a float.
Percent = Annotated[Decimal, Field(max_digits=7, decimal_places=4, gt=0, le=100),
                    PlainSerializer(lambda d: format(d.normalize(), "f"), return_type=str, when_used="json")]


class OpenLicenceTerms(BaseModel):
    """What every licensee gets (Patent Law art. 50: the declared royalty and its payment)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basis: RoyaltyBasis
    rate_percent: Percent | None = None
    amount: Money | None = None
    payment_method: str
    payment_schedule: str
    term_years: int


@event_type("psm.open_licence.declared.v1", Topic.LICENCES)
class OpenLicenceDeclared(EventPayload):
    declaration_id: str
    patent_id: str
    declarer_org_id: str
    # Optional so that events written before the licences service existed still parse.
    patent: PatentSnapshot | None = None
    terms: OpenLicenceTerms | None = None
    cnipa_announcement_no: str | None = None
    evaluation_report_no: str | None = None
    declared_at: datetime | None = None


@event_type("psm.open_licence.withdrawn.v1", Topic.LICENCES)
class OpenLicenceWithdrawn(EventPayload):
    declaration_id: str
    patent_id: str
    declarer_org_id: str | None = None
    patent: PatentSnapshot | None = None
    terms: OpenLicenceTerms | None = None
    declared_at: datetime | None = None
    withdrawn_at: datetime | None = None


@event_type("psm.licence.granted.v1", Topic.LICENCES)
class LicenceGranted(EventPayload):
    licence_id: str
    patent_id: str
    licensor_org_id: str
    licensee_org_id: str
    kind: Literal["exclusive", "sole", "ordinary"]
    effective_date: date
    open_licence_id: str | None = None
    terms: OpenLicenceTerms | None = None
    expires_on: date | None = None
    filing_due_on: date | None = None
    deal_id: str | None = None  # granted by a negotiated deal (services/deals)
    territory: str | None = None
    # A licence to a party outside CN is a technology export to register (技术出口合同登记).
    technology_export_registration: bool = False


@event_type("psm.licence.terminated.v1", Topic.LICENCES)
class LicenceTerminated(EventPayload):
    licence_id: str
    patent_id: str


@event_type("psm.licence.filed.v1", Topic.LICENCES)
class LicenceFiled(EventPayload):
    """The licence was filed (备案) with CNIPA; due within 3 months of taking effect (DESIGN §7)."""

    licence_id: str
    patent_id: str
    filing_no: str
    filed_on: date
    deal_id: str | None = None  # a licence granted by a negotiated deal


@event_type("psm.licence.contract_registered.v1", Topic.LICENCES)
class LicenceContractRegistered(EventPayload):
    """Registered as a technology contract (技术合同登记, plan item 九)."""

    licence_id: str
    patent_id: str
    registration_no: str
    registered_on: date


@event_type("psm.royalty.paid.v1", Topic.LICENCES)
class RoyaltyPaid(EventPayload):
    licence_id: str
    payment_id: str
    patent_id: str
    licensor_org_id: str
    licensee_org_id: str
    period: int
    amount: Money
    reported_revenue: Money | None = None
    due: Money
    paid: Money
    outstanding: Money


@event_type("psm.open_licence.suspended.v1", Topic.LICENCES)
class OpenLicenceSuspended(EventPayload):
    """No new acceptances while the patent's annual fee is unpaid or its proceedings are
    suspended (Implementing Regulations art. 86); licences granted stay."""

    declaration_id: str
    patent_id: str
    reason: str


@event_type("psm.open_licence.resumed.v1", Topic.LICENCES)
class OpenLicenceResumed(EventPayload):
    declaration_id: str
    patent_id: str


@event_type("psm.open_licence.ended.v1", Topic.LICENCES)
class OpenLicenceEnded(EventPayload):
    """The declaration ended without a withdrawal: the patent changed hands or stopped
    being in force. Licences granted under it stay (see services/listings/reservations.py)."""

    declaration_id: str
    patent_id: str
    reason: str
