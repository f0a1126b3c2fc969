"""Listings use cases: load, ask the domain, save and record the event in the caller's
transaction. Every event carries the aggregate's snapshot (events.schemas.listings)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from events.outbox import Outbox
from events.schemas.common import Money
from events.schemas.listings import (
    ListingDrafted, ListingPublished, ListingReleased, ListingReserved, ListingSnapshot, ListingSold,
    ListingUpdated, ListingWithdrawn, PatentRegistered, PatentSnapshot, PatentUpdated,
)
from events.schemas.register import PatentTransferRecorded, TransferReference
from services.runtime.access import Principal
from services.runtime.errors import Conflict, FieldError, NotFound, ValidationFailed
from services.listings import domain, rights
from services.listings import repository as repo
from services.runtime.ids import new_id
from services.runtime.clock import today

OUTBOX = Outbox(schema="listings", source="/psm/listings")


# -- snapshots ---------------------------------------------------------------------------
async def patent_snapshot(conn: asyncpg.Connection, row: asyncpg.Record) -> PatentSnapshot:
    return _patent_snapshot(row, await repo.org(conn, row["owner_org_id"]))


def _patent_snapshot(row: asyncpg.Record, owner: asyncpg.Record | None) -> PatentSnapshot:
    return PatentSnapshot(
        patent_id=row["id"], number=row["number"], title=row["title"], abstract=row["abstract"], kind=row["kind"],
        ipc=list(row["ipc"]), applicants=list(row["applicants"]), inventors=list(row["inventors"]),
        filing_date=row["filing_date"], grant_date=row["grant_date"],
        legal_status=domain.effective_legal_status(row["legal_status"], row["expires_on"], today()),
        expires_on=row["expires_on"], owner_org_id=row["owner_org_id"],
        owner_kind=owner["kind"] if owner else None, owner_sub_kind=owner["sub_kind"] if owner else None,
        owner_name=(owner["name"] or None) if owner else None, co_owner_org_ids=list(row["co_owner_org_ids"]),
    )


def money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency or "CNY")


async def listing_snapshot(conn: asyncpg.Connection, row: asyncpg.Record) -> ListingSnapshot:
    patent_ids = await repo.listing_patent_ids(conn, row["id"])
    patents = {p["id"]: p for p in await repo.get_patents(conn, patent_ids)}
    encumbrances = await repo.encumbrances_of(conn, patent_ids)
    owner = await repo.org(conn, row["owner_org_id"])
    return ListingSnapshot(
        listing_id=row["id"], kind=row["kind"], status=row["status"], owner_org_id=row["owner_org_id"],
        owner_kind=owner["kind"] if owner else None, owner_sub_kind=owner["sub_kind"] if owner else None,
        owner_name=(owner["name"] or None) if owner else None, title=row["title"], description=row["description"],
        patents=[await patent_snapshot(conn, patents[pid]) for pid in patent_ids if pid in patents],
        modes=list(row["modes"]), price=money(row["price_amount"], row["price_currency"]),
        negotiable=row["negotiable"], budget=money(row["budget_amount"], row["budget_currency"]),
        industry=row["industry"], field=row["field"], stage=row["stage"], region=row["region"],
        tags=list(row["tags"]), open_licence=any("open_licence" in encumbrances.get(p, ()) for p in patent_ids),
        created_at=row["created_at"], updated_at=row["updated_at"], published_at=row["published_at"],
        acted_by_org_id=row["acted_by_org_id"],
    )


# -- patents -----------------------------------------------------------------------------
async def register_patent(conn: asyncpg.Connection, owner_org_id: str, facts: domain.PatentFacts) -> asyncpg.Record:
    row = await repo.insert_patent(conn, new_id("pat"), owner_org_id, facts)
    if row is None:
        raise Conflict(f"patent {facts.number} is already in the register", rule="patent-already-registered",
                       field="number")
    await OUTBOX.record(conn, row["id"], PatentRegistered(patent=await patent_snapshot(conn, row)))
    return row


async def register_patents(conn: asyncpg.Connection, owner_org_id: str,
                           facts: Sequence[domain.PatentFacts]) -> list[asyncpg.Record | None]:
    """``register_patent`` for many patents in a few round trips (bulk imports): for each
    entry, its new row, or None when its number was already in the register (or earlier
    in ``facts``, where the first one wins). One PatentRegistered per row, recorded in
    the caller's transaction like every other event."""
    if not facts:
        return []
    ids = [new_id("pat") for _ in facts]
    rows = {r["id"]: r for r in await repo.insert_patents(conn, ids, owner_org_id, facts)}
    inserted = [rows[i] for i in ids if i in rows]
    if inserted:
        owner = await repo.org(conn, owner_org_id)
        await OUTBOX.record_many(conn, [(r["id"], PatentRegistered(patent=_patent_snapshot(r, owner)))
                                        for r in inserted])
    return [rows.get(i) for i in ids]


