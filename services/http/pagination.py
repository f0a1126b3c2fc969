"""Cursor pagination: ``?limit=`` (1..200) and an opaque ``cursor``; ``{"items", "next_cursor"}``."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from services.errors import ValidationFailed, FieldError

T = TypeVar("T")

MAX_LIMIT = 200


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The position a cursor stands for; a cursor we did not make → 400-class error on ``cursor``."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, list):
        raise ValidationFailed([FieldError("query.cursor", "not a cursor this API issued")])
    return value


def page_of(rows: list[T], limit: int, position_of) -> tuple[list[T], str | None]:
    """Given ``limit + 1`` rows fetched in order, the page and the cursor for the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(position_of(rows[-1]))
    return rows, None
