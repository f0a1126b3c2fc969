"""Open licences and the licences they grant: pre-checks, terms, royalties, filing.

Pure: no I/O. Handlers load what a rule needs (the patent's read model, its
encumbrances) into a ``PatentFacts`` and pass it in.

Law: Patent Law (2020) arts. 50–52, Implementing Regulations (2023) arts. 85–88.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.runtime import royalties
from services.runtime.calendar import add_months
from services.runtime.royalties import royalty_errors
from services.runtime.errors import Conflict, DomainError, FieldError, ValidationFailed


class LicencesError(DomainError):
    pass


FEN = Decimal("0.01")
BASES, RATE_BASES, AMOUNT_BASES = royalties.BASES, royalties.RATE_BASES, royalties.AMOUNT_BASES
FILING_MONTHS = 3


# -- terms -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Royalty:
    basis: str
    rate_percent: Decimal | None  # of reported revenue
    amount: Decimal | None  # the fixed, lump or entry-fee amount, to the fen
    currency: str


def check_royalty(r: Royalty) -> None:
    """Each basis names exactly what it needs: a rate, an amount, or both."""
    errors = royalty_errors(r.basis, r.rate_percent, r.amount)
    if errors:
        raise ValidationFailed(errors)


def royalty_due(r: Royalty, *, period: int, first_period: int, reported_revenue: Decimal | None) -> Decimal:
    """What a licensee owes for one period (a calendar year of the licence), to the fen.

    * ``percent_of_revenue``: revenue × rate;
    * ``fixed_per_year``: the amount, every year;
    * ``lump_sum``: the amount, once, in the first year; nothing later;
    * ``entry_fee_plus_rate``: the fee in the first year, plus revenue × rate every year.

    Rates apply to the exact revenue and the result is rounded once, half up, to the
    fen (never through a float). A basis with a rate needs the period's revenue.
    """
    if period < first_period:
        raise ValidationFailed([FieldError("period", f"the licence starts in {first_period}")])
    due = Decimal(0)
    if r.basis in RATE_BASES:
        if reported_revenue is None:
            raise ValidationFailed([FieldError("reported_revenue", f"a {r.basis} royalty needs the period's revenue")])
        due += reported_revenue * r.rate_percent / 100
    if r.basis == "fixed_per_year" or (r.basis in ("lump_sum", "entry_fee_plus_rate") and period == first_period):
        due += r.amount
    return due.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DeclarationTerms:
    """What a declarer asks for (Patent Law art. 50): the royalty and its payment, the
    term, and the consents and reports the register will check."""

    patent_id: str
    royalty: Royalty
    payment_method: str
    payment_schedule: str
    term_years: int
    cnipa_announcement_no: str | None = None
    evaluation_report_no: str | None = None
    co_owner_consents: tuple[str, ...] = ()
    pledgee_consents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Balance:
    due: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return max(self.due - self.paid, Decimal(0))


@dataclass(frozen=True)
class Paid:
    """A royalty payment recorded: the payment, and the period's balance after it."""

    licence_id: str
    payment: Mapping
    period: int
    revenue: Decimal | None
    balance: Balance
    currency: str


def check_payment(balance_before: Balance, amount: Decimal) -> Balance:
    """A payment towards a period: positive, and not more than is outstanding."""
    if amount <= 0:
        raise ValidationFailed([FieldError("amount", "must be positive")])
    if amount > balance_before.outstanding:
        raise LicencesError(f"{amount:.2f} is more than the {balance_before.outstanding:.2f} outstanding for the period",
                            rule="payment-exceeds-outstanding", field="amount")
    return Balance(balance_before.due, balance_before.paid + amount)


# -- the patent, as an acceptance sees it ------------------------------------------------
@dataclass(frozen=True)
class PatentFacts:
    patent_id: str
    owner_org_id: str
    co_owner_org_ids: tuple[str, ...]
    kind: str
    legal_status: str
    expires_on: date


# A declaration that takes no acceptances, by status: the rule a refusal names.
NOT_ACCEPTING = {
    "pending": ("open-licence-pending", "this open licence is still before the patent register"),
    "refused": ("open-licence-refused", "this open licence was refused by the patent register"),
    # Art. 52: a withdrawal stops new acceptances (licences granted before stay).
    "withdrawn": ("open-licence-withdrawn", "this open licence was withdrawn: it takes no new licensees"),
    "ended": ("open-licence-ended", "this open licence has ended (the patent changed hands or left force)"),
    # Implementing Regulations art. 86 (2)(3): while the fee is unpaid or proceedings suspended.
    "suspended": ("open-licence-suspended", "this open licence is suspended while the patent's annual fee is unpaid "
                                            "or its proceedings are suspended"),
}


def check_withdrawal(*, status: str, declarer: str, acting: str, co_owner_ids: Collection[str],
                     co_owner_consents: Collection[str]) -> None:
    if status not in ("in_force", "suspended"):
        rule, why = NOT_ACCEPTING[status]
        raise Conflict("this open licence is already withdrawn" if status == "withdrawn" else why, rule=rule)
    if acting != declarer:
        raise LicencesError("only the declarer may withdraw its open licence", rule="not-declarer")
    missing = [c for c in co_owner_ids if c not in set(co_owner_consents)]
    if missing:
        raise LicencesError(f"co-owner(s) {', '.join(missing)} have not consented to the withdrawal",
                            rule="co-owner-not-consented", field="co_owner_consents")


@dataclass(frozen=True)
class Grant:
    effective_date: date
    expires_on: date
    filing_due_on: date


def check_acceptance(*, status: str, licensee: str, licensor_ids: Collection[str], patent: PatentFacts,
                     term_years: int, today: date) -> Grant:
    """An ordinary licence, at once, on the declared terms, to any organisation alike
    (art. 51); effective today, for the declared term but never beyond the patent's."""
    if status != "in_force":
        rule, why = NOT_ACCEPTING[status]
        raise Conflict(why, rule=rule)
    if licensee in set(licensor_ids):
        raise LicencesError("the patent's owners cannot take a licence of their own patent",
                            rule="licensor-cannot-accept", field="licensee_org_id")
    # Legal status is the register's to decide: its events suspend or end the declaration
    # (above). The term's end is a date fixed at filing, not a late copy of anything.
    if patent.expires_on <= today:
        raise Conflict(f"patent {patent.patent_id} is no longer in force", rule="patent-expired")
    end = add_months(today, 12 * term_years)
    return Grant(today, min(end, patent.expires_on), add_months(today, FILING_MONTHS))


def filing_status(filed_on: date | None, due_on: date, today: date) -> str:
    if filed_on is not None:
        return "filed"
    return "filing_overdue" if today > due_on else "filing_due"
