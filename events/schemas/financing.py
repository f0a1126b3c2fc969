"""Events of the financing context: patent pledges (专利权质押), licence-income pledges
(许可收益权质押), the pledgee's consents, valuations (DESIGN §12a).

A patent pledge is an encumbrance the patent register holds (it asks with
``psm.pledge.reservation_requested.v1``, events/schemas/register.py); the pledgee's
consents to a transfer or an open-licence declaration are recorded by the register from
``psm.pledge.consent_given.v1`` / ``…consent_revoked.v1`` (Civil Code art. 444;
Implementing Regulations art. 86). Every pledge event carries the pledge's whole state.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from events.registry import EventPayload, event_type
from events.schemas.common import Money
from events.schemas.licences import Percent
from events.topics import Topic

PledgeKind = Literal["patent", "licence_income"]
PledgeStatus = Literal["proposed", "reserving", "in_force", "refused", "released", "defaulted", "disposing",
                       "disposed", "cancelled"]
ConsentScope = Literal["transfer", "open_licence", "licence"]


class Loan(BaseModel):
    """The secured loan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Money
    term_months: int
    rate_percent: Percent


class PledgeSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pledge_id: str
    kind: PledgeKind
    status: PledgeStatus
    pledgor_org_id: str
    pledgee_org_id: str
    patent_ids: list[str] = []
    licence_ids: list[str] = []  # a licence-income pledge: the licences whose royalties are pledged
    loan: Loan
    valuation_id: str | None = None
    guaranteed: bool = False
    insured: bool = False
    consents: list[ConsentScope] = []
    registration_no: str | None = None  # CNIPA 质押登记
    registered_on: date | None = None
    attributed: Money | None = None  # licence income attributed to the pledgee so far
    created_at: datetime
    effective_at: datetime | None = None
    ended_at: datetime | None = None


class _PledgeEvent(EventPayload):
    pledge: PledgeSnapshot


@event_type("psm.pledge.proposed.v1", Topic.FINANCING)
class PledgeProposed(_PledgeEvent):
    pass


@event_type("psm.pledge.in_force.v1", Topic.FINANCING)
class PledgeInForce(_PledgeEvent):
    """The financier confirmed and (a patent pledge) the register holds it."""


@event_type("psm.pledge.refused.v1", Topic.FINANCING)
class PledgeRefused(_PledgeEvent):
    rule: str
    detail: str


@event_type("psm.pledge.registered.v1", Topic.FINANCING)
class PledgeRegistered(_PledgeEvent):
    """Registered with CNIPA (专利权质押登记)."""


@event_type("psm.pledge.consent_given.v1", Topic.FINANCING)
class PledgeConsentGiven(EventPayload):
    pledge_id: str
    pledgee_org_id: str
    patent_ids: list[str]
    scope: ConsentScope
    consents: list[ConsentScope]  # every scope consented to now


@event_type("psm.pledge.consent_revoked.v1", Topic.FINANCING)
class PledgeConsentRevoked(EventPayload):
    """Withdrawn for what has not been done yet: a transfer or declaration made with the
    consent stands (the consent is not retroactive either way)."""

    pledge_id: str
    pledgee_org_id: str
    patent_ids: list[str]
    scope: ConsentScope
    consents: list[ConsentScope]


@event_type("psm.pledge.defaulted.v1", Topic.FINANCING)
class PledgeDefaulted(_PledgeEvent):
    pass


@event_type("psm.pledge.cancelled.v1", Topic.FINANCING)
class PledgeCancelled(_PledgeEvent):
    pass


@event_type("psm.pledge.royalty_attributed.v1", Topic.FINANCING)
class RoyaltyAttributed(EventPayload):
    """A royalty paid under a pledged licence, split between the pledgee (until the secured
    amount is covered) and the licensor."""

    pledge_id: str
    licence_id: str
    payment_id: str
    to_pledgee: Money
    to_licensor: Money
    covered: Money  # attributed to the pledgee so far
    remaining: Money


@event_type("psm.patent.valued.v1", Topic.FINANCING)
class PatentValued(EventPayload):
    """A valuation report (专利评估, GB/T 42748-2023) recorded for a patent."""

    valuation_id: str
    patent_id: str
    evaluator: str
    method: Literal["income", "market", "cost"]
    value: Money
    valued_on: date
    report_ref: str


class DisposalTerms(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    starts_at: datetime
    ends_at: datetime
    start_price: Money
    increment: Money
    deposit: Money


@event_type("psm.pledge.disposal_requested.v1", Topic.FINANCING)
class PledgeDisposalRequested(_PledgeEvent):
    """质物处置: the pledgee puts the pledged patents up for auction (the auctions context
    holds it), priority purchase holders named (e.g. co-owners)."""

    terms: DisposalTerms
    priority_holders: list[str] = []


class SettlementStatement(BaseModel):
    """How a disposal's proceeds are split: the pledgee first, up to the secured loan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auction_id: str
    price: Money
    to_pledgee: Money
    to_pledgor: Money


@event_type("psm.pledge.disposed.v1", Topic.FINANCING)
class PledgeDisposed(_PledgeEvent):
    statement: SettlementStatement
