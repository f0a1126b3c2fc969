"""Cursor pagination: ``?limit=`` (1..200) and an opaque ``cursor``; ``{"items", "next_cursor"}``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from services.runtime.errors import ValidationFailed, FieldError

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


def encode_cursor(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, position: Callable[[list[Any]], P] = list) -> P | None:
    """The position a cursor stands for, built by ``position`` from the decoded list.

    A cursor we did not make (not base64 JSON, or a list ``position`` cannot read:
    it raises ValueError/TypeError/IndexError/KeyError/OverflowError) → 422 on ``query.cursor``,
    never a 500 from the query it would have fed.
    """
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, list):
            raise ValueError("a cursor is a list")
        return position(value)
    except (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError):
        raise ValidationFailed([FieldError("query.cursor", "not a cursor this API issued")]) from None


def page_of(rows: list[T], limit: int, position_of) -> tuple[list[T], str | None]:
    """Given ``limit + 1`` rows fetched in order, the page and the cursor for the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(position_of(rows[-1]))
    return rows, None
