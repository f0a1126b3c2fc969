"""Query strings and responses of the catalogue API (pure pydantic, no I/O)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from events.schemas.common import Money
from search.documents import SEARCHABLE_STATUSES
from services.runtime.codes import NotAnIpcSymbol, normalize_ipc
from search.mappings import TYPES
from services.runtime.http.pagination import MAX_LIMIT

MODES = ("transfer", "exclusive_licence", "sole_licence", "ordinary_licence", "equity")
STAGES = ("lab", "prototype", "pilot", "mass_production")
OWNER_KINDS = ("institution", "enterprise", "venue", "agency", "financier", "operator")
Sort = Literal["relevance", "newest", "price_asc", "price_desc", "ending_soon"]

_IPC_PREFIX = re.compile(r"^([A-H])(\d{2}([A-Z](\s*\d{1,4}(\s*/\s*\d{2,6})?)?)?)?$")
_INDUSTRY = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")
_REGION = re.compile(r"^\d{6}$")


def _split(v: object) -> object:
    """``?mode=transfer,equity`` → ["transfer", "equity"] (a query string holds one value per name here)."""
    if isinstance(v, str):
        return [part.strip() for part in v.split(",") if part.strip()]
    return v


def _one_of(allowed: tuple[str, ...]):
    def check(values: list[str]) -> list[str]:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(f"{', '.join(bad)} not in {', '.join(allowed)}")
        return values

    return check


CsvList = Annotated[list[str], BeforeValidator(_split), Field(max_length=20)]


def ipc_filter_term(raw: str) -> tuple[str, str]:
    """The index field and value for one ``?ipc=`` prefix: H → section, H01 → class,
    H01M → subclass, ``H01M 10`` or ``H01M 10/00`` → main group, ``H01M 10/0525`` → group."""
    text = re.sub(r"\s+", " ", raw.strip().upper())
    if not _IPC_PREFIX.match(text):
        raise ValueError(f"{raw!r} is not an IPC section, class, subclass or group (e.g. H, H01, H01M, H01M 10/0525)")
    compact = text.replace(" ", "")
    if len(compact) == 1:
        return "ipc_section", compact
    if len(compact) == 3:
        return "ipc_class", compact
    if len(compact) == 4:
        return "ipc_subclass", compact
    if "/" not in compact:
        return "ipc_main_group", f"{compact[:4]} {int(compact[4:])}/00"
    try:
        symbol = normalize_ipc(compact)
    except NotAnIpcSymbol as e:
        raise ValueError(str(e)) from None
    return ("ipc_main_group" if symbol.endswith("/00") else "ipc_group"), symbol


class SearchQuery(BaseModel):
    """``GET /v1/catalogue/search``. List filters take comma-separated values (any of them);
    different filters must all hold."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(default=None, max_length=200, description="Full text, Chinese or English")
    type: CsvList = Field(default=[], description=f"any of {', '.join(TYPES)}")
    ipc: CsvList = Field(default=[], description="IPC prefixes: H, H01, H01M, H01M 10/00, H01M 10/0525")
    industry: CsvList = Field(default=[], description="GB/T 4754 codes at any level: C, C38, C384")
    region: CsvList = Field(default=[], description="GB/T 2260 codes: 310000 (province), 310100, 310115")
    mode: CsvList = Field(default=[], description=f"any of {', '.join(MODES)}")
    stage: CsvList = Field(default=[], description=f"any of {', '.join(STAGES)}")
    status: CsvList = Field(default=[], description="default: published, reserved, sold; also withdrawn, expired")
    owner_kind: CsvList = Field(default=[], description=f"any of {', '.join(OWNER_KINDS)}")
    open_licence: bool | None = None
    price_min: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    price_max: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    sort: Sort = "relevance"
    cursor: str | None = None
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)

    _types = field_validator("type")(_one_of(TYPES))
    _modes = field_validator("mode")(_one_of(MODES))
    _stages = field_validator("stage")(_one_of(STAGES))
    _statuses = field_validator("status")(_one_of(SEARCHABLE_STATUSES))
    _owner_kinds = field_validator("owner_kind")(_one_of(OWNER_KINDS))

    @field_validator("q")
    @classmethod
    def _q(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("ipc")
    @classmethod
    def _ipc(cls, values: list[str]) -> list[str]:
        for v in values:
            ipc_filter_term(v)
        return values

    @field_validator("industry")
    @classmethod
    def _industry(cls, values: list[str]) -> list[str]:
        if bad := [v for v in values if not _INDUSTRY.match(v)]:
            raise ValueError(f"{', '.join(bad)}: GB/T 4754 codes look like C, C38, C384 or C3841")
        return values

    @field_validator("region")
    @classmethod
    def _region(cls, values: list[str]) -> list[str]:
        if bad := [v for v in values if not _REGION.match(v)]:
            raise ValueError(f"{', '.join(bad)}: GB/T 2260 codes have six digits, e.g. 310000")
        return values

    @model_validator(mode="after")
    def _price_range(self) -> SearchQuery:
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError("price_min is above price_max")
        return self


class SuggestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=50)
    type: CsvList = []
    limit: int = Field(default=10, ge=1, le=20)

    _types = field_validator("type")(_one_of(TYPES))


class MatchesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=10, ge=1, le=50)


class AuctionState(BaseModel):
    status: str
    listing_id: str
    bid_count: int
    starts_at: datetime
    reserve_met: bool


class OpenLicenceTermsView(BaseModel):
    patent_id: str
    basis: str
    rate_percent: str | None = Field(default=None, description="exact decimal string, e.g. \"3.5\"")
    amount: str | None = Field(default=None, description="exact decimal string, fen precision")
    currency: str | None = None
    payment_method: str
    payment_schedule: str
    term_years: int
    cnipa_announcement_no: str | None = None


class RoadshowSlotView(BaseModel):
    listing_id: str
    listing_title: str
    slot_starts_at: datetime
    slot_ends_at: datetime


class RoadshowView(BaseModel):
    status: str
    starts_at: datetime
    mode: str
    location: str | None = None
    capacity: int
    listing_ids: list[str] = []
    slots: list[RoadshowSlotView] = []


class CatalogueItem(BaseModel):
    type: str
    id: str
    title: str
    highlight: dict[str, list[str]] = {}
    status: str
    description: str = ""
    owner_org_id: str | None = None
    owner_name: str | None = None
    owner_kind: str | None = None
    industry: str | None = None
    field: str | None = None
    region: str | None = None
    modes: list[str] = []
    stage: str | None = None
    price: Money | None = Field(default=None, description="asking price (supply) or budget (demand)")
    negotiable: bool = False
    ipc: list[str] = []
    patent_numbers: list[str] = []
    open_licence: bool = False
    published_at: datetime | None = None
    updated_at: datetime | None = None
    ends_at: datetime | None = None
    auction: AuctionState | None = Field(default=None, description="type=auction: the live state of the lot")
    open_licence_terms: OpenLicenceTermsView | None = Field(default=None,
                                                            description="type=open_licence: the declared terms")
    roadshow: RoadshowView | None = Field(default=None, description="type=roadshow: when, where, and the lineup")
    score: float | None = None


class Bucket(BaseModel):
    value: str
    count: int


class Facet(BaseModel):
    """Counts per value. For a field with one value per document (type, status, stage,
    industry, region, owner kind), ``sum(buckets) + other + missing == total``."""

    buckets: list[Bucket]
    other: int = Field(0, description="documents with a value not among the buckets")
    missing: int = Field(0, description="documents without a value")


class PriceBucket(BaseModel):
    key: str
    gte: Decimal | None = Field(None, description="lower bound (inclusive); none for the first bucket")
    lt: Decimal | None = Field(None, description="upper bound (exclusive); none for the last bucket")
    count: int


class PriceFacet(BaseModel):
    buckets: list[PriceBucket]
    missing: int = Field(0, description="negotiable, or no price")


class Facets(BaseModel):
    type: Facet
    status: Facet
    stage: Facet
    owner_kind: Facet
    industry: Facet
    region: Facet
    mode: Facet
    ipc_section: Facet
    ipc_class: Facet
    price: PriceFacet


class SearchResult(BaseModel):
    total: int
    items: list[CatalogueItem]
    facets: Facets
    next_cursor: str | None = None


class Suggestion(BaseModel):
    text: str = Field(description="What to show, and to search for")
    type: str = Field(description="The document's type, or `term`: a word of the patent vocabulary")
    id: str | None = Field(default=None, description="The document (none for a term)")


class Suggestions(BaseModel):
    items: list[Suggestion]


class Match(CatalogueItem):
    reasons: list[str]


class Matches(BaseModel):
    listing_id: str
    items: list[Match]
