"""Register a patent: one command, two ways in — the body of ``POST /v1/patents`` and each
line of an NDJSON import — so both are read by the one schema here."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from services.runtime.models import Strict


class PatentCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"number": "202310123456.X", "title": "一种固态锂电池电解质及其制备方法", "abstract": "本发明公开了一种硫化物固态电解质……", "kind": "invention", "ipc": ["H01M 10/0562"], "applicants": ["上海某大学"], "inventors": ["张三"], "filing_date": "2023-02-01", "grant_date": "2025-06-20", "legal_status": "granted"}]})

    number: str = Field(description="CN application number, e.g. 202310123456.6 (ZL prefix accepted)")
    title: str = Field(min_length=1, max_length=500)
    abstract: str = Field(default="", max_length=20000)
    kind: Literal["invention", "utility_model", "design"]
    ipc: list[str] = Field(default=[], max_length=50,
                           description="IPC symbols, e.g. H01M 10/0525 (required except for designs)")
    applicants: list[str] = []
    inventors: list[str] = []
    filing_date: date
    grant_date: date | None = None
    legal_status: Literal["pending", "granted", "fee_unpaid", "suspended", "lapsed", "expired", "invalidated"]
    owner_org_id: str | None = Field(default=None, description="Defaults to the organisation acted for")
    co_owner_org_ids: list[str] = Field(default=[], max_length=20,
                                        description="Co-owners (共有人): each must consent to an open licence")
