"""Request and response bodies of the deals API."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from events.schemas.common import Money
from events.schemas.deals import CertificateSubject, DealSnapshot, DealStatus
from events.schemas.licences import Percent, RoyaltyBasis
from events.schemas.listings import Mode
from services.runtime.http.pagination import PageQuery
from services.runtime.models import Identified, Refusal, Strict


class RoyaltyIn(Strict):
    basis: RoyaltyBasis
    rate_percent: Percent | None = Field(default=None, description="of reported revenue, e.g. \"3.5\"")
    amount: Money | None = Field(default=None, description="yearly, lump-sum or entry-fee amount")


class TermsIn(Strict):
    price: Money | None = Field(default=None, description="transfer: the price")
    royalty: RoyaltyIn | None = Field(default=None, description="licences: the royalty (open-licence bases)")
    territory: str | None = Field(default=None, min_length=1, max_length=200, description="licences, e.g. 中国大陆")
    term_years: int | None = Field(default=None, ge=1, le=20, description="licences: the term")
    valuation: Money | None = Field(default=None, description="equity (作价入股): the patents' agreed value")
    equity_share_percent: Percent | None = Field(default=None, description="equity: the share of the company")
    payment_method: str | None = Field(default=None, min_length=1, max_length=100)
    payment_schedule: str | None = Field(default=None, min_length=1, max_length=200)


class DealCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kind": "exclusive_licence", "listing_id": "lst_0123456789abcdef", "terms": {"royalty": {"basis": "percent_of_revenue", "rate_percent": "4"}, "territory": "中国大陆", "term_years": 5}}]})

    kind: Mode
    listing_id: str | None = Field(default=None, description="the supply listing offering the patents, or the "
                                   "demand listing the deal answers")
    patent_ids: list[str] = Field(default=[], max_length=20, description="default: the supply listing's patents")
    counterparty_org_id: str | None = Field(default=None, description="required when the owner proposes; a "
                                            "counterparty proposes for itself (or, answering a demand listing, "
                                            "its owner is the counterparty)")
    terms: TermsIn
    negotiation_days: int = Field(default=30, ge=1, le=180, description="the proposal lapses unless agreed within")
    co_owner_consents: list[str] = Field(default=[], max_length=20, description="co-owners who consented to a "
                                         "transfer, equity contribution or exclusive/sole licence (Patent Law art. 14)")


class Counter(Strict):
    version: int = Field(ge=1, description="the version of the terms this answers (optimistic concurrency)")
    terms: TermsIn


class Confirmation(Strict):
    version: int = Field(ge=1, description="the version of the terms confirmed")


class Cancellation(Strict):
    reason: str | None = Field(default=None, max_length=500)


class ExportDecision(Strict):
    approve: bool
    reasons: str = Field(min_length=1, max_length=2000)
    documents: list[str] = Field(default=[], max_length=20, description="document references (e.g. 审查意见 numbers)")


class PaymentConfirmation(Strict):
    payment_reference: str | None = Field(default=None, max_length=200, description="the bank's or escrow's reference")


class PaymentCallback(Strict):
    """What the payment provider confirms, signed per Standard Webhooks with the secret the
    operator configured (headers webhook-id, webhook-timestamp, webhook-signature)."""

    payment_reference: str = Field(min_length=1, max_length=200)
    amount: Money = Field(description="what was paid: the deal's contract value")


class ContractRegistration(Strict):
    registration_no: str = Field(min_length=1, max_length=100, description="技术合同登记 number")
    registered_on: date | None = Field(default=None, description="default: today")


class Step(BaseModel):
    step: str
    at: datetime
    by_org_id: str | None
    version: int


class DealView(Identified, DealSnapshot):
    ID_FIELD: ClassVar[str] = "deal_id"

    refusal: Refusal | None = None
    payment_reference: str | None = None
    licence_id: str | None = None
    recording_due_on: date | None = None
    unrecorded_patent_ids: list[str] = []
    contract_registration_no: str | None = None
    contract_registered_on: date | None = None
    certificate_code: str | None = None
    history: list[Step]


class DealQuery(PageQuery):
    role: Literal["owner", "counterparty"] | None = None
    status: DealStatus | None = None
    kind: Mode | None = None


class DealPage(BaseModel):
    items: list[DealView]
    next_cursor: str | None


class CertificateParty(BaseModel):
    role: str
    org_id: str
    name: str | None
    country: str | None


class CertificatePatent(BaseModel):
    patent_id: str
    number: str
    title: str


class CertificateView(BaseModel):
    """What a printed certificate states, for anyone holding its code to compare."""

    code: str
    subject: CertificateSubject
    subject_id: str
    parties: list[CertificateParty]
    patents: list[CertificatePatent]
    terms: dict
    history: list[dict]
    issued_at: datetime
    valid: Literal[True] = True


class CertificateQuery(Strict):
    subject: CertificateSubject
    subject_id: str = Field(min_length=1, max_length=100)


class CertificateList(BaseModel):
    items: list[CertificateView]


class PdfFile(RootModel[bytes]):
    """A PDF document (application/pdf): the printable certificate."""
