"""Pledge financing, pure: a pledge's lifecycle and who takes each step, the licence-income
split, and the explainable value-degree score (价值度).

    proposed ─(the financier confirms)→ reserving ─(the register holds it)→ in_force | refused
    (a licence-income pledge needs no register: confirmed → in_force)
    in_force ─(repaid: the financier releases)→ released;  in_force ─(the financier)→ defaulted
    proposed → cancelled (either party)

Law: Civil Code arts. 440 (1)(5) and 444 (a patent right and receivables may be pledged;
the pledged right is neither transferred nor licensed without the pledgee's agreement);
专利权质押登记办法 (the pledge is registered with CNIPA); Implementing Regulations art. 86
(an open licence of a pledged patent needs the pledgee's consent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.runtime.errors import Conflict, FieldError, Forbidden, ValidationFailed

FINAL = frozenset({"refused", "released", "defaulted", "cancelled"})
PLEDGOR, PLEDGEE = "pledgor", "pledgee"


def check_loan(amount: Decimal, term_months: int, rate_percent: Decimal) -> None:
    errors = []
    if amount <= 0:
        errors.append(FieldError("loan.amount", "a positive amount"))
    if not 1 <= term_months <= 360:
        errors.append(FieldError("loan.term_months", "between 1 and 360 months"))
    if not Decimal(0) <= rate_percent <= Decimal(36):
        # The judicial ceiling on private lending is far lower; a bank loan's rate is here.
        errors.append(FieldError("loan.rate_percent", "between 0 and 36 (% a year)"))
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True)
class Pledge:
    kind: str
    status: str
    pledgor_org_id: str
    pledgee_org_id: str

    def party_of(self, org_id: str) -> str:
        if org_id == self.pledgor_org_id:
            return PLEDGOR
        if org_id == self.pledgee_org_id:
            return PLEDGEE
        raise Forbidden("only the pledge's two parties act on it", rule="not-a-party")

    def confirm(self, party: str) -> str:
        """The financier accepts the pledge: the register is asked (a patent pledge), or it is in force."""
        if party != PLEDGEE:
            raise Forbidden("the financier (pledgee) confirms a pledge", rule="not-pledgee")
        self._in("proposed", "confirmed")
        return "reserving" if self.kind == "patent" else "in_force"

    def cancel(self, party: str) -> str:
        self._in("proposed", "cancelled")
        return "cancelled"

    def release(self, party: str) -> str:
        if party != PLEDGEE:
            raise Forbidden("the financier (pledgee) releases a pledge, on repayment", rule="not-pledgee")
        self._in("in_force", "released")
        return "released"

    def default(self, party: str) -> str:
        if party != PLEDGEE:
            raise Forbidden("the financier (pledgee) declares a default", rule="not-pledgee")
        self._in("in_force", "declared in default")
        return "defaulted"

    def dispose(self, party: str) -> str:
        """质物处置: on default, the pledgee puts the pledged patents up for auction."""
        if party != PLEDGEE:
            raise Forbidden("the pledgee disposes of the pledged patents", rule="not-pledgee")
        if self.kind != "patent":
            raise Conflict("licence income is collected, not auctioned", rule="nothing-to-dispose")
        self._in("defaulted", "disposed of")
        return "disposing"

    def consent(self, party: str) -> None:
        if party != PLEDGEE:
            raise Forbidden("consents are the pledgee's to give or revoke", rule="not-pledgee")
        if self.kind != "patent":
            raise Conflict("a licence-income pledge leaves the patent free: nothing to consent to",
                           rule="no-consent-needed")
        self._in("in_force", "consented to")

    def register(self) -> None:
        self._in("in_force", "registered")

    def _in(self, status: str, what: str) -> None:
        if self.status != status:
            raise Conflict(f"the pledge is {self.status}: only a {status} pledge is {what}",
                           rule=f"pledge-not-{status.replace('_', '-')}")


def check_disposal_terms(*, starts_at, ends_at, now, start_price: Decimal, increment: Decimal, deposit: Decimal,
                         currencies: set[str]) -> None:
    """The disposal auction's terms, checked before it is asked for (the auction refuses
    the same, but the pledgee would learn it only on the auction)."""
    errors = []
    if ends_at <= starts_at:
        errors.append(FieldError("ends_at", "after starts_at"))
    if ends_at <= now:
        errors.append(FieldError("ends_at", "in the future"))
    if start_price <= 0:
        errors.append(FieldError("start_price.amount", "a positive price"))
    if increment <= 0:
        errors.append(FieldError("increment.amount", "a positive increment"))
    if deposit < 0:
        errors.append(FieldError("deposit.amount", "not negative"))
    if len(currencies) > 1:
        errors.append(FieldError("increment.currency", "the start price's currency, for every amount"))
    if errors:
        raise ValidationFailed(errors)


def statement(price: Decimal, secured: Decimal) -> tuple[Decimal, Decimal]:
    """(to the pledgee, to the pledgor) of a disposal's proceeds: the pledgee is paid first,
    up to the secured loan; the rest is the pledgor's (Civil Code art. 438)."""
    to_pledgee = min(price, secured)
    return to_pledgee, price - to_pledgee


