"""Open licences and the licences they grant: pre-checks, terms, royalties, filing.

Pure: no I/O. Handlers load what a rule needs (the patent's read model, its
encumbrances) into a ``PatentFacts`` and pass it in.

Law: Patent Law (2020) arts. 50–52, Implementing Regulations (2023) arts. 85–88.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.errors import Conflict, DomainError, FieldError, ValidationFailed


class LicencesError(DomainError):
    pass


FEN = Decimal("0.01")
BASES = ("percent_of_revenue", "fixed_per_year", "lump_sum", "entry_fee_plus_rate")
RATE_BASES = frozenset({"percent_of_revenue", "entry_fee_plus_rate"})
AMOUNT_BASES = frozenset({"fixed_per_year", "lump_sum", "entry_fee_plus_rate"})
FILING_MONTHS = 3


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


# -- terms -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Royalty:
    basis: str
    rate_percent: Decimal | None  # of reported revenue
    amount: Decimal | None  # the fixed, lump or entry-fee amount, to the fen
    currency: str


def check_royalty(r: Royalty) -> None:
    """Each basis names exactly what it needs: a rate, an amount, or both."""
    errors = []
    if r.basis in RATE_BASES and r.rate_percent is None:
        errors.append(FieldError("royalty.rate_percent", f"required for {r.basis}"))
    if r.basis not in RATE_BASES and r.rate_percent is not None:
        errors.append(FieldError("royalty.rate_percent", f"not used by {r.basis}"))
    if r.basis in AMOUNT_BASES and (r.amount is None or r.amount <= 0):
        errors.append(FieldError("royalty.amount", f"a positive amount is required for {r.basis}"))
    if r.basis not in AMOUNT_BASES and r.amount is not None:
        errors.append(FieldError("royalty.amount", f"not used by {r.basis}"))
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
class Balance:
    due: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return max(self.due - self.paid, Decimal(0))


def check_payment(balance_before: Balance, amount: Decimal) -> Balance:
    """A payment towards a period: positive, and not more than is outstanding."""
    if amount <= 0:
        raise ValidationFailed([FieldError("amount", "must be positive")])
    if amount > balance_before.outstanding:
        raise LicencesError(f"{amount:.2f} is more than the {balance_before.outstanding:.2f} outstanding for the period",
                            rule="payment-exceeds-outstanding", field="amount")
    return Balance(balance_before.due, balance_before.paid + amount)


# -- the patent, as the pre-checks see it ------------------------------------------------
@dataclass(frozen=True)
class PatentFacts:
    patent_id: str
    owner_org_id: str
    co_owner_org_ids: tuple[str, ...]
    kind: str
    legal_status: str
    expires_on: date
    pledgees: tuple[str, ...]  # of every unreleased pledge
    exclusive_licence_in_force: bool
    under_auction_for_transfer: bool


NOT_IN_FORCE = {
    "pending": ("patent-not-granted", "is an application not yet granted"),
    "lapsed": ("patent-lapsed", "has lapsed (annual fee unpaid)"),
    "expired": ("patent-expired", "has expired"),
    "invalidated": ("patent-invalidated", "was declared invalid"),
}


def in_force_problem(p: PatentFacts, today: date) -> tuple[str, str] | None:
    """Why the patent is not granted and in force, or None. The term is derived, so a
    register entry still saying ``granted`` past its term has expired all the same."""
    status = "expired" if p.legal_status == "granted" and p.expires_on <= today else p.legal_status
    return NOT_IN_FORCE.get(status)


def check_declaration(p: PatentFacts, *, declarer: str, co_owner_consents: Collection[str],
                      pledgee_consents: Collection[str], evaluation_report_no: str | None, today: date) -> None:
    """Every refusal of DESIGN §7, in the order a technology-transfer office would
    check them; each names its rule."""
    if declarer != p.owner_org_id:
        # Art. 50: the patentee declares. A co-owner alone cannot.
        raise LicencesError(f"only the patent's owner ({p.owner_org_id}) may declare an open licence",
                            rule="declarer-not-owner", field="patent_id")
    missing = [c for c in p.co_owner_org_ids if c not in set(co_owner_consents)]
    if missing:
        # Art. 14: a right held in common is exercised with every co-owner's agreement.
        raise LicencesError(f"co-owner(s) {', '.join(missing)} have not consented",
                            rule="co-owner-not-consented", field="co_owner_consents")
    problem = in_force_problem(p, today)
    if problem:
        rule, why = problem
        # Implementing Regulations art. 86: no declaration for a patent not in force.
        raise LicencesError(f"patent {p.patent_id} {why}: only a granted patent in force may be openly licensed",
                            rule=rule, field="patent_id")
    if p.exclusive_licence_in_force:
        raise LicencesError(f"patent {p.patent_id} has an exclusive or sole licence in force",
                            rule="exclusive-licence-in-force", field="patent_id")
    unconsented = [x for x in p.pledgees if x not in set(pledgee_consents)]
    if unconsented:
        raise LicencesError(f"patent {p.patent_id} is pledged to {', '.join(unconsented)}, who has not consented",
                            rule="pledged-without-pledgee-consent", field="pledgee_consents")
    if p.under_auction_for_transfer:
        raise LicencesError(f"patent {p.patent_id} is being auctioned for transfer",
                            rule="under-auction-for-transfer", field="patent_id")
    if p.kind in ("utility_model", "design") and not (evaluation_report_no or "").strip():
        # Art. 50: a utility model or design declaration comes with its evaluation report (专利权评价报告).
        raise LicencesError(f"a {p.kind.replace('_', ' ')} needs its patent evaluation report (evaluation_report_no)",
                            rule="evaluation-report-missing", field="evaluation_report_no")


def check_withdrawal(*, status: str, declarer: str, acting: str, co_owner_ids: Collection[str],
                     co_owner_consents: Collection[str]) -> None:
    if status != "in_force":
        raise Conflict("this open licence is already withdrawn", rule="open-licence-withdrawn")
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
        # Art. 52: a withdrawal stops new acceptances (licences granted before stay).
        raise Conflict("this open licence was withdrawn: it takes no new licensees", rule="open-licence-withdrawn")
    if licensee in set(licensor_ids):
        raise LicencesError("the patent's owners cannot take a licence of their own patent",
                            rule="licensor-cannot-accept", field="licensee_org_id")
    problem = in_force_problem(patent, today)
    if problem:
        raise Conflict(f"patent {patent.patent_id} is no longer in force", rule=problem[0])
    end = add_months(today, 12 * term_years)
    return Grant(today, min(end, patent.expires_on), add_months(today, FILING_MONTHS))


def filing_status(filed_on: date | None, due_on: date, today: date) -> str:
    if filed_on is not None:
        return "filed"
    return "filing_overdue" if today > due_on else "filing_due"
