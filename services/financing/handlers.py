"""Pledge use cases: load, ask the domain, save and record the event in the caller's
transaction. Every step of one pledge is serialised on its row (SELECT … FOR UPDATE).

A patent pledge is held by the patent register (the one writer of rights): the
financier's confirmation asks it, and its answer makes the pledge in force or refused.
Licence income is split here, where the secured amount and what it has received are
kept: each royalty payment of a pledged licence, in the order the payments arrive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from events.consistency import announce_outcome
from events.outbox import Outbox
from events.schemas.common import Money
from events.schemas.financing import (
    DisposalTerms, Loan, PledgeDisposalRequested, PledgeDisposed, SettlementStatement, PledgeCancelled, PledgeConsentGiven, PledgeConsentRevoked, PledgeDefaulted, PledgeInForce, PledgeProposed,
    PledgeRefused, PledgeRegistered, PledgeSnapshot, RoyaltyAttributed, PatentValued,
)
from events.schemas.licences import RoyaltyPaid
from events.schemas.register import (
    PledgeReleased, PledgeReservationRequested, ReservationGranted, ReservationRefused, ReservationRequest,
)
from services.financing import domain
from services.financing import repository as repo
from services.runtime.access import Principal
from services.runtime.clock import today
from services.runtime.errors import FieldError, Forbidden, NotFound, ValidationFailed
from services.runtime.ids import new_id

OUTBOX = Outbox(schema="financing", source="/psm/financing")


def _now() -> datetime:
    return datetime.now(UTC)


def snapshot(row: asyncpg.Record) -> PledgeSnapshot:
    def m(x: Decimal) -> Money:
        return Money(amount=x, currency=row["currency"])

    return PledgeSnapshot(
        pledge_id=row["id"], kind=row["kind"], status=row["status"], pledgor_org_id=row["pledgor_org_id"],
        pledgee_org_id=row["pledgee_org_id"], patent_ids=list(row["patent_ids"]), licence_ids=list(row["licence_ids"]),
        loan=Loan(amount=m(row["loan_amount"]), term_months=row["term_months"], rate_percent=row["rate_percent"]),
        valuation_id=row["valuation_id"], guaranteed=row["guaranteed"], insured=row["insured"],
        consents=list(row["consents"]), registration_no=row["registration_no"], registered_on=row["registered_on"],
        attributed=m(row["attributed"]) if row["kind"] == "licence_income" else None, created_at=row["created_at"],
        effective_at=row["effective_at"], ended_at=row["ended_at"])


def to_domain(row: asyncpg.Record) -> domain.Pledge:
    return domain.Pledge(kind=row["kind"], status=row["status"], pledgor_org_id=row["pledgor_org_id"],
                         pledgee_org_id=row["pledgee_org_id"])


async def load(conn: asyncpg.Connection, me: Principal, pledge_id: str, *, lock: bool = False) -> asyncpg.Record:
    """A pledge, seen by its two parties (and their venues) and the operator."""
    row = await repo.get_pledge(conn, pledge_id, lock=lock)
    if row is None or not (me.acts_as(row["pledgor_org_id"]) or me.acts_as(row["pledgee_org_id"])):
        raise NotFound(f"no pledge {pledge_id}")
    return row


async def _party(me: Principal, row: asyncpg.Record) -> str:
    if me.is_operator and me.acting_for is None:
        raise Forbidden("the operator is not a party: the pledgor or the financier acts", rule="not-a-party")
    return to_domain(row).party_of(me.effective_org_id)


async def _step(conn: asyncpg.Connection, row: asyncpg.Record, step: str, me: Principal | None) -> None:
    await repo.add_step(conn, row["id"], step, me.effective_org_id if me else None)


# -- proposing ---------------------------------------------------------------------------
async def propose(conn: asyncpg.Connection, me: Principal, *, kind: str, pledgee_org_id: str, patent_ids: list[str],
                  licence_ids: list[str], loan: Money, term_months: int, rate_percent: Decimal,
                  valuation_id: str | None, guaranteed: bool, insured: bool,
                  co_owner_consents: list[str]) -> asyncpg.Record:
    domain.check_loan(loan.amount, term_months, rate_percent)
    if kind == "patent":
        if not patent_ids or licence_ids:
            raise ValidationFailed([FieldError("patent_ids", "a patent pledge names its patents (and no licences)")])
        patents = await repo.get_patents(conn, patent_ids)
        missing = sorted(set(patent_ids) - {p["id"] for p in patents})
        if missing:
            raise ValidationFailed([FieldError("patent_ids", f"no patent {', '.join(missing)} in the register")])
        owners = {p["owner_org_id"] for p in patents}
    else:
        if not licence_ids or patent_ids:
            raise ValidationFailed([FieldError("licence_ids", "a licence-income pledge names its licences "
                                                              "(and no patents)")])
        licences = await repo.get_licences(conn, licence_ids)
        missing = sorted(set(licence_ids) - {x["id"] for x in licences})
        if missing:
            raise ValidationFailed([FieldError("licence_ids", f"no licence {', '.join(missing)}")])
        owners = {x["licensor_org_id"] for x in licences}
        patent_ids = []
    if len(owners) > 1:
        raise ValidationFailed([FieldError("patent_ids" if kind == "patent" else "licence_ids",
                                           "one pledge's collateral has one pledgor")])
    (pledgor,) = owners
    if me.effective_org_id != pledgor:
        raise Forbidden(f"only the {'patents' if kind == 'patent' else 'licences'}' holder ({pledgor}) pledges "
                        "them (a venue with its mandate, On-Behalf-Of)", rule="not-the-holder")
    pledgee = await repo.get_org(conn, pledgee_org_id)
    if pledgee is None or pledgee["kind"] != "financier":
        raise ValidationFailed([FieldError("pledgee_org_id", f"{pledgee_org_id} is not a financier registered here")])
    if valuation_id is not None:
        v = await repo.get_valuation(conn, valuation_id)
        if v is None or (kind == "patent" and v["patent_id"] not in patent_ids):
            raise ValidationFailed([FieldError("valuation_id", "a valuation of one of the pledged patents")])
    row = await repo.insert_pledge(conn, {
        "id": new_id("plg"), "kind": kind, "status": "proposed", "pledgor_org_id": pledgor,
        "pledgee_org_id": pledgee_org_id, "patent_ids": sorted(set(patent_ids)), "licence_ids": sorted(set(licence_ids)),
        "currency": loan.currency, "loan_amount": loan.amount, "term_months": term_months,
        "rate_percent": rate_percent, "valuation_id": valuation_id, "guaranteed": guaranteed, "insured": insured,
        "co_owner_consents": list(dict.fromkeys(co_owner_consents)),
        "acted_by_org_id": me.org_id if me.org_id != pledgor else None})
    await _step(conn, row, "proposed", me)
    await OUTBOX.record(conn, row["id"], PledgeProposed(pledge=snapshot(row)))
    return row


# -- the financier's steps -----------------------------------------------------------------
async def confirm(conn: asyncpg.Connection, me: Principal, pledge_id: str) -> asyncpg.Record:
    row = await load(conn, me, pledge_id, lock=True)
    status = to_domain(row).confirm(await _party(me, row))
    if status == "reserving":
        row = await repo.set_pledge(conn, pledge_id, {"status": status, "reservation_id": new_id("rsv")})
        await _step(conn, row, "confirmed", me)
        await OUTBOX.record(conn, pledge_id, PledgeReservationRequested(reservation=ReservationRequest(
            reservation_id=row["reservation_id"], kind="pledge", reference_id=pledge_id,
            requester_org_id=row["pledgor_org_id"], patent_ids=list(row["patent_ids"]),
            holder_org_id=row["pledgee_org_id"], co_owner_consents=list(row["co_owner_consents"]))))
        return row
    row = await repo.set_pledge(conn, pledge_id, {"status": status, "effective_at": _now()})
    await _step(conn, row, "confirmed", me)
    await OUTBOX.record(conn, pledge_id, PledgeInForce(pledge=snapshot(row)))
    return row


async def decided(conn: asyncpg.Connection, pledge_id: str) -> asyncpg.Record | None:
    row = await repo.get_pledge(conn, pledge_id)
    return row if row is not None and row["status"] != "reserving" else None


async def on_reservation_decided(conn: asyncpg.Connection, e: ReservationGranted | ReservationRefused) -> None:
    row = await repo.pledge_of_reservation(conn, e.reservation_id)
    if row is None or row["status"] != "reserving":
        return
    if isinstance(e, ReservationRefused):
        row = await repo.set_pledge(conn, row["id"], {"status": "refused", "ended_at": _now(), "refusal": {
            "rule": e.rule, "detail": e.detail, "status": e.status, "field": e.field}})
        await _step(conn, row, "refused", None)
        await OUTBOX.record(conn, row["id"], PledgeRefused(pledge=snapshot(row), rule=e.rule, detail=e.detail))
    else:
        row = await repo.set_pledge(conn, row["id"], {"status": "in_force", "effective_at": _now()})
        await _step(conn, row, "in_force", None)
        await OUTBOX.record(conn, row["id"], PledgeInForce(pledge=snapshot(row)))
    await announce_outcome(conn, "financing", row["id"])


async def register(conn: asyncpg.Connection, me: Principal, pledge_id: str, registration_no: str,
                   registered_on: date | None) -> asyncpg.Record:
    """The pledge's registration with CNIPA (专利权质押登记), by either party."""
    row = await load(conn, me, pledge_id, lock=True)
    await _party(me, row)
    to_domain(row).register()
    on = registered_on or today()
    if on < row["effective_at"].date() or on > today():
        raise ValidationFailed([FieldError("registered_on", f"between the pledge's effect "
                                                            f"({row['effective_at'].date()}) and today")])
    row = await repo.set_pledge(conn, pledge_id, {"registration_no": registration_no.strip(), "registered_on": on})
    await _step(conn, row, "registered", me)
    await OUTBOX.record(conn, pledge_id, PledgeRegistered(pledge=snapshot(row)))
    return row


