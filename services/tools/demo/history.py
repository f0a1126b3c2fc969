"""Two years of completed deals for the demo's statistics: transfers, licences and equity
contributions by the institutions, to the enterprises, month by month, growing by about
a quarter a year (the plan's target is a fifth). Pure and seeded like the rest."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from services.runtime.calendar import add_months
from services.tools.demo.model import DemoDeal, DemoListing, DemoOrg, DemoPatent

KINDS = (("transfer", 45), ("ordinary_licence", 25), ("exclusive_licence", 8), ("sole_licence", 7), ("equity", 15))
MONTHS = 24
PER_MONTH = 6.0  # at the start of the history
YEARLY_GROWTH = 1.25


def make_deals(r: random.Random, register: list[DemoPatent], listings: list[DemoListing],
               enterprises: list[DemoOrg], today: date) -> list[DemoDeal]:
    """Each patent is dealt in at most once, and never one on offer today (the demo's
    listings stay as they are)."""
    listed = {k for x in listings for k in x.patents}
    pool = [p for p in register if p.legal_status == "granted" and not p.featured and p.key not in listed]
    r.shuffle(pool)
    out: list[DemoDeal] = []
    start = add_months(date(today.year, today.month, 1), -MONTHS)
    for m in range(MONTHS):
        month = add_months(start, m)
        days = (add_months(month, 1) - month).days
        expected = PER_MONTH * YEARLY_GROWTH ** (m / 12)
        for _ in range(max(0, round(r.gauss(expected, expected ** 0.5)))):
            if not pool:
                return out
            p = pool.pop()
            kind = r.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
            paid_on = month + timedelta(days=r.randrange(days))
            if paid_on >= today:
                continue
            out.append(DemoDeal(key=f"d{len(out) + 1:04d}", owner=p.owner, counterparty=r.choice(enterprises).key,
                                patent=p.key, kind=kind, paid_on=paid_on, amount=_amount(r, kind)))
    return out


def _amount(r: random.Random, kind: str) -> Decimal:
    low, high = {"transfer": (200_000, 3_000_000), "equity": (1_000_000, 20_000_000)}.get(kind, (50_000, 800_000))
    return Decimal(round(r.uniform(low, high), -3)).quantize(Decimal("0.01"))
