"""Request and response bodies of the listings API."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.schemas.common import Money
from events.schemas.listings import ListingSnapshot, PatentSnapshot
from services.runtime.http.pagination import PageQuery
from services.listings.commands import PatentCreate  # noqa: F401 — the API body of POST /v1/patents
from services.runtime.models import Identified, Strict

Mode = Literal["transfer", "exclusive_licence", "sole_licence", "ordinary_licence", "equity"]
Stage = Literal["lab", "prototype", "pilot", "mass_production"]


class PatentPatch(Strict):
    """A legal-status change (annual fee unpaid, lapsed, invalidated, proceedings
    suspended, restored) and/or corrections of the register entry."""

    legal_status: Literal["granted", "fee_unpaid", "suspended", "lapsed", "expired", "invalidated"] | None = None
    reason: str | None = Field(default=None, max_length=500,
                               description="why the status changed, e.g. a CNIPA notice number")
    grant_date: date | None = None
    title: str | None = Field(default=None, min_length=1, max_length=500)
    abstract: str | None = Field(default=None, max_length=20000)
    ipc: list[str] | None = Field(default=None, max_length=50)
    applicants: list[str] | None = None
    inventors: list[str] | None = None


class EncumbranceView(BaseModel):
    kind: Literal["open_licence", "auction", "pledge", "exclusive_licence", "sole_licence", "ordinary_licence",
                  "transfer_offer", "exclusive_offer", "deal_transfer", "deal_exclusive"]
    reference_id: str = Field(description="the declaration, auction, pledge, licence or listing it comes from")
    holder_org_id: str | None = None
    since: datetime | None = None


class TransferView(BaseModel):
    id: str
    from_org_id: str
    to_org_id: str
    reference_kind: Literal["auction", "deal"]
    reference_id: str
    price: Money | None = None
    transferred_at: datetime
    recording_due_on: date
    recording_status: Literal["due", "overdue", "recorded"]
    recorded_on: date | None = None
    recording_no: str | None = None


class PatentView(Identified, PatentSnapshot):
    """A patent in the register (``id`` = ``patent_id``)."""

    ID_FIELD: ClassVar[str] = "patent_id"


class ListingView(Identified, ListingSnapshot):
    """A listing (``id`` = ``listing_id``)."""

    ID_FIELD: ClassVar[str] = "listing_id"


class PatentRightsView(PatentView):
    """A patent's rights at a glance: the register entry, every encumbrance in force and
    the history of transfers."""

    encumbrances: list[EncumbranceView] = []
    transfers: list[TransferView] = []


class Recording(Strict):
    recording_no: str = Field(min_length=1, max_length=100, description="CNIPA's notice of the recorded change")
    recorded_on: date | None = Field(default=None, description="defaults to today")


class ListingCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kind": "supply", "patent_ids": ["pat_0123456789abcdef"], "modes": ["transfer", "ordinary_licence"], "price": {"amount": "880000.00", "currency": "CNY"}, "industry": "C38", "stage": "pilot", "region": "310000", "tags": ["固态电池"]}]})

    kind: Literal["supply", "demand"]
    title: str | None = Field(default=None, min_length=1, max_length=300,
                              description="a supply listing's defaults to its first patent's title (DESIGN §5)")
    description: str = Field(default="", max_length=20000)
    patent_ids: list[str] = Field(default=[], max_length=500)
    modes: list[Mode] = []
    price: Money | None = None
    negotiable: bool = False
    budget: Money | None = None
    industry: str | None = Field(default=None, description="GB/T 4754 code, e.g. C38")
    field: str | None = Field(default=None, max_length=100)
    stage: Stage | None = None
    region: str | None = Field(default=None, description="GB/T 2260 code, e.g. 310000")
    tags: list[str] = Field(default=[], max_length=30)


class ListingPatch(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20000)
    patent_ids: list[str] | None = Field(default=None, max_length=500)
    modes: list[Mode] | None = None
    price: Money | None = None
    negotiable: bool | None = None
    budget: Money | None = None
    industry: str | None = None
    field: str | None = Field(default=None, max_length=100)
    stage: Stage | None = None
    region: str | None = None
    tags: list[str] | None = Field(default=None, max_length=30)


class ListingQuery(PageQuery):
    kind: Literal["supply", "demand"] | None = None
    status: Literal["draft", "published", "reserved", "sold", "withdrawn", "expired"] | None = None
    owner_org_id: str | None = None


class PatentQuery(PageQuery):
    owner_org_id: str | None = None


class ListingPage(BaseModel):
    items: list[ListingView]
    next_cursor: str | None


class PatentPage(BaseModel):
    items: list[PatentView]
    next_cursor: str | None


class LineError(BaseModel):
    line: int
    errors: list[dict[str, str]]


class ImportJob(BaseModel):
    id: str
    status: Literal["queued", "running", "done"]
    total: int
    processed: int
    accepted: int
    rejected: int
    created_at: datetime
    finished_at: datetime | None
    errors: list[LineError] = []
    next_errors_cursor: str | None = None


class ImportQuery(PageQuery):
    pass
