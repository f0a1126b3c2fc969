"""Opaque cursors: a position (a small JSON list) in URL-safe base64. Lists page with
them, and every venue message carries one (where to resume the feed)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from services.runtime.errors import FieldError, ValidationFailed

P = TypeVar("P")


def encode_cursor(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, position: Callable[[list[Any]], P] = list, *,
                  field: str = "query.cursor") -> P | None:
    """The position a cursor stands for, built by ``position`` from the decoded list.

    A cursor we did not make (not base64 JSON, or a list ``position`` cannot read:
    it raises ValueError/TypeError/IndexError/KeyError/OverflowError) → 422 on ``field``,
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
        raise ValidationFailed([FieldError(field, "not a cursor this API issued")]) from None


def time_and_id(value: list[Any]) -> tuple[datetime, str]:
    """A (timestamp, id) position — the keyset of most lists. Anything else raises
    (ValueError/TypeError/OverflowError), which ``decode_cursor`` answers with a 422."""
    at, row_id = value  # exactly two
    when = datetime.fromisoformat(at)
    if when.tzinfo is None or not isinstance(row_id, str) or not row_id.isprintable() or "\x00" in row_id:
        raise ValueError("not a (time, id) position")
    return when.astimezone(UTC), row_id  # OverflowError for the year 1 or 9999 at an offset


def sequence(value: list[Any]) -> int:
    """An integer position (a bid's sequence, a line number, a change's seq)."""
    (n,) = value
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < 2**63:
        raise ValueError("not a sequence position")
    return n
