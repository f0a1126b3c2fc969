"""The patent register's rules: which encumbrances may coexist on a patent, who may ask
for one, and what a patent's legal status allows.

Pure: no I/O. The register (services/listings/reservations.py, and the listings'
own offers in handlers.py) loads a patent's rights under its row lock, asks these
rules, and writes the outcome in the same transaction — so two requests that conflict
can never both win, whatever their timing or the number of replicas.

Law: Patent Law (2020) arts. 10, 14, 50–52; Implementing Regulations (2023) arts. 85–88;
Civil Code art. 444 (a pledged property right in IP is neither transferred nor licensed
without the pledgee's agreement).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from services.runtime.errors import Conflict, DomainError, Forbidden

# Kinds of encumbrance the register holds (table listings.encumbrances), and the
# listings' own offers it derives from active supply listings.
OPEN_LICENCE = "open_licence"
AUCTION = "auction"
PLEDGE = "pledge"
EXCLUSIVE_LICENCE = "exclusive_licence"
SOLE_LICENCE = "sole_licence"
ORDINARY_LICENCE = "ordinary_licence"
TRANSFER_OFFER = "transfer_offer"  # an active supply listing offering transfer
DEAL_TRANSFER = "deal_transfer"  # an agreed deal transferring the patent (or contributing it as equity)
DEAL_EXCLUSIVE = "deal_exclusive"  # an agreed exclusive or sole licence deal, until the licence is granted
EXCLUSIVE_OFFER = "exclusive_offer"  # an active supply listing offering an exclusive or sole licence

KIND_NAMES = {AUCTION: "auction", DEAL_TRANSFER: "deal"}
EXCLUSIVE_MODES = frozenset({"exclusive_licence", "sole_licence"})
# What an agreed deal holds on each patent, by its kind (an ordinary licence holds nothing:
# it excludes no one).
DEAL_HOLDS = {"transfer": DEAL_TRANSFER, "equity": DEAL_TRANSFER,
              "exclusive_licence": DEAL_EXCLUSIVE, "sole_licence": DEAL_EXCLUSIVE}
DEAD_STATUSES = frozenset({"lapsed", "expired", "invalidated"})


class RegisterError(DomainError):
    pass


@dataclass(frozen=True)
class Encumbrance:
    kind: str
    reference_id: str
    holder_org_id: str | None = None
    # For a pledge: what its pledgee consented to (transfer, open_licence, licence), as the
    # financing context recorded it (psm.pledge.consent_given.v1 / …consent_revoked.v1).
    pledgee_consents: frozenset[str] = frozenset()
    since: datetime | None = None


@dataclass(frozen=True)
class PatentRights:
    """One patent as the register holds it, with every encumbrance in force."""

    patent_id: str
    owner_org_id: str
    co_owner_org_ids: tuple[str, ...]
    kind: str
    legal_status: str
    expires_on: date
    encumbrances: tuple[Encumbrance, ...] = field(default_factory=tuple)

    def of(self, *kinds: str) -> list[Encumbrance]:
        return [e for e in self.encumbrances if e.kind in kinds]

    def status(self, today: date) -> str:
        """The legal status, with the derived term: ``granted`` past its term is ``expired``."""
        return "expired" if self.legal_status == "granted" and self.expires_on <= today else self.legal_status


NOT_IN_FORCE = {
    "pending": ("patent-not-granted", "is an application not yet granted"),
    "fee_unpaid": ("patent-fee-unpaid", "has its annual fee unpaid"),
    "suspended": ("patent-proceedings-suspended", "has its proceedings suspended"),
    "lapsed": ("patent-lapsed", "has lapsed (annual fee unpaid)"),
    "expired": ("patent-expired", "has expired"),
    "invalidated": ("patent-invalidated", "was declared invalid"),
}


def in_force_problem(p: PatentRights, today: date) -> tuple[str, str] | None:
    """Why the patent is not granted and in force, or None."""
    return NOT_IN_FORCE.get(p.status(today))


def _require_co_owners(p: PatentRights, consents: Collection[str]) -> None:
    # Patent Law art. 14: a right held in common is exercised with every co-owner's agreement.
    missing = [c for c in p.co_owner_org_ids if c not in set(consents)]
    if missing:
        raise RegisterError(f"co-owner(s) {', '.join(missing)} have not consented",
                            rule="co-owner-not-consented", field="co_owner_consents")


def _unconsented_pledges(p: PatentRights, scope: str) -> list[str]:
    """The pledgees of ``p`` who have not consented to ``scope``."""
    return [e.holder_org_id or "?" for e in p.of(PLEDGE) if scope not in e.pledgee_consents]


def _refuse_transfer_if_pledged(p: PatentRights, held: Sequence[Encumbrance], field: str) -> None:
    pledged = [e for e in held if e.kind == PLEDGE and "transfer" not in e.pledgee_consents]
    if pledged:
        # Civil Code art. 444: no transfer of a pledged IP right without the pledgee.
        raise RegisterError(f"patent {p.patent_id} is pledged to {pledged[0].holder_org_id}, who has not "
                            "consented to its transfer", rule="pledged-without-pledgee-consent", field=field)


# -- open-licence declarations -----------------------------------------------------------
def check_open_licence(p: PatentRights, *, declarer: str, co_owner_consents: Collection[str],
                       evaluation_report_no: str | None, today: date) -> None:
    """Every refusal of DESIGN §7, in the order a technology-transfer office would check
    them; each names its rule."""
    if declarer != p.owner_org_id:
        # Art. 50: the patentee declares. A co-owner alone cannot.
        raise RegisterError(f"only the patent's owner ({p.owner_org_id}) may declare an open licence",
                            rule="declarer-not-owner", field="patent_id")
    _require_co_owners(p, co_owner_consents)
    problem = in_force_problem(p, today)
    if problem:
        rule, why = problem
        # Implementing Regulations art. 86 (2)(3): no declaration for a patent not in
        # force, with its annual fee unpaid or its proceedings suspended.
        raise RegisterError(f"patent {p.patent_id} {why}: only a granted patent in force may be openly licensed",
                            rule=rule, field="patent_id")
    if p.of(EXCLUSIVE_LICENCE, SOLE_LICENCE):
        # Implementing Regulations art. 86 (1).
        raise RegisterError(f"patent {p.patent_id} has an exclusive or sole licence in force",
                            rule="exclusive-licence-in-force", field="patent_id")
    if p.of(DEAL_EXCLUSIVE):
        # The same rule, a step earlier: an exclusive or sole licence is agreed and being paid.
        raise RegisterError(f"patent {p.patent_id} has an exclusive or sole licence agreed in deal "
                            f"{p.of(DEAL_EXCLUSIVE)[0].reference_id}", rule="exclusive-licence-agreed",
                            field="patent_id")
    offers = p.of(EXCLUSIVE_OFFER)
    if offers:
        # Patent Law art. 51 (3): no exclusive or sole licence during an open licence; a
        # listing already offering one would be offering what the declaration forbids.
        raise RegisterError(f"patent {p.patent_id} is offered for an exclusive or sole licence in listing "
                            f"{offers[0].reference_id}: withdraw that offer first",
                            rule="exclusive-licence-offered", field="patent_id")
    unconsented = _unconsented_pledges(p, "open_licence")
    if unconsented:
        # Implementing Regulations art. 86 (4).
        raise RegisterError(f"patent {p.patent_id} is pledged to {', '.join(unconsented)}, who has not consented "
                            "to an open licence (the pledgee records it: POST /v1/pledges/{id}/consents)",
                            rule="pledged-without-pledgee-consent", field="patent_id")
    if p.of(AUCTION):
        raise RegisterError(f"patent {p.patent_id} is being auctioned for transfer",
                            rule="under-auction-for-transfer", field="patent_id")
    if p.of(DEAL_TRANSFER):
        raise RegisterError(f"patent {p.patent_id} is being transferred in deal {p.of(DEAL_TRANSFER)[0].reference_id}",
                            rule="under-deal-for-transfer", field="patent_id")
    declared = p.of(OPEN_LICENCE)
    if declared:
        raise Conflict(f"patent {p.patent_id} already has an open licence in force ({declared[0].reference_id}; "
                       "terms are never edited: withdraw it and declare again)",
                       rule="open-licence-already-declared")
    if p.kind in ("utility_model", "design") and not (evaluation_report_no or "").strip():
        # Art. 50: a utility model or design declaration comes with its evaluation report (专利权评价报告).
        raise RegisterError(f"a {p.kind.replace('_', ' ')} needs its patent evaluation report (evaluation_report_no)",
                            rule="evaluation-report-missing", field="evaluation_report_no")


# -- a listing's own offers --------------------------------------------------------------
def check_offer(modes: Collection[str], patents: Sequence[PatentRights], today: date, *,
                listing_id: str) -> None:
    """DESIGN §5 rules for putting a supply listing on the market (publish, or edit while
    published); ``listing_id``'s own offers and reservations do not count against it."""
    offered_exclusive = EXCLUSIVE_MODES & set(modes)
    for p in patents:
        status = p.status(today)
        if status in DEAD_STATUSES or status in ("fee_unpaid", "suspended"):
            raise RegisterError(f"patent {p.patent_id} is {status} and cannot be offered",
                                rule="patent-not-in-force", field="patent_ids")
        others = [e for e in p.encumbrances if e.reference_id != listing_id]
        if offered_exclusive and any(e.kind == OPEN_LICENCE for e in others):
            # Patent Law art. 51 (3) / Implementing Regulations art. 88: while an open
            # licence declaration is in force, no exclusive or sole licence.
            raise RegisterError(f"patent {p.patent_id} is under an open licence: "
                                f"{', '.join(sorted(offered_exclusive))} cannot be offered",
                                rule="open-licence-in-force", field="modes")
        if offered_exclusive and any(e.kind in (EXCLUSIVE_LICENCE, SOLE_LICENCE, DEAL_EXCLUSIVE) for e in others):
            raise RegisterError(f"patent {p.patent_id} already has an exclusive or sole licence in force",
                                rule="exclusive-licence-in-force", field="modes")
        if "transfer" in modes:
            taken = [e for e in others if e.kind in (TRANSFER_OFFER, AUCTION, DEAL_TRANSFER)]
            if taken:
                raise RegisterError(f"patent {p.patent_id} is already offered for transfer in "
                                    f"{KIND_NAMES.get(taken[0].kind, 'listing')} {taken[0].reference_id}",
                                    rule="patent-already-offered-for-transfer", field="patent_ids")
            _refuse_transfer_if_pledged(p, others, "patent_ids")


