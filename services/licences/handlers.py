"""Open-licence use cases: load, ask the domain, save and record the event in the
caller's transaction.

Acceptances and withdrawals of one declaration are serialised on the declaration's
row (SELECT … FOR UPDATE): each sees the status the previous one left, so two
acceptances at the same moment both get licences, and an acceptance racing a
withdrawal either committed before it (its licence stays, art. 52) or sees
``withdrawn`` and is refused — never a licence granted after the withdrawal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from events.outbox import Outbox
from events.schemas.common import Money
from events.consistency import announce_outcome
from events.schemas.deals import DealPaid
from events.schemas.licences import (
    LicenceContractRegistered, LicenceFiled, LicenceGranted, OpenLicenceDeclared, OpenLicenceEnded, OpenLicenceResumed, OpenLicenceSuspended,
    OpenLicenceTerms, OpenLicenceWithdrawn, RoyaltyPaid,
)
from events.schemas.register import (
    OpenLicenceReservationRequested, ReservationGranted, ReservationRefused, ReservationRequest,
)
from services.runtime.access import Principal
from services.runtime.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from services.licences import domain
from services.licences import repository as repo
from services.runtime.ids import new_id
from services.runtime.calendar import add_months
from services.runtime.clock import today

OUTBOX = Outbox(schema="licences", source="/psm/licences")


# -- views -------------------------------------------------------------------------------
def royalty_of(d: asyncpg.Record) -> domain.Royalty:
    return domain.Royalty(d["royalty_basis"], d["rate_percent"], d["amount"], d["currency"])


async def royalty_and_terms(conn: asyncpg.Connection, licence: asyncpg.Record) -> tuple[domain.Royalty, OpenLicenceTerms]:
    """A licence's royalty and terms: its declaration's, or (a deal licence) its own."""
    if licence["open_licence_id"] is None:
        terms = OpenLicenceTerms.model_validate(licence["terms"])
        return domain.Royalty(terms.basis, terms.rate_percent, terms.amount.amount if terms.amount else None,
                              licence["currency"]), terms
    d = await repo.get_declaration(conn, licence["open_licence_id"])
    return royalty_of(d), terms_of(d)


def terms_of(d: asyncpg.Record) -> OpenLicenceTerms:
    amount = Money(amount=d["amount"], currency=d["currency"]) if d["amount"] is not None else None
    return OpenLicenceTerms(basis=d["royalty_basis"], rate_percent=d["rate_percent"], amount=amount,
                            payment_method=d["payment_method"], payment_schedule=d["payment_schedule"],
                            term_years=d["term_years"])


# -- loading -----------------------------------------------------------------------------
async def load_declaration(conn: asyncpg.Connection, declaration_id: str, *, lock: bool = False) -> asyncpg.Record:
    row = await repo.get_declaration(conn, declaration_id, lock=lock)
    if row is None:
        raise NotFound(f"no open licence {declaration_id}")
    return row


async def load_licence(conn: asyncpg.Connection, me: Principal, licence_id: str, *,
                       lock: bool = False) -> asyncpg.Record:
    """A licence, seen only by its two parties (and the operator)."""
    row = await repo.get_licence(conn, licence_id, lock=lock)
    if row is None or not (me.acts_as(row["licensor_org_id"]) or me.acts_as(row["licensee_org_id"])):
        raise NotFound(f"no licence {licence_id}")
    return row


async def patent_facts(conn: asyncpg.Connection, patent_id: str) -> tuple[asyncpg.Record, domain.PatentFacts]:
    row = await repo.get_patent(conn, patent_id)
    if row is None:
        raise NotFound(f"no patent {patent_id}", rule="patent-not-found", field="patent_id")
    return row, domain.PatentFacts(
        patent_id=patent_id, owner_org_id=row["owner_org_id"], co_owner_org_ids=tuple(row["co_owner_org_ids"]),
        kind=row["kind"], legal_status=row["legal_status"], expires_on=row["expires_on"])


def _acting(me: Principal, org_id: str) -> str:
    """``org_id`` if the caller may act as it (itself, a mandated venue, the operator), else the caller."""
    return org_id if me.acts_as(org_id) else me.effective_org_id


# -- declarations ------------------------------------------------------------------------
async def declare(conn: asyncpg.Connection, me: Principal, b: domain.DeclarationTerms) -> asyncpg.Record:
    """A declaration, ``pending`` until the patent register decides it (a reservation:
    the register checks ownership, consents, legal status and every encumbrance against
    its own state, DESIGN §7). Only the terms are this context's to check."""
    row, facts = await patent_facts(conn, b.patent_id)  # an unknown patent is a 404 at once
    royalty = b.royalty
    domain.check_royalty(royalty)
    declarer = _acting(me, facts.owner_org_id)
    d = await repo.insert_declaration(conn, {
        "id": new_id("olc"), "patent_id": b.patent_id, "declarer_org_id": declarer,
        "co_owner_org_ids": list(facts.co_owner_org_ids), "status": "pending", "royalty_basis": royalty.basis,
        "rate_percent": royalty.rate_percent, "amount": royalty.amount, "currency": royalty.currency,
        "payment_method": b.payment_method, "payment_schedule": b.payment_schedule, "term_years": b.term_years,
        "cnipa_announcement_no": b.cnipa_announcement_no, "evaluation_report_no": b.evaluation_report_no,
        "co_owner_consents": list(dict.fromkeys(b.co_owner_consents)),
        "pledgee_consents": list(dict.fromkeys(b.pledgee_consents)),
        "acted_by_org_id": me.org_id if me.org_id != declarer else None,
        "patent": repo.snapshot_of(row).model_dump(mode="json"), "reservation_id": new_id("rsv"),
    })
    if d is None:
        raise Conflict(f"patent {b.patent_id} already has an open licence in force (terms are never edited: "
                       "withdraw it and declare again)", rule="open-licence-already-declared")
    await OUTBOX.record(conn, d["id"], OpenLicenceReservationRequested(reservation=ReservationRequest(
        reservation_id=d["reservation_id"], kind="open_licence", reference_id=d["id"], requester_org_id=declarer,
        patent_ids=[b.patent_id], co_owner_consents=list(d["co_owner_consents"]),
        pledgee_consents=list(d["pledgee_consents"]), evaluation_report_no=b.evaluation_report_no)))
    return d