# -- licence income ----------------------------------------------------------------------
def split(paid: Decimal, secured: Decimal, covered: Decimal) -> tuple[Decimal, Decimal]:
    """(to the pledgee, to the licensor) of a royalty payment: the pledgee until the secured
    amount is covered, the licensor after."""
    to_pledgee = min(paid, max(secured - covered, Decimal(0)))
    return to_pledgee, paid - to_pledgee


# -- the value-degree score (价值度) -------------------------------------------------------
# Each factor is a number in [0, 1] from what the marketplace knows, times its weight; the
# weights add up to 100. README, "Patent value indicators", explains each.
WEIGHTS = {
    "legal_status": 15,
    "remaining_term": 15,
    "portfolio": 10,
    "licences": 15,
    "transactions": 10,
    "royalty_income": 10,
    "market_interest": 15,
    "free_of_encumbrances": 10,
}
ROYALTY_SCALE = Decimal("1000000")  # CNY a patent earns for full marks
LEGAL = {"granted": Decimal(1), "fee_unpaid": Decimal("0.3"), "suspended": Decimal("0.3")}


@dataclass(frozen=True)
class Facts:
    legal_status: str
    expires_on: date
    today: date
    portfolio_size: int  # the owner's patents in the same IPC subclass, this one included
    licences: int
    exclusive_licence: bool
    transactions: int  # completed deals and transfers of it
    royalty_income: Decimal  # CNY received under its licences
    pledged: bool
    interest_scores: Sequence[int]  # roadshow prospects and push interest, 1–5


@dataclass(frozen=True)
class Factor:
    name: str
    weight: int
    value: Decimal  # 0–1
    contribution: Decimal  # weight × value
    evidence: str


def _q(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), ROUND_HALF_UP)


def score(f: Facts) -> tuple[Decimal, list[Factor]]:
    """The 价值度 (0–100) and each factor with its weight, value, contribution and evidence."""
    remaining_years = max((f.expires_on - f.today).days, 0) / Decimal("365.25")
    in_force = f.legal_status == "granted" and f.expires_on > f.today
    interest = (Decimal(sum(f.interest_scores)) / len(f.interest_scores) - 1) / 4 if f.interest_scores else Decimal(0)
    values = {
        "legal_status": (LEGAL.get(f.legal_status, Decimal(0)) if f.expires_on > f.today else Decimal(0),
                         f"{f.legal_status}{'' if in_force or f.legal_status != 'granted' else ' (term over)'}"),
        "remaining_term": (min(remaining_years / 10, Decimal(1)), f"{remaining_years:.1f} years left (10 or more: full)"),
        "portfolio": (min(Decimal(f.portfolio_size - 1) / 9, Decimal(1)) if f.portfolio_size else Decimal(0),
                      f"{f.portfolio_size} of the owner's patents in its IPC subclass (10 or more: full)"),
        "licences": (min(Decimal(f.licences) / 5, Decimal(1)), f"{f.licences} licences granted (5 or more: full)"),
        "transactions": (min(Decimal(f.transactions) / 3, Decimal(1)),
                         f"{f.transactions} deals or transfers completed (3 or more: full)"),
        "royalty_income": (min(f.royalty_income / ROYALTY_SCALE, Decimal(1)),
                           f"{f.royalty_income:.2f} CNY of royalties received ({ROYALTY_SCALE:.0f} or more: full)"),
        "market_interest": (interest, f"{len(f.interest_scores)} roadshow and push answers, mean "
                                      f"{(Decimal(sum(f.interest_scores)) / len(f.interest_scores)):.2f} of 5"
                            if f.interest_scores else "no roadshow or push answers yet"),
        "free_of_encumbrances": (Decimal("0.3") if f.pledged else Decimal("0.5") if f.exclusive_licence else Decimal(1),
                                 "pledged" if f.pledged else "under an exclusive or sole licence" if f.exclusive_licence
                                 else "no pledge and no exclusive licence"),
    }
    factors = []
    for name, weight in WEIGHTS.items():
        value, evidence = values[name]
        value = value.quantize(Decimal("0.0001"), ROUND_HALF_UP)
        factors.append(Factor(name, weight, value, _q(weight * value), evidence))
    return _q(sum((x.contribution for x in factors), Decimal(0))), factors