async def load_patent(conn: asyncpg.Connection, patent_id: str) -> asyncpg.Record:
    row = await repo.get_patent(conn, patent_id)
    if row is None:
        raise NotFound(f"no patent {patent_id}")
    return row


async def record_transfer(conn: asyncpg.Connection, me: Principal, patent_id: str, transfer_id: str,
                          recording_no: str, recorded_on: date | None) -> asyncpg.Record:
    """The buyer (the owner now), its venue or the operator records CNIPA's registration."""
    row = await load_patent(conn, patent_id)
    t = await repo.transfer(conn, transfer_id, lock=True)
    if t is None or t["patent_id"] != patent_id:
        raise NotFound(f"no transfer {transfer_id} of patent {patent_id}")
    me.require_acting_as(t["to_org_id"], "this transfer")
    if t["recorded_on"] is not None:
        raise Conflict(f"transfer {transfer_id} was recorded on {t['recorded_on']} ({t['recording_no']})",
                       rule="transfer-already-recorded")
    on = recorded_on or today()
    if on < t["transferred_at"].date() or on > today():
        raise ValidationFailed([FieldError("recorded_on", "between the transfer and today")])
    await repo.set_recorded(conn, transfer_id, recording_no.strip(), on)
    await OUTBOX.record(conn, patent_id, PatentTransferRecorded(
        patent_id=patent_id, transfer_id=transfer_id,
        reference=TransferReference(kind=t["reference_kind"], id=t["reference_id"]),
        recording_no=recording_no.strip(), recorded_on=on))
    return row


# -- listings ----------------------------------------------------------------------------
async def load_listing(conn: asyncpg.Connection, listing_id: str, *, lock: bool = False) -> asyncpg.Record:
    row = await repo.get_listing(conn, listing_id, lock=lock)
    if row is None:
        raise NotFound(f"no listing {listing_id}")
    return row


async def _owned_patents(conn: asyncpg.Connection, owner: str, patent_ids: Sequence[str]) -> list[asyncpg.Record]:
    rows = await repo.get_patents(conn, patent_ids)
    found = {r["id"]: r for r in rows}
    missing = [FieldError(f"patent_ids.{i}", f"no patent {pid} in the register")
               for i, pid in enumerate(patent_ids) if pid not in found]
    # The register's owner is the one who may offer a patent: a former owner (after a
    # transfer) no longer may.
    not_owned = [FieldError(f"patent_ids.{i}", f"patent {pid} is not owned by {owner}")
                 for i, pid in enumerate(patent_ids) if pid in found and found[pid]["owner_org_id"] != owner]
    if missing:
        raise ValidationFailed(sorted(missing + not_owned, key=lambda e: int(e.field.split(".")[1])))
    if not_owned:
        problem = ValidationFailed(not_owned)
        problem.rule = "patent-not-owned"
        raise problem
    return rows