# -- auctions ----------------------------------------------------------------------------
def check_auction(*, listing_status: str | None, listing_kind: str | None, listing_owner: str | None,
                  listing_id: str, requester: str, patents: Sequence[PatentRights], today: date,
                  disposes: str | None = None) -> None:
    """An auction reserves a published supply listing and, through it, its patents for
    transfer. A disposal (质物处置) is asked by the pledgee of the pledge it disposes of, not
    the owner, and that pledge does not bar it (Civil Code art. 436: on default the pledgee
    may have the pledged right auctioned)."""
    if listing_status is None:
        raise RegisterError(f"no listing {listing_id}", rule="listing-not-found", field="listing_id")
    if disposes is not None:
        for p in patents:
            if not any(e.reference_id == disposes and e.holder_org_id == requester for e in p.of(PLEDGE)):
                raise Forbidden(f"patent {p.patent_id} is not pledged to {requester} under {disposes}",
                                rule="not-the-pledgee")
    elif listing_owner != requester:
        raise Forbidden(f"listing {listing_id} belongs to {listing_owner}", rule="not-listing-owner")
    if listing_kind != "supply" or listing_status != "published":
        raise Conflict(f"only a published supply listing is auctioned (this one is {listing_status})",
                       rule="listing-not-published")
    for p in patents:
        problem = in_force_problem(p, today)
        if problem:
            raise RegisterError(f"patent {p.patent_id} {problem[1]} and cannot be auctioned",
                                rule="patent-not-in-force", field="listing_id")
        if p.of(AUCTION):
            raise Conflict(f"patent {p.patent_id} is already being auctioned ({p.of(AUCTION)[0].reference_id})",
                           rule="patent-already-under-auction")
        if p.of(DEAL_TRANSFER):
            raise Conflict(f"patent {p.patent_id} is being transferred in deal {p.of(DEAL_TRANSFER)[0].reference_id}",
                           rule="patent-under-deal")
        _refuse_transfer_if_pledged(p, [e for e in p.encumbrances if e.reference_id != disposes], "listing_id")


