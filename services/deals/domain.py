"""Negotiated deals: their terms, their lifecycle, and who may take each step.

Pure: no I/O. A deal moves

    proposed ─(counter)→ countered (new version) ─(counter)→ countered … ─(both confirm)→ agreeing
    agreeing ─(the register reserves the patents)→ agreed | refused
    agreed ─(a transfer abroad)→ pending_export_review → agreed | export_refused
    agreed ─(payment confirmed)→ paid ─(CNIPA recording / 备案)→ recorded
    proposed | countered | agreed | pending_export_review → cancelled;  proposed | countered → expired

Law: Civil Code arts. 843–887 (technology contracts: a transfer or licence contract is
concluded when the parties agree on its terms, art. 483); Patent Law art. 10 (a
transfer takes effect when CNIPA records it; a transfer to a foreign party goes through
the export procedure); Regulations on Technology Import and Export Administration
arts. 30–38 (export review and registration); Patent Law art. 12 (a licence contract).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from services.runtime.errors import Conflict, FieldError, Forbidden, ValidationFailed
from services.runtime.royalties import royalty_errors

TRANSFERS = frozenset({"transfer", "equity"})  # the patent changes hands (equity: to the company)
LICENCES = frozenset({"exclusive_licence", "sole_licence", "ordinary_licence"})
NEGOTIATION_DAYS = 30  # a proposal not agreed within this lapses (default; 1–180 may be asked)
OWNER, COUNTERPARTY = "owner", "counterparty"
OPEN = frozenset({"proposed", "countered"})
CANCELLABLE = frozenset({"proposed", "countered", "agreed", "pending_export_review"})
FINAL = frozenset({"recorded", "refused", "export_refused", "cancelled", "expired"})


@dataclass(frozen=True)
class Terms:
    """A deal's terms as numbers (money to the fen, in one currency)."""

    currency: str = "CNY"
    price: Decimal | None = None
    royalty_basis: str | None = None
    rate_percent: Decimal | None = None
    royalty_amount: Decimal | None = None
    territory: str | None = None
    term_years: int | None = None
    valuation: Decimal | None = None
    equity_share_percent: Decimal | None = None
    # Amounts sent in another currency than the first one (fields, e.g. "valuation"):
    # a deal's amounts are in one currency.
    other_currencies: tuple[str, ...] = ()


def check_terms(kind: str, t: Terms) -> None:
    """Each kind names exactly what it needs; each refusal names its field."""
    errors: list[FieldError] = []

    def need(name: str, value: object, why: str) -> None:
        if value is None or (isinstance(value, Decimal) and value <= 0):
            errors.append(FieldError(f"terms.{name}", why))

    def forbid(name: str, value: object) -> None:
        if value is not None:
            errors.append(FieldError(f"terms.{name}", f"not a term of a {kind.replace('_', ' ')}"))

    if kind == "transfer":
        need("price", t.price, "a transfer has a positive price")
        for name in ("royalty", "territory", "term_years", "valuation", "equity_share_percent"):
            forbid(name, t.royalty_basis if name == "royalty" else getattr(t, name))
    elif kind == "equity":
        need("valuation", t.valuation, "an equity contribution (作价入股) has a positive valuation of the patents")
        need("equity_share_percent", t.equity_share_percent, "the share of the company the contribution buys")
        for name in ("price", "royalty", "territory", "term_years"):
            forbid(name, t.royalty_basis if name == "royalty" else getattr(t, name))
    else:  # a licence (Patent Law art. 12)
        need("royalty", t.royalty_basis, "a licence has a royalty (the bases of open licences)")
        need("territory", t.territory, "a licence names its territory, e.g. 中国大陆")
        need("term_years", t.term_years, "a licence has a term in years")
        if t.royalty_basis is not None:
            errors += royalty_errors(t.royalty_basis, t.rate_percent, t.royalty_amount, "terms.royalty")
        for name in ("price", "valuation", "equity_share_percent"):
            forbid(name, getattr(t, name))
    if not errors:  # a term that does not belong is named first; then a currency that does not match
        errors = [FieldError(f"terms.{name}.currency", f"every amount of a deal is in one currency ({t.currency})")
                  for name in t.other_currencies]
    if errors:
        raise ValidationFailed(errors)