async def _check_market_rules(conn: asyncpg.Connection, listing_id: str, modes: list[str],
                              patent_ids: Sequence[str]) -> None:
    """The register decides a listing's own offers in the listing's transaction, under the
    patents' row locks, against every encumbrance in force (services/listings/rights.py)."""
    patents = await repo.rights_of(conn, patent_ids, lock=True)
    rights.check_offer(modes, patents, today(), listing_id=listing_id)


def listing_values(b, *, fields: set[str]) -> dict:
    """Columns for the fields a request set (create: all; patch: the ones sent)."""
    out: dict = {}
    for name in ("title", "description", "modes", "negotiable", "industry", "field", "stage", "region", "tags"):
        if name in fields:
            out[name] = getattr(b, name)
    for name in ("price", "budget"):
        if name in fields:
            money = getattr(b, name)
            out[f"{name}_amount"] = money.amount if money else None
            out[f"{name}_currency"] = money.currency if money else None
    return out


def _validate_listing(kind: str, values: dict, patent_count: int) -> None:
    errors = domain.check_codes(industry=values.get("industry"), region=values.get("region"))
    errors += domain.check_terms(kind=kind, modes=list(values.get("modes") or []), price=values.get("price_amount"),
                                 negotiable=bool(values.get("negotiable")), patent_count=patent_count)
    if not (values.get("title") or "").strip():
        errors.append(FieldError("title", "must not be empty"))
    if errors:
        raise ValidationFailed(errors)


async def create_listing(conn: asyncpg.Connection, me: Principal, kind: str, patent_ids: list[str], values: dict):
    owner = me.effective_org_id
    if len(set(patent_ids)) != len(patent_ids):
        raise ValidationFailed([FieldError("patent_ids", "each patent once")])
    if patent_ids:
        rows = {r["id"]: r for r in await _owned_patents(conn, owner, patent_ids)}
        if kind == "supply" and not values.get("title"):
            values = {**values, "title": rows[patent_ids[0]]["title"]}  # DESIGN §5: the first patent's title
    _validate_listing(kind, values, len(patent_ids))
    await repo.ensure_org(conn, owner, me.effective_kind)
    row = await repo.insert_listing(conn, {"id": new_id("lst"), "kind": kind, "status": "draft",
                                           "owner_org_id": owner, "acted_by_org_id": me.org_id if me.acting_for else None,
                                           **values})
    await repo.set_listing_patents(conn, row["id"], patent_ids)
    snapshot = await listing_snapshot(conn, row)
    await OUTBOX.record(conn, row["id"], ListingDrafted(listing=snapshot))
    return snapshot


async def publish_listing(conn: asyncpg.Connection, me: Principal, listing_id: str) -> ListingSnapshot:
    row = await load_listing(conn, listing_id, lock=True)
    me.require_acting_as(row["owner_org_id"], "this listing")
    domain.transition(row["status"], "published")
    if row["kind"] == "supply":
        await _check_market_rules(conn, listing_id, list(row["modes"]), await repo.listing_patent_ids(conn, listing_id))
    row = await repo.update_listing(conn, listing_id, {"status": "published", "published_at": datetime.now(UTC)})
    snapshot = await listing_snapshot(conn, row)
    await OUTBOX.record(conn, listing_id, ListingPublished(listing=snapshot))
    return snapshot


async def withdraw_listing(conn: asyncpg.Connection, me: Principal, listing_id: str) -> ListingSnapshot:
    row = await load_listing(conn, listing_id, lock=True)
    me.require_acting_as(row["owner_org_id"], "this listing")
    domain.transition(row["status"], "withdrawn")
    row = await repo.update_listing(conn, listing_id, {"status": "withdrawn"})
    snapshot = await listing_snapshot(conn, row)
    await OUTBOX.record(conn, listing_id, ListingWithdrawn(listing=snapshot))
    return snapshot