async def decided(conn: asyncpg.Connection, declaration_id: str) -> asyncpg.Record | None:
    """The declaration once the register has decided it, else None."""
    d = await repo.get_declaration(conn, declaration_id)
    return d if d is not None and d["status"] != "pending" else None


async def on_reservation_decided(conn: asyncpg.Connection, e: ReservationGranted | ReservationRefused) -> None:
    d = await repo.get_declaration(conn, e.reference_id, lock=True)
    if d is None or d["status"] != "pending":
        return
    if isinstance(e, ReservationRefused):
        await repo.set_declaration(conn, d["id"], {"status": "refused", "refusal": {
            "rule": e.rule, "detail": e.detail, "status": e.status, "field": e.field}})
    else:
        patent = e.patents[0]
        d = await repo.set_declaration(conn, d["id"], {"status": "in_force", "patent": patent.model_dump(mode="json"),
                                                       "declared_at": datetime.now(UTC)})
        await OUTBOX.record(conn, d["id"], OpenLicenceDeclared(
            declaration_id=d["id"], patent_id=d["patent_id"], declarer_org_id=d["declarer_org_id"], patent=patent,
            terms=terms_of(d), cnipa_announcement_no=d["cnipa_announcement_no"],
            evaluation_report_no=d["evaluation_report_no"], declared_at=d["declared_at"]))
    await announce_outcome(conn, "licences", d["id"])