async def consent(conn: asyncpg.Connection, me: Principal, pledge_id: str, scope: str, *, give: bool) -> asyncpg.Record:
    """The pledgee's consent to a transfer, an open-licence declaration or a licence of the
    pledged patents — given, or revoked for what has not been done yet."""
    row = await load(conn, me, pledge_id, lock=True)
    to_domain(row).consent(await _party(me, row))
    consents = sorted(set(row["consents"]) | {scope} if give else set(row["consents"]) - {scope})
    if consents == sorted(row["consents"]):
        return row  # nothing changes: as asked already
    row = await repo.set_pledge(conn, pledge_id, {"consents": consents})
    await _step(conn, row, f"consent_{'given' if give else 'revoked'}:{scope}", me)
    event = PledgeConsentGiven if give else PledgeConsentRevoked
    await OUTBOX.record(conn, pledge_id, event(pledge_id=pledge_id, pledgee_org_id=row["pledgee_org_id"],
                                               patent_ids=list(row["patent_ids"]), scope=scope, consents=consents))
    return row


async def release(conn: asyncpg.Connection, me: Principal, pledge_id: str) -> asyncpg.Record:
    row = await load(conn, me, pledge_id, lock=True)
    status = to_domain(row).release(await _party(me, row))
    row = await repo.set_pledge(conn, pledge_id, {"status": status, "ended_at": _now()})
    await _step(conn, row, "released", me)
    await OUTBOX.record(conn, pledge_id, PledgeReleased(pledge_id=pledge_id))
    return row


