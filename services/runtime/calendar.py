"""Calendar arithmetic of the market's due dates (filing, recording): pure, shared."""

from __future__ import annotations

from datetime import date


def add_months(d: date, months: int) -> date:
    """``d`` plus whole months; the 31st becomes the month's last day (31 Nov → 30 Nov)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