async def on_patent_changed(conn: asyncpg.Connection, patent_id: str, legal_status: str, *,
                            transferred: bool) -> None:
    """The register changed the patent's owner or legal status: declarations follow.

    * a transfer ends a declaration (it was the former patentee's, Patent Law art. 50);
    * annual fee unpaid or proceedings suspended suspend it, a restoration resumes it
      (Implementing Regulations art. 86 (2)(3));
    * lapsed, expired or invalidated end it.
    Licences already granted stay in force in every case.
    """
    for d in await repo.declarations_of_patent(conn, patent_id, ("in_force", "suspended")):
        if transferred or legal_status in ("lapsed", "expired", "invalidated"):
            reason = "patent-transferred" if transferred else f"patent-{legal_status}"
            await repo.set_declaration(conn, d["id"], {"status": "ended", "ended_reason": reason})
            await OUTBOX.record(conn, d["id"], OpenLicenceEnded(declaration_id=d["id"], patent_id=patent_id, reason=reason))
        elif legal_status in ("fee_unpaid", "suspended") and d["status"] == "in_force":
            await repo.set_declaration(conn, d["id"], {"status": "suspended"})
            await OUTBOX.record(conn, d["id"], OpenLicenceSuspended(declaration_id=d["id"], patent_id=patent_id,
                                                              reason=f"patent-{legal_status.replace('_', '-')}"))
        elif legal_status == "granted" and d["status"] == "suspended":
            await repo.set_declaration(conn, d["id"], {"status": "in_force"})
            await OUTBOX.record(conn, d["id"], OpenLicenceResumed(declaration_id=d["id"], patent_id=patent_id))


async def withdraw(conn: asyncpg.Connection, me: Principal, declaration_id: str,
                   co_owner_consents: list[str]) -> asyncpg.Record:
    d = await load_declaration(conn, declaration_id, lock=True)
    domain.check_withdrawal(status=d["status"], declarer=d["declarer_org_id"], acting=_acting(me, d["declarer_org_id"]),
                            co_owner_ids=d["co_owner_org_ids"], co_owner_consents=co_owner_consents)
    d = await repo.withdraw_declaration(conn, declaration_id)
    await OUTBOX.record(conn, declaration_id, OpenLicenceWithdrawn(
        declaration_id=declaration_id, patent_id=d["patent_id"], declarer_org_id=d["declarer_org_id"],
        patent=repo.snapshot_of(d, "patent"), terms=terms_of(d), declared_at=d["declared_at"],
        withdrawn_at=d["withdrawn_at"]))
    return d


# -- licences ----------------------------------------------------------------------------
async def accept(conn: asyncpg.Connection, me: Principal, declaration_id: str,
                 licensee_org_id: str | None) -> asyncpg.Record:
    licensee = licensee_org_id or me.effective_org_id
    if licensee != me.effective_org_id:
        if not me.is_operator:
            raise Forbidden("an organisation accepts an open licence for itself (a venue: with its mandate, "
                            "On-Behalf-Of)", rule="licensee-not-self")
        if not await repo.org_exists(conn, licensee):
            raise ValidationFailed([FieldError("licensee_org_id", f"no organisation {licensee}")])
    elif me.is_operator:
        raise ValidationFailed([FieldError("licensee_org_id", "the operator names the organisation it accepts for")])
    d = await load_declaration(conn, declaration_id, lock=True)  # serialises acceptances and withdrawal
    _, facts = await patent_facts(conn, d["patent_id"])
    grant = domain.check_acceptance(status=d["status"], licensee=licensee,
                                    licensor_ids=[d["declarer_org_id"], *d["co_owner_org_ids"]], patent=facts,
                                    term_years=d["term_years"], today=today())
    abroad = (await repo.org_country(conn, licensee) or "CN") != "CN"
    row = await repo.insert_licence(conn, {
        "id": new_id("lic"), "open_licence_id": declaration_id, "patent_id": d["patent_id"], "kind": "ordinary",
        "licensor_org_id": d["declarer_org_id"], "licensee_org_id": licensee,
        "effective_date": grant.effective_date, "expires_on": grant.expires_on, "filing_due_on": grant.filing_due_on,
        "acted_by_org_id": me.org_id if me.org_id != licensee else None, "technology_export_registration": abroad,
    })
    if row is None:
        raise Conflict(f"{licensee} already holds a licence under open licence {declaration_id}",
                       rule="already-licensed")
    await OUTBOX.record(conn, row["id"], LicenceGranted(
        licence_id=row["id"], patent_id=row["patent_id"], licensor_org_id=row["licensor_org_id"],
        licensee_org_id=licensee, kind="ordinary", effective_date=row["effective_date"],
        open_licence_id=declaration_id, terms=terms_of(d), expires_on=row["expires_on"],
        filing_due_on=row["filing_due_on"], technology_export_registration=abroad))
    return row