async def default(conn: asyncpg.Connection, me: Principal, pledge_id: str) -> asyncpg.Record:
    row = await load(conn, me, pledge_id, lock=True)
    status = to_domain(row).default(await _party(me, row))
    row = await repo.set_pledge(conn, pledge_id, {"status": status})
    await _step(conn, row, "defaulted", me)
    await OUTBOX.record(conn, pledge_id, PledgeDefaulted(pledge=snapshot(row)))
    return row


async def cancel(conn: asyncpg.Connection, me: Principal, pledge_id: str) -> asyncpg.Record:
    row = await load(conn, me, pledge_id, lock=True)
    status = to_domain(row).cancel(await _party(me, row))
    row = await repo.set_pledge(conn, pledge_id, {"status": status, "ended_at": _now()})
    await _step(conn, row, "cancelled", me)
    await OUTBOX.record(conn, pledge_id, PledgeCancelled(pledge=snapshot(row)))
    return row


# -- disposal (质物处置) ---------------------------------------------------------------------
async def request_disposal(conn: asyncpg.Connection, me: Principal, pledge_id: str, terms: DisposalTerms,
                           priority_holders: list[str]) -> asyncpg.Record:
    """On default the pledgee puts the pledged patents up for auction (the auctions context
    runs it; the register lists the patents for it). Co-owners of a patent hold a priority
    purchase right of their own (Patent Law art. 14): they are named whether asked or not."""
    row = await load(conn, me, pledge_id, lock=True)
    status = to_domain(row).dispose(await _party(me, row))
    domain.check_disposal_terms(starts_at=terms.starts_at, ends_at=terms.ends_at, now=_now(),
                                start_price=terms.start_price.amount, increment=terms.increment.amount,
                                deposit=terms.deposit.amount,
                                currencies={terms.start_price.currency, terms.increment.currency,
                                            terms.deposit.currency})
    co_owners = [c for p in await repo.get_patents(conn, row["patent_ids"]) for c in p["co_owner_org_ids"]]
    holders = list(dict.fromkeys([*priority_holders, *co_owners]))
    row = await repo.set_pledge(conn, pledge_id, {"status": status, "disposal": {
        "terms": terms.model_dump(mode="json"), "priority_holders": holders}})
    await _step(conn, row, "disposal_requested", me)
    await OUTBOX.record(conn, pledge_id, PledgeDisposalRequested(pledge=snapshot(row), terms=terms,
                                                                 priority_holders=holders))
    return row