# -- deals -------------------------------------------------------------------------------
def check_deal(patents: Sequence[PatentRights], *, deal_kind: str, requester: str,
               co_owner_consents: Collection[str], today: date) -> None:
    """A negotiated deal both parties confirmed, decided against the register's state when
    it is agreed (a proposal reserves nothing: it may never be agreed)."""
    for p in patents:
        if requester != p.owner_org_id:
            raise RegisterError(f"patent {p.patent_id} now belongs to {p.owner_org_id}, not to the deal's owner",
                                rule="deal-owner-not-owner", field="patent_ids")
        if deal_kind != "ordinary_licence":
            # Art. 14: a co-owned right is transferred, or licensed exclusively, with every
            # co-owner's agreement (any co-owner may grant an ordinary licence alone).
            _require_co_owners(p, co_owner_consents)
        problem = in_force_problem(p, today)
        if problem:
            raise RegisterError(f"patent {p.patent_id} {problem[1]}: only a patent in force is dealt in",
                                rule="patent-not-in-force", field="patent_ids")
        if deal_kind in ("transfer", "equity"):
            if p.of(AUCTION):
                raise Conflict(f"patent {p.patent_id} is being auctioned ({p.of(AUCTION)[0].reference_id})",
                               rule="patent-under-auction")
            if p.of(DEAL_TRANSFER):
                raise Conflict(f"patent {p.patent_id} is already being transferred in deal "
                               f"{p.of(DEAL_TRANSFER)[0].reference_id}", rule="patent-under-deal")
            _refuse_transfer_if_pledged(p, p.encumbrances, "patent_ids")
            continue
        exclusive = p.of(EXCLUSIVE_LICENCE, SOLE_LICENCE, DEAL_EXCLUSIVE)
        if exclusive:
            # An exclusive licensee excludes every other licensee, a sole one every other
            # but the patentee (SPC interpretation 法释〔2004〕20号 art. 25).
            raise RegisterError(f"patent {p.patent_id} has an exclusive or sole licence ({exclusive[0].reference_id})",
                                rule="exclusive-licence-in-force", field="patent_ids")
        if deal_kind in EXCLUSIVE_MODES and p.of(OPEN_LICENCE):
            # Patent Law art. 51 (3): no exclusive or sole licence while an open licence is in force.
            raise RegisterError(f"patent {p.patent_id} is under an open licence ({p.of(OPEN_LICENCE)[0].reference_id})",
                                rule="open-licence-in-force", field="patent_ids")
        pledged = [e for e in p.of(PLEDGE) if "licence" not in e.pledgee_consents]
        if pledged:
            # Civil Code art. 444: a pledged IP right is not licensed without the pledgee.
            raise RegisterError(f"patent {p.patent_id} is pledged to {pledged[0].holder_org_id}, who has not "
                                "consented to licensing it", rule="pledged-without-pledgee-consent",
                                field="patent_ids")


