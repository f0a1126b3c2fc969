"""Base of every request body: a field the API does not define is refused (422 naming it),
never silently dropped."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Refusal(BaseModel):
    """Why another context refused a command it decides (the patent register's rule, as in
    a 4xx problem): shown on the resource the refused saga left behind."""

    rule: str
    detail: str
    status: int
    field: str | None = None
