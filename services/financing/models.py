"""Request and response bodies of the financing API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.schemas.common import Money
from events.schemas.financing import ConsentScope, PledgeKind, PledgeSnapshot, PledgeStatus
from events.schemas.licences import Percent
from services.runtime.http.pagination import PageQuery
from services.runtime.models import Identified, Refusal, Strict


class LoanIn(Strict):
    amount: Money
    term_months: int = Field(ge=1, le=360)
    rate_percent: Percent = Field(description="a year, e.g. \"3.45\"")


class PledgeCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kind": "patent", "pledgee_org_id": "org_0123456789abcdef", "patent_ids": ["pat_0123456789abcdef"], "loan": {"amount": {"amount": "5000000.00", "currency": "CNY"}, "term_months": 24, "rate_percent": "3.45"}, "guaranteed": True}]})

    kind: PledgeKind = "patent"
    pledgee_org_id: str = Field(description="the financier (an organisation of kind financier)")
    patent_ids: list[str] = Field(default=[], max_length=50, description="a patent pledge: one patent or a portfolio")
    licence_ids: list[str] = Field(default=[], max_length=50,
                                   description="a licence-income pledge (许可收益权质押): the licences whose royalties")
    loan: LoanIn
    valuation_id: str | None = Field(default=None, description="a valuation recorded for one of the patents")
    guaranteed: bool = False
    insured: bool = False
    co_owner_consents: list[str] = Field(default=[], max_length=20, description="co-owners who consented (art. 14)")


class Registration(Strict):
    registration_no: str = Field(min_length=1, max_length=100, description="CNIPA 专利权质押登记 number")
    registered_on: date | None = Field(default=None, description="default: today")


class ConsentIn(Strict):
    scope: ConsentScope = Field(description="transfer | open_licence | licence (of the pledged patents)")


class DisposalCreate(Strict):
    """质物处置 by auction: the terms of the first auction, and holders of a priority purchase
    right (co-owners are added whether named or not)."""

    starts_at: datetime
    ends_at: datetime
    start_price: Money
    increment: Money
    deposit: Money
    priority_holders: list[str] = Field(default=[], max_length=20)


class Step(BaseModel):
    step: str
    at: datetime
    by_org_id: str | None


class LedgerLine(BaseModel):
    payment_id: str
    licence_id: str
    paid: Money
    to_pledgee: Money
    to_licensor: Money
    at: datetime


class PledgeView(Identified, PledgeSnapshot):
    ID_FIELD: ClassVar[str] = "pledge_id"

    refusal: Refusal | None = None
    disposal: dict | None = Field(default=None, description="质物处置: the auction, the priority holders, and once "
                                  "sold the settlement statement {auction_id, price, to_pledgee, to_pledgor}")
    secured_remaining: Money | None = Field(default=None, description="licence income still owed to the pledgee")
    ledger: list[LedgerLine] = Field(description="licence-income pledges: each royalty payment, split")
    history: list[Step]


class PledgeQuery(PageQuery):
    role: Literal["pledgor", "pledgee"] | None = None
    status: PledgeStatus | None = None


class PledgePage(BaseModel):
    items: list[PledgeView]
    next_cursor: str | None


class ValuationCreate(Strict):
    evaluator: str = Field(min_length=1, max_length=200, description="the valuation firm")
    method: Literal["income", "market", "cost"] = Field(description="GB/T 42748-2023: 收益法, 市场法, 成本法")
    value: Money
    valued_on: date
    report_ref: str = Field(min_length=1, max_length=200, description="the report's reference number")


class Valuation(BaseModel):
    id: str
    patent_id: str
    evaluator: str
    method: str
    value: Money
    valued_on: date
    report_ref: str
    recorded_by: str
    created_at: datetime


class ValuationList(BaseModel):
    items: list[Valuation]


class FactorView(BaseModel):
    name: str
    weight: int
    value: Decimal = Field(description="0 … 1")
    contribution: Decimal = Field(description="weight × value")
    evidence: str


class Indicators(BaseModel):
    """The value-degree score (价值度), 0 … 100: the sum of the factors' contributions."""

    patent_id: str
    score: Decimal
    factors: list[FactorView]
    latest_valuation: Valuation | None
