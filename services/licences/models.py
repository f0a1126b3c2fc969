"""Request and response bodies of the licences API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from events.schemas.common import Money
from events.schemas.licences import OpenLicenceTerms, Percent, RoyaltyBasis
from events.schemas.listings import PatentSnapshot
from services.runtime.http.pagination import PageQuery
from services.runtime.models import Refusal, Strict


class RoyaltyIn(Strict):
    basis: RoyaltyBasis
    rate_percent: Percent | None = Field(default=None, description="of reported revenue, e.g. \"3.5\" "
                                         "(percent_of_revenue, entry_fee_plus_rate)")
    amount: Money | None = Field(default=None, description="yearly, lump-sum or entry-fee amount "
                                 "(fixed_per_year, lump_sum, entry_fee_plus_rate)")


class PaymentTerms(Strict):
    method: str = Field(min_length=1, max_length=100, description="e.g. bank_transfer")
    schedule: str = Field(min_length=1, max_length=200, description="e.g. annually within 30 days of year end")


class DeclarationCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"patent_id": "pat_0123456789abcdef", "royalty": {"basis": "entry_fee_plus_rate", "rate_percent": "3.5", "amount": {"amount": "50000.00", "currency": "CNY"}}, "payment": {"method": "bank_transfer", "schedule": "annually, within 30 days of the year end"}, "term_years": 5}]})

    patent_id: str
    royalty: RoyaltyIn
    payment: PaymentTerms
    term_years: int = Field(ge=1, le=20)
    cnipa_announcement_no: str | None = Field(default=None, max_length=100)
    evaluation_report_no: str | None = Field(default=None, max_length=100,
                                             description="专利权评价报告 number: required for utility models and designs")
    co_owner_consents: list[str] = Field(default=[], max_length=20, description="co-owners who consented")
    pledgee_consents: list[str] = Field(default=[], max_length=20, description="pledgees who consented, for the "
                                        "record: the register reads the consent each pledgee recorded "
                                        "(POST /v1/pledges/{id}/consents)")


class Withdrawal(Strict):
    co_owner_consents: list[str] = Field(default=[], max_length=20)


class Acceptance(Strict):
    licensee_org_id: str | None = Field(default=None, description="default: the caller (the operator may name any "
                                        "organisation)")


class Filing(Strict):
    filing_no: str = Field(min_length=1, max_length=100, description="CNIPA filing (备案) number")
    filed_on: date | None = Field(default=None, description="default: today")


class PaymentCreate(Strict):
    period: int = Field(ge=1985, le=2200, description="the calendar year paid for")
    reported_revenue: Money | None = Field(default=None, description="the period's revenue (percentage bases)")
    amount: Money


DeclarationStatus = Literal["pending", "in_force", "suspended", "withdrawn", "ended", "refused"]


class Declaration(BaseModel):
    id: str
    patent_id: str
    declarer_org_id: str
    # pending: the patent register has not decided yet (a 202 answer); refused: see
    # ``refusal``; suspended: no acceptances while the patent's fee is unpaid or its
    # proceedings are suspended; ended: the patent changed hands or left force.
    status: DeclarationStatus
    terms: OpenLicenceTerms
    cnipa_announcement_no: str | None
    evaluation_report_no: str | None
    co_owner_consents: list[str]
    pledgee_consents: list[str]
    patent: PatentSnapshot
    declared_at: datetime
    withdrawn_at: datetime | None
    refusal: Refusal | None = None
    ended_reason: str | None = None


class DeclarationQuery(PageQuery):
    patent_id: str | None = None
    status: DeclarationStatus | None = None


class DeclarationPage(BaseModel):
    items: list[Declaration]
    next_cursor: str | None


class PeriodBalance(BaseModel):
    period: int
    reported_revenue: Money | None
    due: Money
    paid: Money
    outstanding: Money


class Payment(BaseModel):
    id: str
    licence_id: str
    period: int
    amount: Money
    reported_revenue: Money | None
    paid_at: datetime


class PaymentReceipt(BaseModel):
    payment: Payment
    balance: PeriodBalance


class ContractRegistration(Strict):
    registration_no: str = Field(min_length=1, max_length=100, description="技术合同登记 number")
    registered_on: date | None = Field(default=None, description="default: today")


class Licence(BaseModel):
    id: str
    kind: Literal["exclusive", "sole", "ordinary"]
    open_licence_id: str | None = Field(description="the open licence accepted (or null: granted by ``deal_id``)")
    deal_id: str | None = None
    territory: str | None = None
    technology_export_registration: bool = Field(default=False, description="a licence to a party outside CN: a "
                                                 "technology export to register (技术出口合同登记)")
    contract_registration_no: str | None = None
    contract_registered_on: date | None = None
    patent_id: str
    licensor_org_id: str
    licensee_org_id: str
    terms: OpenLicenceTerms
    status: Literal["active", "expired"]
    effective_date: date
    expires_on: date
    filing_status: Literal["filing_due", "filing_overdue", "filed"]
    filing_due_on: date
    filed_on: date | None
    filing_no: str | None
    royalties: list[PeriodBalance] = Field(description="each period with a payment or a reported revenue")
    paid: Money
    payments: list[Payment]
    created_at: datetime


LicenceStatus = Literal["active", "expired", "filing_due", "filing_overdue", "filed"]


class LicenceQuery(PageQuery):
    status: LicenceStatus | None = None
    role: Literal["licensor", "licensee"] | None = None


class LicencePage(BaseModel):
    items: list[Licence]
    next_cursor: str | None