async def grant_for_deal(conn: asyncpg.Connection, e: DealPaid) -> None:
    """A licence deal is complete (paid): the licence it agreed, granted here where every
    licence is kept — its filing (备案) tracked and its royalties paid like any other."""
    deal = e.deal
    kind = deal.kind.removesuffix("_licence")
    # The patents as the register granted the deal (in the event): this context's copy of
    # the register may not have them yet — events of two topics arrive in any order.
    expiry = {p.patent_id: p.expires_on for p in deal.patents}
    t, r = deal.terms, deal.terms.royalty
    terms = OpenLicenceTerms(basis=r.basis, rate_percent=r.rate_percent, amount=r.amount,
                             payment_method=t.payment_method or "as agreed in the contract",
                             payment_schedule=t.payment_schedule or "as agreed in the contract",
                             term_years=t.term_years)
    currency = r.amount.currency if r.amount else "CNY"
    on = today()
    for patent_id in deal.patent_ids:
        if patent_id not in expiry:
            _, facts = await patent_facts(conn, patent_id)  # an older event without the snapshots
            expiry[patent_id] = facts.expires_on
        expires = min(add_months(on, 12 * (t.term_years or 1)), expiry[patent_id])
        row = await repo.insert_licence_for_deal(conn, {
            "id": new_id("lic"), "deal_id": deal.deal_id,
            "patent_id": patent_id, "kind": kind, "licensor_org_id": deal.owner_org_id,
            "licensee_org_id": deal.counterparty_org_id, "effective_date": on, "expires_on": expires,
            "filing_due_on": add_months(on, domain.FILING_MONTHS), "terms": terms.model_dump(mode="json"),
            "currency": currency, "territory": t.territory,
            "technology_export_registration": deal.technology_export_registration})
        if row is None:
            continue  # a redelivered completion: granted already
        await OUTBOX.record(conn, row["id"], LicenceGranted(
            licence_id=row["id"], patent_id=patent_id, licensor_org_id=deal.owner_org_id,
            licensee_org_id=deal.counterparty_org_id, kind=kind, effective_date=on, terms=terms, expires_on=expires,
            filing_due_on=row["filing_due_on"], deal_id=deal.deal_id, territory=t.territory,
            technology_export_registration=deal.technology_export_registration))


async def register_contract(conn: asyncpg.Connection, me: Principal, licence_id: str, registration_no: str,
                            registered_on: date | None) -> asyncpg.Record:
    """技术合同登记 of a licence that was filed (备案): plan item 九 — "对达成并备案的专利开放
    许可，依法依规予以技术合同登记认定"."""
    row = await load_licence(conn, me, licence_id, lock=True)
    if row["filed_on"] is None:
        raise Conflict("a licence is registered as a technology contract once it is filed (备案)",
                       rule="licence-not-filed")
    if row["contract_registration_no"] is not None:
        raise Conflict(f"licence {licence_id} was registered on {row['contract_registered_on']} "
                       f"({row['contract_registration_no']})", rule="already-registered")
    on = registered_on or today()
    if on < row["filed_on"] or on > today():
        raise ValidationFailed([FieldError("registered_on", f"between the filing ({row['filed_on']}) and today")])
    row = await repo.set_licence(conn, licence_id, {"contract_registration_no": registration_no.strip(),
                                                    "contract_registered_on": on})
    await OUTBOX.record(conn, licence_id, LicenceContractRegistered(
        licence_id=licence_id, patent_id=row["patent_id"], registration_no=row["contract_registration_no"],
        registered_on=on))
    return row