def export_review_needed(kind: str, counterparty_country: str) -> bool:
    """A patent right transferred to a foreign party is reviewed first (Patent Law art. 10;
    知识产权对外转让审查, plan item 二十一). A licence abroad is registered, not reviewed."""
    return kind in TRANSFERS and counterparty_country != "CN"


def export_registration_needed(kind: str, counterparty_country: str) -> bool:
    """A licence to a party outside CN is a technology export to register (技术出口合同登记)."""
    return kind in LICENCES and counterparty_country != "CN"


@dataclass(frozen=True)
class Deal:
    """The lifecycle's state: each step returns the deal after it, or raises naming its rule."""

    kind: str
    status: str
    owner_org_id: str
    counterparty_org_id: str
    counterparty_country: str
    version: int
    confirmed_by: tuple[str, ...]
    expires_at: datetime
    export_review: str = "not_required"
    terms: Terms = field(default_factory=Terms)

    def party_of(self, org_id: str, *, operator: bool) -> str:
        if org_id == self.owner_org_id:
            return OWNER
        if org_id == self.counterparty_org_id:
            return COUNTERPARTY
        if operator:
            raise Forbidden("the operator is not a party to the deal: a party negotiates for itself (a venue "
                            "with its mandate, On-Behalf-Of)", rule="not-a-party")
        raise Forbidden("only the deal's two parties negotiate it", rule="not-a-party")

    def _negotiating(self, now: datetime) -> None:
        if self.status in OPEN and now >= self.expires_at:
            raise Conflict(f"the proposal lapsed at {self.expires_at.isoformat()}", rule="deal-expired")
        if self.status not in OPEN:
            raise Conflict(f"the deal is {self.status}: its terms are no longer negotiated", rule="deal-not-open")

    def counter(self, party: str, terms: Terms, version: int, now: datetime) -> Deal:
        """New terms from one party, answering ``version``: earlier confirmations lapse and
        the proposer of the new terms has confirmed them."""
        self._negotiating(now)
        self._current(version)
        check_terms(self.kind, terms)
        return replace(self, terms=terms, version=self.version + 1, confirmed_by=(party,), status="countered")

    def confirm(self, party: str, version: int, now: datetime) -> Deal:
        """``party`` agrees to the terms of ``version``; with both, the deal is agreeing
        (the register is asked to reserve its patents)."""
        self._negotiating(now)
        self._current(version)
        if party in self.confirmed_by:
            raise Conflict(f"the {party} has already confirmed version {self.version}: the other party answers",
                           rule="already-confirmed")
        confirmed = (*self.confirmed_by, party)
        status = "agreeing" if {OWNER, COUNTERPARTY} <= set(confirmed) else self.status
        return replace(self, confirmed_by=confirmed, status=status)

    def _current(self, version: int) -> None:
        if version != self.version:
            raise Conflict(f"the terms are at version {self.version} (you answered {version}): read them again",
                           rule="terms-changed")

    def reserved(self) -> Deal:
        """The register reserved the patents: agreed — or, a transfer abroad, in export review."""
        if export_review_needed(self.kind, self.counterparty_country):
            return replace(self, status="pending_export_review", export_review="pending")
        return replace(self, status="agreed")

    def review_export(self, approve: bool) -> Deal:
        if self.status != "pending_export_review":
            raise Conflict(f"the deal is {self.status}, not awaiting export review", rule="no-export-review")
        if approve:
            return replace(self, status="agreed", export_review="approved")
        return replace(self, status="export_refused", export_review="refused")

    def pay(self) -> Deal:
        if self.status == "pending_export_review":
            raise Conflict("the transfer abroad awaits export review: no payment before it is approved",
                           rule="export-review-pending")
        if self.status != "agreed":
            raise Conflict(f"the deal is {self.status}: only an agreed deal is paid", rule="deal-not-agreed")
        return replace(self, status="paid")

    def cancel(self) -> Deal:
        if self.status == "agreeing":
            raise Conflict("the patent register is deciding the deal: cancel once it has answered",
                           rule="deal-being-decided")
        if self.status not in CANCELLABLE:
            raise Conflict(f"the deal is {self.status} and can no longer be cancelled", rule="deal-not-cancellable")
        return replace(self, status="cancelled")

    def expire(self, now: datetime) -> Deal | None:
        return replace(self, status="expired") if self.status in OPEN and now >= self.expires_at else None


def negotiation_deadline(now: datetime, days: int | None) -> datetime:
    return now + timedelta(days=days or NEGOTIATION_DAYS)
