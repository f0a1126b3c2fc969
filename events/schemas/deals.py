"""Events of the deals context: negotiated deals (协议转让, licences, 作价入股), their
export review, and the transaction certificates (交易鉴证) issued for every completed
deal, auction or open-licence licence (DESIGN §12).

Every deal event carries the deal's whole state after the change (a snapshot), so that
a read model (the statistics, a venue's copy) needs nothing but the latest event.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from events.registry import EventPayload, event_type
from events.schemas.common import Money
from events.schemas.licences import Percent, RoyaltyBasis
from events.schemas.listings import Mode, PatentSnapshot
from events.schemas.register import _Requested
from events.topics import Topic

DealStatus = Literal["proposed", "countered", "agreeing", "agreed", "pending_export_review", "paid", "recorded",
                     "refused", "export_refused", "cancelled", "expired"]
Party = Literal["owner", "counterparty"]


class DealRoyalty(BaseModel):
    """A licence's royalty: the same bases as an open licence (DESIGN §7)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basis: RoyaltyBasis
    rate_percent: Percent | None = None
    amount: Money | None = None


class DealTerms(BaseModel):
    """What the parties agree on. A transfer has a price; a licence a royalty, a territory
    and a term; an equity contribution (作价入股) a valuation and the share it buys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    price: Money | None = None
    royalty: DealRoyalty | None = None
    territory: str | None = None
    term_years: int | None = None
    valuation: Money | None = None
    equity_share_percent: Percent | None = None
    payment_method: str | None = None
    payment_schedule: str | None = None

    def contract_value(self) -> Money | None:
        """The amount a technology contract registers: the price, the valuation, or a
        licence's fixed amount (a rate alone has no value until revenue is reported)."""
        if self.price is not None:
            return self.price
        if self.valuation is not None:
            return self.valuation
        return self.royalty.amount if self.royalty is not None else None


class DealSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    deal_id: str
    kind: Mode
    status: DealStatus
    owner_org_id: str  # the patents' owner: seller or licensor
    counterparty_org_id: str  # buyer, licensee or the company taking the contribution
    counterparty_country: str
    proposed_by: Party
    listing_id: str | None = None
    patent_ids: list[str]
    patents: list[PatentSnapshot] = []
    terms: DealTerms
    version: int
    confirmed_by: list[Party] = []
    export_review: Literal["not_required", "pending", "approved", "refused"] = "not_required"
    technology_export_registration: bool = False  # a licence abroad: 技术出口合同登记
    agreed_at: datetime | None = None
    paid_at: datetime | None = None
    recorded_at: datetime | None = None
    ended_at: datetime | None = None
    created_at: datetime
    expires_at: datetime


class _DealEvent(EventPayload):
    deal: DealSnapshot


@event_type("psm.deal.proposed.v1", Topic.DEALS)
class DealProposed(_DealEvent):
    pass


@event_type("psm.deal.countered.v1", Topic.DEALS)
class DealCountered(_DealEvent):
    """New terms from one party: every earlier confirmation lapses."""


@event_type("psm.deal.confirmed.v1", Topic.DEALS)
class DealConfirmed(_DealEvent):
    """One party confirmed the current terms (the other has not yet)."""


@event_type("psm.deal.reservation_requested.v1", Topic.DEALS)
class DealReservationRequested(_Requested):
    """Both parties confirmed: the register is asked to reserve the patents for the deal."""


@event_type("psm.deal.agreed.v1", Topic.DEALS)
class DealAgreed(_DealEvent):
    """Both parties confirmed and the register reserved the patents: a contract."""


@event_type("psm.deal.refused.v1", Topic.DEALS)
class DealRefused(_DealEvent):
    rule: str
    detail: str


@event_type("psm.deal.export_review_requested.v1", Topic.DEALS)
class DealExportReviewRequested(_DealEvent):
    """A transfer to a party outside CN (知识产权对外转让审查) waits for the operator."""


@event_type("psm.deal.export_review_decided.v1", Topic.DEALS)
class DealExportReviewDecided(_DealEvent):
    approved: bool
    reasons: str
    documents: list[str] = []


@event_type("psm.deal.paid.v1", Topic.DEALS)
class DealPaid(_DealEvent):
    """Payment confirmed: the deal is complete. A transfer or equity contribution moves
    ownership (the register); a licence is granted (the licences context)."""

    payment_reference: str | None = None


@event_type("psm.deal.recorded.v1", Topic.DEALS)
class DealRecorded(_DealEvent):
    """CNIPA recorded the transfer (著录项目变更) or the licence (备案)."""


@event_type("psm.deal.cancelled.v1", Topic.DEALS)
class DealCancelled(_DealEvent):
    reason: str | None = None


@event_type("psm.deal.expired.v1", Topic.DEALS)
class DealExpired(_DealEvent):
    pass


@event_type("psm.deal.contract_registered.v1", Topic.DEALS)
class DealContractRegistered(_DealEvent):
    """Registered as a technology contract (技术合同登记)."""

    registration_no: str
    registered_on: date


CertificateSubject = Literal["deal", "auction", "open_licence_licence"]


@event_type("psm.certificate.issued.v1", Topic.DEALS)
class CertificateIssued(EventPayload):
    """A transaction certificate (交易鉴证) for a completed deal, auction or open-licence licence."""

    certificate_id: str
    code: str
    subject: CertificateSubject
    subject_id: str
    issued_at: datetime