async def on_disposal_auction(conn: asyncpg.Connection, pledge_id: str, auction_id: str) -> None:
    row = await repo.get_pledge(conn, pledge_id, lock=True)
    if row is not None and row["status"] == "disposing":
        await repo.set_pledge(conn, pledge_id, {"disposal": {**row["disposal"], "auction_id": auction_id}})


async def on_disposed(conn: asyncpg.Connection, pledge_id: str, auction_id: str, price: Money) -> None:
    """The disposal sold: the statement splits the proceeds, the pledge is extinguished."""
    row = await repo.get_pledge(conn, pledge_id, lock=True)
    if row is None or row["status"] != "disposing":
        return
    to_pledgee, to_pledgor = domain.statement(price.amount, row["loan_amount"])
    statement = SettlementStatement(auction_id=auction_id, price=price,
                                    to_pledgee=Money(amount=to_pledgee, currency=price.currency),
                                    to_pledgor=Money(amount=to_pledgor, currency=price.currency))
    row = await repo.set_pledge(conn, pledge_id, {"status": "disposed", "ended_at": _now(), "disposal": {
        **row["disposal"], "auction_id": auction_id, "statement": statement.model_dump(mode="json")}})
    await _step(conn, row, "disposed", None)
    await OUTBOX.record(conn, pledge_id, PledgeDisposed(pledge=snapshot(row), statement=statement))
    await OUTBOX.record(conn, pledge_id, PledgeReleased(pledge_id=pledge_id))  # the register's encumbrance ends


