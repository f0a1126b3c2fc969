"""The listings API's renderings of the register's records (the API layer: api.py calls these)."""

from __future__ import annotations

import asyncpg

from services.listings import handlers
from services.listings import repository as repo
from services.listings.models import EncumbranceView, ImportJob, LineError, PatentRightsView, TransferView
from services.runtime.clock import today


async def rights_view(conn: asyncpg.Connection, row: asyncpg.Record) -> PatentRightsView:
    """The register entry, every encumbrance in force (the register's own and the
    listings' offers) and the transfers, with their CNIPA recording status."""
    snapshot = await handlers.patent_snapshot(conn, row)
    (now_held,) = await repo.rights_of(conn, [row["id"]])
    t = today()
    transfers = [TransferView(
        id=x["id"], from_org_id=x["from_org_id"], to_org_id=x["to_org_id"], reference_kind=x["reference_kind"],
        reference_id=x["reference_id"], price=handlers.money(x["price_amount"], x["price_currency"]),
        transferred_at=x["transferred_at"], recording_due_on=x["recording_due_on"],
        recording_status="recorded" if x["recorded_on"] else ("overdue" if t > x["recording_due_on"] else "due"),
        recorded_on=x["recorded_on"], recording_no=x["recording_no"]) for x in await repo.transfers_of(conn, row["id"])]
    return PatentRightsView(**snapshot.model_dump(), transfers=transfers, encumbrances=[
        EncumbranceView(kind=e.kind, reference_id=e.reference_id, holder_org_id=e.holder_org_id, since=e.since)
        for e in now_held.encumbrances])


def import_job(row: asyncpg.Record, errors: list[asyncpg.Record], next_cursor: str | None) -> ImportJob:
    return ImportJob(id=row["id"], status=row["status"], total=row["total"], processed=row["processed"],
                     accepted=row["accepted"], rejected=row["rejected"], created_at=row["created_at"],
                     finished_at=row["finished_at"], next_errors_cursor=next_cursor,
                     errors=[LineError(line=e["line"], errors=e["errors"]) for e in errors])
