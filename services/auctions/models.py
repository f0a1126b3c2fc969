"""Request and response bodies of the auctions API."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.schemas.common import Money
from services.runtime.http.pagination import PageQuery
from services.runtime.models import Strict


class Extension(Strict):
    window_s: int = Field(default=0, ge=0, le=3600, description="a bid this close to the end extends it")
    extend_s: int = Field(default=0, ge=0, le=3600, description="…to now + extend_s")


class AuctionTerms(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    start_price: Money
    reserve_price: Money | None = None
    increment: Money
    deposit: Money
    extension: Extension = Extension()


class AuctionCreate(AuctionTerms):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"listing_id": "lst_0123456789abcdef", "starts_at": "2026-12-10T02:00:00Z", "ends_at": "2026-12-10T04:00:00Z", "start_price": {"amount": "500000.00", "currency": "CNY"}, "increment": {"amount": "10000.00", "currency": "CNY"}, "deposit": {"amount": "50000.00", "currency": "CNY"}, "extension": {"window_s": 300, "extend_s": 300}}]})

    listing_id: str


class Relist(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    start_price: Money | None = Field(default=None, description="default: the last start price less discount_percent")
    discount_percent: int = Field(default=15, ge=0, le=90)
    reserve_price: Money | None = None
    increment: Money | None = None
    deposit: Money | None = None
    extension: Extension | None = None


class MyRegistration(BaseModel):
    id: str
    deposit_status: str


class AuctionView(BaseModel):
    id: str
    listing_id: str
    status: str
    starts_at: datetime
    ends_at: datetime
    start_price: Money
    increment: Money
    deposit: Money
    current_price: Money | None
    bid_count: int
    reserve_met: bool
    leading: bool = Field(description="whether the caller is the leading bidder")
    extension: Extension
    relisted_from: str | None
    my_registration: MyRegistration | None = None
    final_price: Money | None = None
    disposes: str | None = Field(default=None, description="质物处置: the pledge this sale disposes of")
    beneficiary_org_id: str | None = Field(default=None, description="the pledgee, paid first from the proceeds")
    priority_holders: list[str] = Field(default=[], description="holders of a priority purchase right: at an equal "
                                        "price, one of them wins")


class BidCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": {"amount": "510000.00", "currency": "CNY"}, "max_amount": {"amount": "600000.00", "currency": "CNY"}}]})

    amount: Money
    max_amount: Money | None = Field(default=None, description="proxy bid: the system bids for you up to this")


class BidView(BaseModel):
    id: str
    amount: Money
    sequence: int
    placed_at: datetime
    proxy: bool
    bidder: str = Field(description="masked for everyone but the operator and the bidder itself")


class BidPage(BaseModel):
    items: list[BidView]
    next_cursor: str | None


class Registration(BaseModel):
    id: str
    auction_id: str
    bidder_org_id: str
    deposit_status: str
    created_at: datetime


class ExportDecision(Strict):
    approve: bool


class AuctionQuery(PageQuery):
    status: str | None = Field(default=None, description="e.g. open, scheduled, closed_won, settled")
    listing_id: str | None = None
    ends_after: AwareDatetime | None = None
    ends_before: AwareDatetime | None = None
    mine: bool = Field(default=False, description="only auctions the caller sells or is registered for")


class AuctionPage(BaseModel):
    items: list[AuctionView]
    next_cursor: str | None


class RegistrationPage(BaseModel):
    items: list[Registration]
    next_cursor: str | None
