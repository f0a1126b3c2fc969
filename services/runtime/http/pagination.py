"""Cursor pagination: ``?limit=`` (1..200) and an opaque ``cursor``; ``{"items", "next_cursor"}``."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from services.runtime.cursors import decode_cursor, encode_cursor  # noqa: F401 — the API's cursors

T = TypeVar("T")
P = TypeVar("P")

MAX_LIMIT = 200


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def page_of(rows: list[T], limit: int, position_of) -> tuple[list[T], str | None]:
    """Given ``limit + 1`` rows fetched in order, the page and the cursor for the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(position_of(rows[-1]))
    return rows, None