# -- pledges -----------------------------------------------------------------------------
def check_pledge(patents: Sequence[PatentRights], *, requester: str, pledgee: str | None,
                 co_owner_consents: Collection[str], today: date) -> None:
    if not pledgee:
        raise RegisterError("a pledge names its pledgee", rule="pledgee-missing", field="holder_org_id")
    for p in patents:
        if requester != p.owner_org_id:
            raise RegisterError(f"only the patent's owner ({p.owner_org_id}) may pledge it",
                                rule="pledgor-not-owner", field="patent_ids")
        _require_co_owners(p, co_owner_consents)
        problem = in_force_problem(p, today)
        if problem:
            raise RegisterError(f"patent {p.patent_id} {problem[1]} and cannot be pledged",
                                rule="patent-not-in-force", field="patent_ids")
        offered = p.of(TRANSFER_OFFER, AUCTION, DEAL_TRANSFER)
        if offered:
            raise Conflict(f"patent {p.patent_id} is offered for transfer ({offered[0].reference_id}): withdraw "
                           "the offer before pledging it", rule="patent-offered-for-transfer")
        if p.of(PLEDGE):
            # CNIPA registers no second pledge on a patent already pledged (专利权质押登记办法).
            raise Conflict(f"patent {p.patent_id} is already pledged", rule="patent-already-pledged")


# -- legal status ------------------------------------------------------------------------
# What a register entry may become. ``expired`` is final (the term is over); a lapse
# may be restored (权利恢复, Implementing Regulations art. 6); an invalidation may be
# reversed by the court that reviews it, so it may return to ``granted`` too.
LEGAL_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"granted"}),
    "granted": frozenset({"fee_unpaid", "suspended", "lapsed", "invalidated", "expired"}),
    "fee_unpaid": frozenset({"granted", "lapsed", "suspended", "invalidated", "expired"}),
    "suspended": frozenset({"granted", "fee_unpaid", "lapsed", "invalidated", "expired"}),
    "lapsed": frozenset({"granted"}),
    "invalidated": frozenset({"granted"}),
    "expired": frozenset(),
}


def check_legal_status_change(current: str, target: str, *, grant_date: date | None) -> None:
    if target == current:
        return
    if target not in LEGAL_TRANSITIONS[current]:
        raise RegisterError(f"a {current} patent cannot become {target}", rule="legal-status-transition",
                            field="legal_status")
    if target == "granted" and grant_date is None:
        raise RegisterError("a granted patent has a grant date (send grant_date)", rule="grant-date-required",
                            field="grant_date")