# -- licence income ----------------------------------------------------------------------
async def on_royalty_paid(conn: asyncpg.Connection, e: RoyaltyPaid, at: datetime) -> None:
    """Split a royalty payment of a pledged licence: to each pledge over it in force, oldest
    first, until its secured amount is covered; what is left is the licensor's."""
    left = e.amount.amount
    for row in await repo.income_pledges_of_licence(conn, e.licence_id):
        if row["currency"] != e.amount.currency:
            continue  # a loan in another currency is not repaid by this payment
        to_pledgee, left = domain.split(left, row["loan_amount"], row["attributed"])
        if not await repo.record_split(conn, payment_id=e.payment_id, pledge_id=row["id"], licence_id=e.licence_id,
                                       paid=e.amount.amount, to_pledgee=to_pledgee, to_licensor=left, at=at):
            return  # a redelivery: split already
        covered = row["attributed"] + to_pledgee
        await repo.set_pledge(conn, row["id"], {"attributed": covered})

        def m(x: Decimal) -> Money:
            return Money(amount=x, currency=row["currency"])

        await OUTBOX.record(conn, row["id"], RoyaltyAttributed(
            pledge_id=row["id"], licence_id=e.licence_id, payment_id=e.payment_id, to_pledgee=m(to_pledgee),
            to_licensor=m(left), covered=m(covered), remaining=m(row["loan_amount"] - covered)))
        if not left:
            return


# -- valuations --------------------------------------------------------------------------
async def value(conn: asyncpg.Connection, me: Principal, patent_id: str, *, evaluator: str, method: str,
                amount: Money, valued_on: date, report_ref: str) -> asyncpg.Record:
    """A valuation report for a patent, recorded by its owner (or venue), a financier, or
    the operator; a valuation is a fact of its date, never edited (record a new one)."""
    (patent,) = await repo.get_patents(conn, [patent_id]) or (None,)
    if patent is None:
        raise NotFound(f"no patent {patent_id}")
    if not (me.acts_as(patent["owner_org_id"]) or me.effective_kind == "financier"):
        raise Forbidden("a valuation is recorded by the patent's owner, a financier or the operator",
                        rule="not-owner-or-financier")
    if valued_on > today():
        raise ValidationFailed([FieldError("valued_on", "not in the future")])
    if amount.amount <= 0:
        raise ValidationFailed([FieldError("value.amount", "a positive value")])
    row = await repo.insert_valuation(conn, {
        "id": new_id("val"), "patent_id": patent_id, "evaluator": evaluator.strip(), "method": method,
        "value": amount.amount, "currency": amount.currency, "valued_on": valued_on, "report_ref": report_ref.strip(),
        "recorded_by": me.effective_org_id})
    await OUTBOX.record(conn, row["id"], PatentValued(
        valuation_id=row["id"], patent_id=patent_id, evaluator=row["evaluator"], method=method, value=amount,
        valued_on=valued_on, report_ref=row["report_ref"]))
    return row


async def indicators(conn: asyncpg.Connection, patent_id: str) -> tuple[asyncpg.Record, domain.Facts]:
    (patent,) = await repo.get_patents(conn, [patent_id]) or (None,)
    if patent is None:
        raise NotFound(f"no patent {patent_id}")
    lic = await repo.licence_facts(conn, patent_id)
    return patent, domain.Facts(
        legal_status=patent["legal_status"], expires_on=patent["expires_on"], today=today(),
        portfolio_size=await repo.portfolio_size(conn, patent["owner_org_id"], patent["ipc_subclass"]),
        licences=lic["licences"], exclusive_licence=bool(lic["exclusive"]),
        transactions=await repo.deals_of(conn, patent_id), royalty_income=lic["royalties"],
        pledged=await repo.pledged(conn, patent_id), interest_scores=await repo.interest_of(conn, patent_id))