async def update_listing(conn: asyncpg.Connection, me: Principal, listing_id: str, patent_ids: list[str] | None,
                         values: dict) -> ListingSnapshot:
    row = await load_listing(conn, listing_id, lock=True)
    me.require_acting_as(row["owner_org_id"], "this listing")
    if row["status"] not in ("draft", "published"):
        raise Conflict(f"a {row['status']} listing cannot be edited", rule="listing-not-editable")
    merged = {k: row[k] for k in ("title", "description", "modes", "negotiable", "industry", "field", "stage",
                                  "region", "tags", "price_amount", "price_currency", "budget_amount",
                                  "budget_currency")}
    merged.update(values)
    current_ids = await repo.listing_patent_ids(conn, listing_id)
    ids = current_ids if patent_ids is None else patent_ids
    _validate_listing(row["kind"], merged, len(ids))
    if patent_ids is not None:
        if len(set(ids)) != len(ids):
            raise ValidationFailed([FieldError("patent_ids", "each patent once")])
        await _owned_patents(conn, row["owner_org_id"], ids)
    if row["status"] == "published" and row["kind"] == "supply":
        await _check_market_rules(conn, listing_id, list(merged["modes"]), ids)
    row = await repo.update_listing(conn, listing_id, values) if values else row
    if patent_ids is not None:
        await repo.set_listing_patents(conn, listing_id, ids)
    snapshot = await listing_snapshot(conn, row)
    await OUTBOX.record(conn, listing_id, ListingUpdated(listing=snapshot))
    return snapshot


# -- reactions to other contexts ---------------------------------------------------------
async def refresh_listings_of_patent(conn: asyncpg.Connection, patent_id: str) -> None:
    """A fact about a patent changed (e.g. an open licence): re-announce its listings."""
    for listing_id in await repo.listings_with_patent(conn, patent_id):
        row = await load_listing(conn, listing_id, lock=True)
        await OUTBOX.record(conn, listing_id, ListingUpdated(listing=await listing_snapshot(conn, row)))


async def refresh_owner(conn: asyncpg.Connection, org_id: str) -> None:
    # No row locks on patents here: a publish holds its listing's lock while it locks
    # patents, so taking them in the other order would deadlock with it.
    for row in await repo.patents_of_owner(conn, org_id):
        patent = await repo.get_patent(conn, row["id"])
        await OUTBOX.record(conn, patent["id"], PatentUpdated(patent=await patent_snapshot(conn, patent)))
    for row in await repo.listings_of_owner(conn, org_id):
        listing = await load_listing(conn, row["id"], lock=True)
        await OUTBOX.record(conn, listing["id"], ListingUpdated(listing=await listing_snapshot(conn, listing)))


async def reserve_for(conn: asyncpg.Connection, listing_id: str, reason: str, reference_id: str) -> bool:
    row = await repo.get_listing(conn, listing_id, lock=True)
    if row is None or row["status"] != "published":
        return False
    row = await repo.update_listing(conn, listing_id, {"status": "reserved", "reserved_ref": reference_id})
    await OUTBOX.record(conn, listing_id, ListingReserved(listing=await listing_snapshot(conn, row), reason=reason,
                                                    reference_id=reference_id))
    return True


async def release_from(conn: asyncpg.Connection, listing_id: str, reference_id: str) -> bool:
    row = await repo.get_listing(conn, listing_id, lock=True)
    if row is None or row["status"] != "reserved" or row["reserved_ref"] != reference_id:
        return False
    row = await repo.update_listing(conn, listing_id, {"status": "published", "reserved_ref": None})
    await OUTBOX.record(conn, listing_id, ListingReleased(listing=await listing_snapshot(conn, row),
                                                    reference_id=reference_id))
    return True


async def sell_through(conn: asyncpg.Connection, listing_id: str, reference_id: str, price: Money | None) -> bool:
    row = await repo.get_listing(conn, listing_id, lock=True)
    if row is None or row["status"] != "reserved" or row["reserved_ref"] != reference_id:
        return False
    row = await repo.update_listing(conn, listing_id, {"status": "sold"})
    await OUTBOX.record(conn, listing_id, ListingSold(listing=await listing_snapshot(conn, row), reference_id=reference_id,
                                                price=price))
    return True
