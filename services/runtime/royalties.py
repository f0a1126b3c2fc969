"""The royalty bases of a licence, whether declared openly (services/licences) or
negotiated (services/deals): which basis needs a rate, which an amount. Pure."""

from __future__ import annotations

from decimal import Decimal

from services.runtime.errors import FieldError

BASES = ("percent_of_revenue", "fixed_per_year", "lump_sum", "entry_fee_plus_rate")
RATE_BASES = frozenset({"percent_of_revenue", "entry_fee_plus_rate"})
AMOUNT_BASES = frozenset({"fixed_per_year", "lump_sum", "entry_fee_plus_rate"})


def royalty_errors(basis: str, rate_percent: Decimal | None, amount: Decimal | None,
                   prefix: str = "royalty") -> list[FieldError]:
    """Each basis names exactly what it needs: a rate (of reported revenue), a positive
    amount (yearly, lump-sum or entry fee), or both."""
    errors = []
    if basis in RATE_BASES and rate_percent is None:
        errors.append(FieldError(f"{prefix}.rate_percent", f"required for {basis}"))
    if basis not in RATE_BASES and rate_percent is not None:
        errors.append(FieldError(f"{prefix}.rate_percent", f"not used by {basis}"))
    if basis in AMOUNT_BASES and (amount is None or amount <= 0):
        errors.append(FieldError(f"{prefix}.amount", f"a positive amount is required for {basis}"))
    if basis not in AMOUNT_BASES and amount is not None:
        errors.append(FieldError(f"{prefix}.amount", f"not used by {basis}"))
    return errors