async def file(conn: asyncpg.Connection, me: Principal, licence_id: str, filing_no: str,
               filed_on: date | None) -> asyncpg.Record:
    row = await load_licence(conn, me, licence_id, lock=True)
    if row["filed_on"] is not None:
        raise Conflict(f"licence {licence_id} was filed on {row['filed_on']} ({row['filing_no']})",
                       rule="already-filed")
    on = filed_on or today()
    if on < row["effective_date"] or on > today():
        raise ValidationFailed([FieldError("filed_on", f"between the licence's effective date "
                                                       f"({row['effective_date']}) and today")])
    row = await repo.set_filed(conn, licence_id, filing_no.strip(), on)
    await OUTBOX.record(conn, licence_id, LicenceFiled(licence_id=licence_id, patent_id=row["patent_id"],
                                                 filing_no=row["filing_no"], filed_on=on, deal_id=row["deal_id"]))
    return row


async def pay(conn: asyncpg.Connection, me: Principal, licence_id: str, period: int, amount: Money,
              reported_revenue: Money | None) -> domain.Paid:
    row = await load_licence(conn, me, licence_id, lock=True)  # payments to one licence, one at a time
    if not me.acts_as(row["licensee_org_id"]):
        raise Forbidden("royalties are paid by the licensee", rule="not-licensee")
    royalty, _ = await royalty_and_terms(conn, row)
    currency = royalty.currency
    errors = [FieldError(f"{name}.currency", f"this licence is paid in {currency}")
              for name, m in (("amount", amount), ("reported_revenue", reported_revenue))
              if m is not None and m.currency != currency]
    last_day = row["expires_on"] - timedelta(days=1)
    if not row["effective_date"].year <= period <= last_day.year:
        errors.append(FieldError("period", f"the licence runs from {row['effective_date']} to {row['expires_on']}"))
    if reported_revenue is not None and royalty.basis not in domain.RATE_BASES:
        errors.append(FieldError("reported_revenue", f"not used by a {royalty.basis} royalty"))
    if errors:
        raise ValidationFailed(errors)
    revenue = await repo.reported_revenue(conn, licence_id, period)
    if reported_revenue is not None:
        if revenue is None:
            revenue = reported_revenue.amount
            await repo.report_revenue(conn, licence_id, period, revenue)
        elif revenue != reported_revenue.amount:
            raise domain.LicencesError(f"the revenue for {period} was reported as {revenue:.2f}",
                                       rule="revenue-already-reported", field="reported_revenue")
    due = domain.royalty_due(royalty, period=period, first_period=row["effective_date"].year,
                             reported_revenue=revenue)
    balance = domain.check_payment(domain.Balance(due, await repo.paid_for(conn, licence_id, period)), amount.amount)
    p = await repo.insert_payment(conn, new_id("pay"), licence_id, period, amount.amount,
                                  reported_revenue.amount if reported_revenue else None)

    def m(x: Decimal) -> Money:
        return Money(amount=x, currency=currency)

    await OUTBOX.record(conn, licence_id, RoyaltyPaid(
        licence_id=licence_id, payment_id=p["id"], patent_id=row["patent_id"],
        licensor_org_id=row["licensor_org_id"], licensee_org_id=row["licensee_org_id"], period=period,
        amount=m(amount.amount), reported_revenue=m(revenue) if revenue is not None else None, due=m(balance.due),
        paid=m(balance.paid), outstanding=m(balance.outstanding)))
    return domain.Paid(licence_id=licence_id, payment=dict(p), period=period, revenue=revenue, balance=balance,
                       currency=currency)
