"""Request and response bodies of the statistics API."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, RootModel

from events.schemas.common import Amount
from services.runtime.models import Strict


class DealStatsQuery(Strict):
    from_: date | None = Field(default=None, alias="from", description="first day (default: 1 January of last year)")
    to: date | None = Field(default=None, description="last day (default: today, UTC)")
    interval: Literal["month", "quarter", "year"] = "month"
    group_by: Literal["mode", "channel", "owner_kind", "owner_sub_kind", "industry", "region"] = "mode"
    currency: Literal["CNY", "USD", "EUR", "HKD", "JPY", "GBP"] = Field(
        default="CNY", description="the currency of the deals counted (amounts are never converted)")


class Figures(BaseModel):
    deals: int = Field(description="completed deals (transfers, licences incl. open licences, equity contributions)")
    amount: Amount = Field(description="their contract value")
    royalties: Amount = Field(description="royalties received in the period")


class Growth(BaseModel):
    """Against the same period a year earlier: (now − then) / then, or null when then was nothing."""

    deals: str | None
    amount: str | None
    royalties: str | None


class Group(Figures):
    key: str
    label: str | None = None
    year_earlier: Figures
    growth: Growth


class Period(BaseModel):
    period: str = Field(description="2025-03, 2025-Q1 or 2025")
    start: date
    end: date = Field(description="last day of the period within the range asked")
    total: Figures
    total_year_earlier: Figures
    total_growth: Growth
    groups: list[Group]


class YearTarget(BaseModel):
    year: int
    through: date = Field(description="the last day counted: a year still running is compared with the same "
                                      "days of the year before")
    institution_deals: int = Field(description="deals of Shanghai's universities and research institutes")
    institution_deals_year_earlier: int
    institution_growth: str | None
    institution_growth_target: str = "0.20"
    institution_growth_met: bool | None
    city_contract_value: Amount = Field(description="contract value of deals by Shanghai owners (CNY)")
    city_contract_value_target: Amount = Field(description="1500亿元")
    city_contract_value_progress: str


class DealStats(BaseModel):
    from_: date = Field(alias="from")
    to: date
    interval: str
    group_by: str
    currency: str
    periods: list[Period]
    targets: list[YearTarget] = Field(description="plan 沪府办发〔2024〕7号 item 六, for each year of the range (CNY)")

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class CsvFile(RootModel[str]):
    """The same figures as CSV (Accept: text/csv): one row per period and group."""


class MarketQuery(Strict):
    limit: int = Field(default=50, ge=1, le=1000, description="institutions listed (most patents first)")


class InstitutionInventory(BaseModel):
    org_id: str
    name: str
    sub_kind: str | None
    region: str
    patents_registered: int
    patents_listed: int
    patents_transacted: int
    listed_share: str = Field(description="listed / registered (the plan's stock-taking, item 一)")


class MarketStats(BaseModel):
    patents_registered: int
    patents_listed: int
    patents_transacted: int
    listings_published: int
    roadshow_leads: int
    pushes_delivered: int
    institutions: list[InstitutionInventory]


class PledgeStatsQuery(Strict):
    from_: date | None = Field(default=None, alias="from", description="first day (default: 1 January of last year)")
    to: date | None = Field(default=None, description="last day (default: today, UTC)")
    interval: Literal["month", "quarter", "year"] = "month"
    currency: Literal["CNY", "USD", "EUR", "HKD", "JPY", "GBP"] = "CNY"


class PledgePeriod(BaseModel):
    period: str
    start: date
    end: date
    pledges: int = Field(description="pledges that came into force (patents and licence income)")
    amount: Amount = Field(description="the loans they secure")
    smes: int = Field(description="distinct enterprises among their pledgors (the plan's SMEs served)")


class PledgeStats(BaseModel):
    from_: date = Field(alias="from")
    to: date
    interval: str
    currency: str
    periods: list[PledgePeriod]
    pledges: int
    amount: Amount
    smes: int
    outstanding: Amount = Field(description="loans secured by pledges in force (or defaulted) on the last day")
    amount_target: Amount = Field(description="item 二十五: 300亿元 registered")
    sme_target: int = Field(description="item 二十五: 2000 SMEs served")

    model_config = {"populate_by_name": True, "serialize_by_alias": True}
