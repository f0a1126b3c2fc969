"""Deal use cases: load, ask the domain, save and record the event in the caller's
transaction.

Every step of one deal is serialised on the deal's row (SELECT … FOR UPDATE), and the
terms carry a version: a confirmation or a counter answers the version it read, so two
parties acting at once can never agree to different terms. The patents are reserved
by the patent register (the one writer of rights) when both parties have confirmed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import asyncpg

from events.consistency import announce_outcome
from events.outbox import Outbox
from events.schemas.common import Money
from events.schemas.deals import (
    DealAgreed, DealCancelled, DealConfirmed, DealContractRegistered, DealCountered, DealExpired,
    DealExportReviewDecided, DealExportReviewRequested, DealPaid, DealProposed, DealRecorded, DealRefused,
    DealReservationRequested, DealRoyalty, DealSnapshot, DealTerms,
)
from events.schemas.listings import PatentSnapshot
from events.schemas.register import ReservationGranted, ReservationRefused, ReservationRequest
from services.deals import certificates, domain
from services.deals import repository as repo
from services.runtime.access import Principal
from services.runtime.calendar import add_months
from services.runtime.clock import now, today
from services.runtime.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from services.runtime.ids import new_id

OUTBOX = Outbox(schema="deals", source="/psm/deals")
RECORDING_MONTHS = 3  # as the register dates a transfer's recording, and licences their filing (备案)


# -- rows ↔ values -----------------------------------------------------------------------
def terms_of(row: asyncpg.Record) -> DealTerms:
    def m(x: Decimal | None) -> Money | None:
        return Money(amount=x, currency=row["currency"]) if x is not None else None

    royalty = DealRoyalty(basis=row["royalty_basis"], rate_percent=row["rate_percent"],
                          amount=m(row["royalty_amount"])) if row["royalty_basis"] else None
    return DealTerms(price=m(row["price"]), royalty=royalty, territory=row["territory"], term_years=row["term_years"],
                     valuation=m(row["valuation"]), equity_share_percent=row["equity_share_percent"],
                     payment_method=row["payment_method"], payment_schedule=row["payment_schedule"])


def _columns(t: domain.Terms, method: str | None, schedule: str | None) -> dict:
    return {"currency": t.currency, "price": t.price, "royalty_basis": t.royalty_basis, "rate_percent": t.rate_percent,
            "royalty_amount": t.royalty_amount, "territory": t.territory, "term_years": t.term_years,
            "valuation": t.valuation, "equity_share_percent": t.equity_share_percent, "payment_method": method,
            "payment_schedule": schedule}


def to_domain(row: asyncpg.Record) -> domain.Deal:
    return domain.Deal(kind=row["kind"], status=row["status"], owner_org_id=row["owner_org_id"],
                       counterparty_org_id=row["counterparty_org_id"],
                       counterparty_country=row["counterparty_country"], version=row["version"],
                       confirmed_by=tuple(row["confirmed_by"]), expires_at=row["expires_at"],
                       export_review=row["export_review"])


def snapshot(row: asyncpg.Record) -> DealSnapshot:
    return DealSnapshot(
        deal_id=row["id"], kind=row["kind"], status=row["status"], owner_org_id=row["owner_org_id"],
        counterparty_org_id=row["counterparty_org_id"], counterparty_country=row["counterparty_country"],
        proposed_by=row["proposed_by"], listing_id=row["listing_id"], patent_ids=list(row["patent_ids"]),
        patents=row["patents"], terms=terms_of(row), version=row["version"], confirmed_by=list(row["confirmed_by"]),
        export_review=row["export_review"], technology_export_registration=row["technology_export_registration"],
        agreed_at=row["agreed_at"], paid_at=row["paid_at"], recorded_at=row["recorded_at"], ended_at=row["ended_at"],
        created_at=row["created_at"], expires_at=row["expires_at"])


async def _step(conn: asyncpg.Connection, row: asyncpg.Record, step: str, by_org_id: str | None) -> None:
    await repo.add_step(conn, row["id"], step, by_org_id, row["version"])


# -- loading -----------------------------------------------------------------------------
async def load(conn: asyncpg.Connection, me: Principal, deal_id: str, *, lock: bool = False) -> asyncpg.Record:
    """A deal, seen by its two parties (and their mandated venues) and the operator."""
    row = await repo.get_deal(conn, deal_id, lock=lock)
    if row is None or not (me.acts_as(row["owner_org_id"]) or me.acts_as(row["counterparty_org_id"])):
        raise NotFound(f"no deal {deal_id}")
    return row


def _acted_by(me: Principal, party_org: str) -> str | None:
    return me.org_id if me.org_id != party_org else None


# -- proposing ---------------------------------------------------------------------------
async def propose(conn: asyncpg.Connection, me: Principal, *, kind: str, listing_id: str | None,
                  patent_ids: list[str], counterparty_org_id: str | None, terms: domain.Terms,
                  method: str | None, schedule: str | None, negotiation_days: int,
                  co_owner_consents: list[str] = ()) -> asyncpg.Record:
    listing = None
    if listing_id is not None:
        listing = await repo.get_listing(conn, listing_id)
        if listing is None or listing["status"] in ("draft", "withdrawn", "expired"):
            raise NotFound(f"no listing {listing_id} on the market", rule="listing-not-found", field="listing_id")
        if listing["kind"] == "supply":
            if kind not in listing["modes"]:
                raise ValidationFailed([FieldError("kind", f"listing {listing_id} offers "
                                                   f"{', '.join(listing['modes']) or 'nothing'}")])
            patent_ids = patent_ids or list(listing["patent_ids"])
            stray = sorted(set(patent_ids) - set(listing["patent_ids"]))
            if stray:
                raise ValidationFailed([FieldError("patent_ids", f"not in listing {listing_id}: {', '.join(stray)}")])
    if not patent_ids:
        raise ValidationFailed([FieldError("patent_ids", "name the patents (or a supply listing offering them)")])
    patent_ids = sorted(set(patent_ids))
    patents = await repo.get_patents(conn, patent_ids)
    missing = sorted(set(patent_ids) - {p.patent_id for p in patents})
    if missing:
        raise ValidationFailed([FieldError("patent_ids", f"no patent {', '.join(missing)} in the register")])
    owners = {p.owner_org_id for p in patents}
    if len(owners) > 1:
        raise ValidationFailed([FieldError("patent_ids", "one deal's patents have one owner "
                                           f"(these belong to {', '.join(sorted(owners))})")])
    (owner,) = owners
    me_org = me.effective_org_id
    if me_org == owner:
        proposed_by = domain.OWNER
        if counterparty_org_id is None and listing is not None and listing["kind"] == "demand":
            counterparty_org_id = listing["owner_org_id"]  # answering a demand: its owner is the counterparty
        if counterparty_org_id is None:
            raise ValidationFailed([FieldError("counterparty_org_id", "the owner names the party it deals with")])
    elif me.is_operator:
        raise Forbidden("the operator is not a party: a deal is proposed by the owner or the counterparty "
                        "(a venue with its mandate, On-Behalf-Of)", rule="not-a-party")
    else:
        proposed_by = domain.COUNTERPARTY
        if counterparty_org_id not in (None, me_org):
            raise Forbidden("a counterparty proposes for itself (the owner may name another)",
                            rule="counterparty-not-self")
        counterparty_org_id = me_org
    if counterparty_org_id == owner:
        raise ValidationFailed([FieldError("counterparty_org_id", "the patents' owner cannot deal with itself")])
    counterparty = await repo.get_org(conn, counterparty_org_id)
    if counterparty is None:
        raise ValidationFailed([FieldError("counterparty_org_id", f"no organisation {counterparty_org_id}")])
    domain.check_terms(kind, terms)
    at = now()
    row = await repo.insert_deal(conn, {
        "id": new_id("dl"), "kind": kind, "status": "proposed", "owner_org_id": owner,
        "counterparty_org_id": counterparty_org_id, "counterparty_country": counterparty["country"],
        "proposed_by": proposed_by, "listing_id": listing_id, "patent_ids": patent_ids,
        "patents": [p.model_dump(mode="json") for p in patents], **_columns(terms, method, schedule),
        "confirmed_by": [proposed_by], "co_owner_consents": list(co_owner_consents),
        "technology_export_registration": domain.export_registration_needed(kind, counterparty["country"]),
        "acted_by_org_id": me.org_id if me.org_id != me_org else None,
        "expires_at": domain.negotiation_deadline(at, negotiation_days), "created_at": at, "updated_at": at})
    await _step(conn, row, "proposed", me_org)
    await OUTBOX.record(conn, row["id"], DealProposed(deal=snapshot(row)))
    return row


# -- negotiating -------------------------------------------------------------------------
async def counter(conn: asyncpg.Connection, me: Principal, deal_id: str, version: int, terms: domain.Terms,
                  method: str | None, schedule: str | None) -> asyncpg.Record:
    row = await load(conn, me, deal_id, lock=True)
    d = to_domain(row)
    party = d.party_of(me.effective_org_id, operator=me.is_operator)
    d = d.counter(party, terms, version, now())
    row = await repo.set_deal(conn, deal_id, {**_columns(terms, method, schedule), "version": d.version,
                                              "confirmed_by": list(d.confirmed_by), "status": d.status})
    await _step(conn, row, "countered", me.effective_org_id)
    await OUTBOX.record(conn, deal_id, DealCountered(deal=snapshot(row)))
    return row


async def confirm(conn: asyncpg.Connection, me: Principal, deal_id: str, version: int) -> asyncpg.Record:
    """One party agrees to the current terms. With both, the register is asked to reserve
    the patents for the deal (its answer makes the deal agreed or refused)."""
    row = await load(conn, me, deal_id, lock=True)
    d = to_domain(row)
    party = d.party_of(me.effective_org_id, operator=me.is_operator)
    d = d.confirm(party, version, now())
    values: dict = {"confirmed_by": list(d.confirmed_by), "status": d.status}
    if d.status == "agreeing":
        values["reservation_id"] = new_id("rsv")
    row = await repo.set_deal(conn, deal_id, values)
    await _step(conn, row, "confirmed", me.effective_org_id)
    if d.status != "agreeing":
        await OUTBOX.record(conn, deal_id, DealConfirmed(deal=snapshot(row)))
        return row
    await OUTBOX.record(conn, deal_id, DealReservationRequested(reservation=ReservationRequest(
        reservation_id=row["reservation_id"], kind="deal", reference_id=deal_id, requester_org_id=row["owner_org_id"],
        patent_ids=list(row["patent_ids"]), deal_kind=row["kind"], holder_org_id=row["counterparty_org_id"],
        co_owner_consents=list(row["co_owner_consents"]))))
    return row


async def decided(conn: asyncpg.Connection, deal_id: str) -> asyncpg.Record | None:
    """The deal once the register has answered its reservation, else None."""
    row = await repo.get_deal(conn, deal_id)
    return row if row is not None and row["status"] != "agreeing" else None


async def on_reservation_decided(conn: asyncpg.Connection, e: ReservationGranted | ReservationRefused) -> None:
    row = await repo.deal_of_reservation(conn, e.reservation_id)
    if row is None or row["status"] != "agreeing":
        return
    if isinstance(e, ReservationRefused):
        row = await repo.set_deal(conn, row["id"], {"status": "refused", "ended_at": now(), "refusal": {
            "rule": e.rule, "detail": e.detail, "status": e.status, "field": e.field}})
        await _step(conn, row, "refused", None)
        await OUTBOX.record(conn, row["id"], DealRefused(deal=snapshot(row), rule=e.rule, detail=e.detail))
    else:
        d = to_domain(row).reserved()
        row = await repo.set_deal(conn, row["id"], {
            "status": d.status, "export_review": d.export_review, "agreed_at": now(),
            "patents": [p.model_dump(mode="json") for p in e.patents]})
        await _step(conn, row, "agreed", None)
        await OUTBOX.record(conn, row["id"], DealAgreed(deal=snapshot(row)))
        if d.status == "pending_export_review":
            await _step(conn, row, "export_review_requested", None)
            await OUTBOX.record(conn, row["id"], DealExportReviewRequested(deal=snapshot(row)))
    await announce_outcome(conn, "deals", row["id"])


# -- after agreement ---------------------------------------------------------------------
async def review_export(conn: asyncpg.Connection, me: Principal, deal_id: str, approve: bool, reasons: str,
                        documents: list[str]) -> asyncpg.Record:
    row = await load(conn, me, deal_id, lock=True)
    d = to_domain(row).review_export(approve)
    values: dict = {"status": d.status, "export_review": d.export_review, "export_reasons": reasons.strip(),
                    "export_documents": documents}
    if not approve:
        values["ended_at"] = now()
    row = await repo.set_deal(conn, deal_id, values)
    await _step(conn, row, "export_approved" if approve else "export_refused", me.org_id)
    await OUTBOX.record(conn, deal_id, DealExportReviewDecided(deal=snapshot(row), approved=approve,
                                                               reasons=reasons.strip(), documents=documents))
    return row


async def pay(conn: asyncpg.Connection, me: Principal, deal_id: str, payment_reference: str | None) -> asyncpg.Record:
    """Payment confirmed (by the operator, who holds the escrow or the bank's callback): the
    deal is complete. Ownership moves, or the licence is granted, where those are owned."""
    row = await load(conn, me, deal_id, lock=True)
    return await _paid(conn, row, payment_reference, me.org_id)


async def paid_by_callback(conn: asyncpg.Connection, deal_id: str, payment_reference: str,
                           amount: Money) -> asyncpg.Record:
    """The payment provider's signed callback: the deal's contract value was paid. A
    provider that repeats its callback (it retries until answered) changes nothing."""
    row = await repo.get_deal(conn, deal_id, lock=True)
    if row is None:
        raise NotFound(f"no deal {deal_id}")
    if row["status"] in ("paid", "recorded") and row["payment_reference"] == payment_reference:
        return row
    value = terms_of(row).contract_value()
    if value is not None and (amount.amount, amount.currency) != (value.amount, value.currency):
        raise ValidationFailed([FieldError("amount", f"the deal's contract value is {value.amount:.2f} "
                                                     f"{value.currency}")])
    return await _paid(conn, row, payment_reference, None)


async def _paid(conn: asyncpg.Connection, row: asyncpg.Record, payment_reference: str | None,
                by_org_id: str | None) -> asyncpg.Record:
    deal_id = row["id"]
    d = to_domain(row).pay()
    at = now()
    row = await repo.set_deal(conn, deal_id, {
        "status": d.status, "paid_at": at, "payment_reference": payment_reference,
        "unrecorded_patent_ids": list(row["patent_ids"]),
        "recording_due_on": add_months(at.date(), RECORDING_MONTHS)})
    await _step(conn, row, "paid", by_org_id)
    await OUTBOX.record(conn, deal_id, DealPaid(deal=snapshot(row), payment_reference=payment_reference))
    await certificates.issue_for_deal(conn, row, snapshot(row), await repo.history_of(conn, deal_id))
    return row


async def cancel(conn: asyncpg.Connection, me: Principal, deal_id: str, reason: str | None) -> asyncpg.Record:
    row = await load(conn, me, deal_id, lock=True)
    d = to_domain(row)
    if not me.is_operator:
        d.party_of(me.effective_org_id, operator=False)
    d = d.cancel()
    row = await repo.set_deal(conn, deal_id, {"status": d.status, "ended_at": now()})
    await _step(conn, row, "cancelled", me.effective_org_id)
    await OUTBOX.record(conn, deal_id, DealCancelled(deal=snapshot(row), reason=reason))
    return row


async def cancel_for_patent(conn: asyncpg.Connection, patent_id: str, legal_status: str) -> None:
    """The patent left force (lapsed, expired, invalidated): a deal of it not yet paid is
    cancelled — what is not in force cannot be transferred or licensed. (One being decided
    by the register is refused there, for the same reason.)"""
    for row in await repo.open_deals_of_patent(conn, patent_id):
        row = await repo.set_deal(conn, row["id"], {"status": "cancelled", "ended_at": now()})
        await _step(conn, row, "cancelled", None)
        await OUTBOX.record(conn, row["id"], DealCancelled(deal=snapshot(row), reason=f"patent-{legal_status}"))


async def expire_lapsed(conn: asyncpg.Connection, limit: int = 100) -> int:
    """Proposals not agreed in time lapse (the sweeper's one transaction per batch)."""
    rows = await repo.lapsed_proposals(conn, limit)  # read and locked once
    for row in rows:
        d = to_domain(row).expire(now())
        if d is None:
            continue
        row = await repo.set_deal(conn, row["id"], {"status": d.status, "ended_at": now()})
        await _step(conn, row, "expired", None)
        await OUTBOX.record(conn, row["id"], DealExpired(deal=snapshot(row)))
    return len(rows)


async def register_contract(conn: asyncpg.Connection, me: Principal, deal_id: str, registration_no: str,
                            registered_on: date | None) -> asyncpg.Record:
    """技术合同登记 of a completed deal, by either party (Civil Code art. 843ff; the
    technology-contract registration rules)."""
    row = await load(conn, me, deal_id, lock=True)
    if row["status"] not in ("paid", "recorded"):
        raise Conflict(f"the deal is {row['status']}: a technology contract is registered once completed",
                       rule="deal-not-completed")
    if row["contract_registration_no"] is not None:
        raise Conflict(f"the contract was registered on {row['contract_registered_on']} "
                       f"({row['contract_registration_no']})", rule="already-registered")
    on = registered_on or today()
    if on < row["paid_at"].date() or on > today():
        raise ValidationFailed([FieldError("registered_on", f"between the deal's completion "
                                                            f"({row['paid_at'].date()}) and today")])
    row = await repo.set_deal(conn, deal_id, {"contract_registration_no": registration_no.strip(),
                                              "contract_registered_on": on})
    await _step(conn, row, "contract_registered", me.effective_org_id)
    await OUTBOX.record(conn, deal_id, DealContractRegistered(deal=snapshot(row), registration_no=registration_no.strip(),
                                                              registered_on=on))
    return row


# -- history ---------------------------------------------------------------------------
async def import_completed(conn: asyncpg.Connection, *, deal_id: str, kind: str, owner_org_id: str,
                           counterparty_org_id: str, patents: list[PatentSnapshot], terms: domain.Terms,
                           proposed_at: datetime, agreed_at: datetime, paid_at: datetime,
                           parties: dict[str, tuple[str, str]]) -> asyncpg.Record | None:
    """A deal concluded and paid before it was brought to the marketplace (a venue's or an
    institution's records; the demo's history): recorded as completed, with its dates, so
    that ownership, licences and the statistics follow from its events like any other.
    None if ``deal_id`` is already here. The caller gives the patents and the parties'
    (name, country) as they stood: this context's read models may not have them yet."""
    domain.check_terms(kind, terms)
    patent_ids = [p.patent_id for p in patents]
    row = await repo.insert_deal(conn, {
        "id": deal_id, "kind": kind, "status": "paid", "owner_org_id": owner_org_id,
        "counterparty_org_id": counterparty_org_id,
        "counterparty_country": parties[counterparty_org_id][1], "proposed_by": domain.OWNER,
        "patent_ids": patent_ids, "patents": [p.model_dump(mode="json") for p in patents],
        **_columns(terms, None, None), "confirmed_by": [domain.OWNER, domain.COUNTERPARTY],
        "unrecorded_patent_ids": patent_ids, "recording_due_on": add_months(paid_at.date(), RECORDING_MONTHS),
        "expires_at": agreed_at, "created_at": proposed_at, "updated_at": paid_at, "agreed_at": agreed_at,
        "paid_at": paid_at}, if_new=True)
    if row is None:
        return None
    for step, at, by in (("proposed", proposed_at, owner_org_id), ("confirmed", agreed_at, counterparty_org_id),
                         ("agreed", agreed_at, None), ("paid", paid_at, None)):
        await repo.add_step(conn, deal_id, step, by, 1, at)
    await OUTBOX.record(conn, deal_id, DealPaid(deal=snapshot(row), payment_reference="imported"))
    await certificates.issue_for_deal(conn, row, snapshot(row), await repo.history_of(conn, deal_id), parties)
    return row


# -- recording (the register's and the licences' facts) ------------------------------------
async def on_recorded(conn: asyncpg.Connection, deal_id: str, patent_id: str) -> None:
    """CNIPA recorded the transfer of one of the deal's patents, or its licence was filed
    (备案): once every patent's is, the deal is recorded."""
    row = await repo.get_deal(conn, deal_id, lock=True)
    if row is None or patent_id not in row["unrecorded_patent_ids"]:
        return
    left = [p for p in row["unrecorded_patent_ids"] if p != patent_id]
    values: dict = {"unrecorded_patent_ids": left}
    if not left and row["status"] == "paid":
        values |= {"status": "recorded", "recorded_at": now()}
    row = await repo.set_deal(conn, row["id"], values)
    if row["status"] == "recorded" and not left:
        await _step(conn, row, "recorded", None)
        await OUTBOX.record(conn, row["id"], DealRecorded(deal=snapshot(row)))


async def on_licence_granted(conn: asyncpg.Connection, deal_id: str, licence_id: str) -> None:
    row = await repo.get_deal(conn, deal_id, lock=True)
    if row is not None and row["licence_id"] is None:
        await repo.set_deal(conn, deal_id, {"licence_id": licence_id})
