"""The patent register's use cases: deciding reservations other contexts ask for,
ending them, moving ownership with a completed deal, and changes of legal status.

Each runs in the transaction of the event (or request) that asked, under the row
locks of the patents concerned (listing first, then patents in id order — the order
a publish takes them too), so the register decides against its own state and two
conflicting requests can never both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from events.schemas.common import Money
from events.schemas.listings import ListingExpired, ListingPublished, ListingWithdrawn, PatentSnapshot, PatentUpdated
from events.schemas.register import (
    PatentLegalStatusChanged, PatentTransferred, ReservationGranted, ReservationRefused, ReservationRequest,
    TransferReference,
)
from services.runtime.access import Principal
from services.runtime.calendar import add_months
from services.runtime.errors import DomainError, NotFound, ValidationFailed
from services.listings import domain, handlers, rights
from services.listings import repository as repo

RECORDING_MONTHS = 3  # the marketplace's due date for recording a transfer with CNIPA (no statutory one)


def _today():
    return datetime.now(UTC).date()


async def _snapshots(conn: asyncpg.Connection, patent_ids: Sequence[str]) -> list[PatentSnapshot]:
    return [await handlers.patent_snapshot(conn, r) for r in await repo.get_patents(conn, patent_ids)]


# -- deciding ----------------------------------------------------------------------------
async def decide(conn: asyncpg.Connection, r: ReservationRequest, at: datetime) -> bool:
    """Grant or refuse ``r`` and record the decision as an event keyed by its id; True if granted."""
    try:
        async with conn.transaction():  # a savepoint: a refusal leaves nothing of the attempt
            patent_ids = await _grant(conn, r, at)
    except DomainError as e:
        await repo.record_reservation(conn, reservation_id=r.reservation_id, kind=r.kind, reference_id=r.reference_id,
                                      requester_org_id=r.requester_org_id, patent_ids=r.patent_ids, status="refused",
                                      rule=e.rule, detail=e.detail)
        await handlers.OUTBOX.record(conn, r.reservation_id, ReservationRefused(
            reservation_id=r.reservation_id, kind=r.kind, reference_id=r.reference_id, rule=e.rule, detail=e.detail,
            status=e.status, field=e.errors[0].field if e.errors else None))
        return False
    await repo.record_reservation(conn, reservation_id=r.reservation_id, kind=r.kind, reference_id=r.reference_id,
                                  requester_org_id=r.requester_org_id, patent_ids=patent_ids, status="granted")
    await handlers.OUTBOX.record(conn, r.reservation_id, ReservationGranted(
        reservation_id=r.reservation_id, kind=r.kind, reference_id=r.reference_id, patent_ids=patent_ids,
        patents=await _snapshots(conn, patent_ids), listing_id=r.listing_id))
    return True


async def _grant(conn: asyncpg.Connection, r: ReservationRequest, at: datetime) -> list[str]:
    today = _today()
    if r.kind == "auction":
        if r.disposes:
            await _list_for_disposal(conn, r, at)
        listing = await repo.get_listing(conn, r.listing_id or "", lock=True)
        if r.replaces and listing is not None and listing["reserved_ref"] == r.replaces:
            # A relisting: the auctions context (which owns auction outcomes) ended the
            # earlier auction unsold before asking; its closing event may still be on the
            # way (another partition). End that reservation here, in this transaction.
            await auction_ended(conn, listing["id"], r.replaces)
            listing = await repo.get_listing(conn, listing["id"], lock=True)
        patent_ids = await repo.listing_patent_ids(conn, listing["id"]) if listing else []
        patents = await repo.rights_of(conn, patent_ids, lock=True)
        rights.check_auction(listing_status=listing["status"] if listing else None,
                             listing_kind=listing["kind"] if listing else None,
                             listing_owner=listing["owner_org_id"] if listing else None,
                             listing_id=r.listing_id or "", requester=r.requester_org_id, patents=patents, today=today,
                             disposes=r.disposes)
        await handlers.reserve_for(conn, listing["id"], "auction", r.reference_id)
        for pid in patent_ids:
            await repo.hold(conn, pid, rights.AUCTION, r.reference_id, since=at, holder_org_id=r.requester_org_id,
                            reservation_id=r.reservation_id)
        return patent_ids
    patents = await repo.rights_of(conn, r.patent_ids, lock=True)
    missing = sorted(set(r.patent_ids) - {p.patent_id for p in patents})
    if missing or not r.patent_ids:
        raise rights.RegisterError(f"no patent {', '.join(missing) or '(none named)'} in the register",
                                   rule="patent-not-found", field="patent_id")
    if r.kind == "open_licence":
        (p,) = patents
        rights.check_open_licence(p, declarer=r.requester_org_id, co_owner_consents=r.co_owner_consents,
                                  evaluation_report_no=r.evaluation_report_no,
                                  today=today)
        await repo.hold(conn, p.patent_id, rights.OPEN_LICENCE, r.reference_id, since=at,
                        holder_org_id=r.requester_org_id, reservation_id=r.reservation_id)
        await handlers.refresh_listings_of_patent(conn, p.patent_id)  # listings show "open licence"
    elif r.kind == "deal":
        rights.check_deal(patents, deal_kind=r.deal_kind or "", requester=r.requester_org_id,
                          co_owner_consents=r.co_owner_consents, today=today)
        held = rights.DEAL_HOLDS.get(r.deal_kind or "")
        for p in patents if held else ():
            await repo.hold(conn, p.patent_id, held, r.reference_id, since=at, holder_org_id=r.holder_org_id,
                            reservation_id=r.reservation_id)
    elif r.kind == "pledge":
        rights.check_pledge(patents, requester=r.requester_org_id, pledgee=r.holder_org_id,
                            co_owner_consents=r.co_owner_consents, today=today)
        for p in patents:
            await repo.hold(conn, p.patent_id, rights.PLEDGE, r.reference_id, since=at,
                            holder_org_id=r.holder_org_id, reservation_id=r.reservation_id)
    else:  # pragma: no cover — the schema allows no other kind
        raise rights.RegisterError(f"the register holds no {r.kind} reservations", rule="unknown-reservation")
    return list(r.patent_ids)


async def _list_for_disposal(conn: asyncpg.Connection, r: ReservationRequest, at: datetime) -> None:
    """质物处置: the pledged patents listed for their sale, on their owner's behalf, by the
    pledgee who disposes of them (the listing the auction is of). In the decision's
    savepoint: a refused disposal leaves no listing behind."""
    if await repo.get_listing(conn, r.listing_id or "") is not None:
        return
    rows = await repo.get_patents(conn, r.patent_ids)
    owners = {p["owner_org_id"] for p in rows}
    if len(rows) != len(set(r.patent_ids)) or len(owners) != 1:
        raise rights.RegisterError("a disposal's patents are in the register, with one owner",
                                   rule="patent-not-found", field="patent_ids")
    (owner,) = owners
    row = await repo.insert_listing(conn, {
        "id": r.listing_id, "kind": "supply", "status": "published", "owner_org_id": owner,
        "acted_by_org_id": r.requester_org_id, "title": f"质物处置：{rows[0]['title']}"[:200],
        "description": f"质押专利处置（质权人 {r.requester_org_id}，质押 {r.disposes}）", "modes": ["transfer"],
        "negotiable": False, "published_at": at})
    await repo.set_listing_patents(conn, row["id"], sorted(r.patent_ids))
    await handlers.OUTBOX.record(conn, row["id"], ListingPublished(listing=await handlers.listing_snapshot(conn, row)))


async def reserve_disposal_sale(conn: asyncpg.Connection, listing_id: str, auction_id: str, at: datetime) -> None:
    """变卖: a disposal sold at a fixed price after its auctions sold nothing — its lot is
    reserved for that sale again until it settles."""
    if await handlers.reserve_for(conn, listing_id, "auction", auction_id):
        for pid in await repo.listing_patent_ids(conn, listing_id):
            await repo.hold(conn, pid, rights.AUCTION, auction_id, since=at)


# -- ending ------------------------------------------------------------------------------
async def end(conn: asyncpg.Connection, reference_id: str, kind: str) -> None:
    """An encumbrance ended where it was created (a withdrawal, a release)."""
    for patent_id in await repo.release(conn, reference_id, kind):
        if kind == rights.OPEN_LICENCE:
            await handlers.refresh_listings_of_patent(conn, patent_id)


async def auction_ended(conn: asyncpg.Connection, listing_id: str, auction_id: str) -> None:
    """An auction ended without a transfer (unsold, defaulted, export refused, cancelled):
    its lot is back on the market and its patents free of it."""
    await handlers.release_from(conn, listing_id, auction_id)
    await repo.release(conn, auction_id, rights.AUCTION)


# -- ownership ---------------------------------------------------------------------------
async def transfer(conn: asyncpg.Connection, *, listing_id: str | None, reference: TransferReference, to_org_id: str,
                   price: Money | None, at: datetime, patent_ids: Sequence[str] = ()) -> None:
    """A completed sale of ``listing_id``'s lot (an auction) or of ``patent_ids`` (a deal):
    each patent's owner becomes the buyer.

    * Licences granted before the transfer stay in force: a transfer contract does not
      affect licence contracts concluded before it (SPC interpretation on technology
      contracts, 法释〔2004〕20号 as amended 2020, art. 24 para. 2).
    * An open-licence declaration in force ends with the transfer: it is the patentee's
      own declaration (Patent Law art. 50), and the buyer has made none. Licences
      already granted under it stay (above); the buyer may declare again.
    * The seller's other listings of the patent end (withdrawn); the lot is sold.
    * The transfer takes legal effect when CNIPA records it (Patent Law art. 10): the
      recording (著录项目变更) is tracked with a due date.
    """
    if listing_id is not None:
        patent_ids = await repo.listing_patent_ids(conn, listing_id)
        await repo.get_listing(conn, listing_id, lock=True)  # the lock order of every decision: listing, then patents
    for p in await repo.get_patents(conn, sorted(patent_ids), lock=True):
        if p["owner_org_id"] == to_org_id:
            continue  # a redelivered settlement: already moved
        for other in await repo.active_listings_of_patent(conn, p["id"], owner=p["owner_org_id"],
                                                          statuses=("draft", "published")):
            if other != listing_id:
                await _end_listing(conn, other, "withdrawn")
        await repo.release_on_patent(conn, p["id"], rights.OPEN_LICENCE)
        row = await repo.set_owner(conn, p["id"], to_org_id)
        t = await repo.insert_transfer(conn, {
            "id": handlers.new_id("trf"), "patent_id": p["id"], "from_org_id": p["owner_org_id"],
            "to_org_id": to_org_id, "reference_kind": reference.kind, "reference_id": reference.id,
            "price_amount": price.amount if price else None, "price_currency": price.currency if price else None,
            "transferred_at": at, "recording_due_on": add_months(at.date(), RECORDING_MONTHS)})
        await handlers.OUTBOX.record(conn, p["id"], PatentTransferred(
            patent_id=p["id"], transfer_id=t["id"], from_org_id=p["owner_org_id"], to_org_id=to_org_id,
            reference=reference, price=price, transferred_at=at, recording_due_on=t["recording_due_on"],
            patent=await handlers.patent_snapshot(conn, row)))


async def _end_listing(conn: asyncpg.Connection, listing_id: str, status: str) -> None:
    row = await repo.get_listing(conn, listing_id, lock=True)
    if row is None or status not in domain.TRANSITIONS[row["status"]]:
        return
    row = await repo.update_listing(conn, listing_id, {"status": status})
    event = ListingExpired if status == "expired" else ListingWithdrawn
    await handlers.OUTBOX.record(conn, listing_id, event(listing=await handlers.listing_snapshot(conn, row)))


# -- legal status ------------------------------------------------------------------------
async def patch_patent(conn: asyncpg.Connection, me: Principal, patent_id: str, legal_status: str | None,
                       reason: str | None, corrections: dict) -> asyncpg.Record:
    """Owner (or its mandated venue, or the operator): a legal-status change and/or
    ``corrections`` of the entry (title, abstract, applicants, inventors, grant_date,
    ipc), decided and recorded by the register."""
    (row,) = await repo.get_patents(conn, [patent_id], lock=True) or (None,)
    if row is None:
        raise NotFound(f"no patent {patent_id}")
    me.require_acting_as(row["owner_org_id"], "this patent")
    values = dict(corrections)
    if "ipc" in values:
        values["ipc"], errors = domain.normalize_ipc_symbols(values["ipc"])
        if errors:
            raise ValidationFailed(errors)
    target = legal_status or row["legal_status"]
    rights.check_legal_status_change(row["legal_status"], target, grant_date=values.get("grant_date", row["grant_date"]))
    if not values and target == row["legal_status"]:
        return row
    return await change_legal_status(conn, patent_id, target, reason, values)


async def change_legal_status(conn: asyncpg.Connection, patent_id: str, legal_status: str,
                              reason: str | None, values: dict) -> asyncpg.Record:
    """Record a legal-status change (and corrections) of a locked patent. A patent no
    longer in force takes its listings off the market at once; the other contexts react
    to the event (declarations suspended or ended, auctions not yet decided cancelled)."""
    (row,) = await repo.get_patents(conn, [patent_id], lock=True)
    previous = row["legal_status"]
    row = await repo.update_patent(conn, patent_id, {**values, "legal_status": legal_status})
    snapshot = await handlers.patent_snapshot(conn, row)
    if legal_status != previous:
        await handlers.OUTBOX.record(conn, patent_id, PatentLegalStatusChanged(
            patent_id=patent_id, previous=previous, legal_status=legal_status, reason=reason, patent=snapshot))
    else:
        await handlers.OUTBOX.record(conn, patent_id, PatentUpdated(patent=snapshot))
    if legal_status in rights.DEAD_STATUSES:
        for listing_id in await repo.active_listings_of_patent(conn, patent_id, statuses=("published", "reserved")):
            await _end_listing(conn, listing_id, "expired")
    else:
        await handlers.refresh_listings_of_patent(conn, patent_id)
    return row
