"""SQL for the licences schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import asyncpg

from events.schemas.listings import PatentSnapshot
from services.runtime.storage.sql import for_update, insert_row, update_row

# -- declarations ------------------------------------------------------------------------
async def insert_declaration(conn: asyncpg.Connection, values: dict) -> asyncpg.Record | None:
    """The new row, or None when the patent already has a declaration pending or in force."""
    return await insert_row(conn, "licences.declarations", values, on_conflict=(
        "ON CONFLICT (patent_id) WHERE status IN ('pending', 'in_force', 'suspended') DO NOTHING"))


async def get_declaration(conn: asyncpg.Connection, declaration_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM licences.declarations WHERE id = $1" + for_update(lock),
                               declaration_id)


async def withdraw_declaration(conn: asyncpg.Connection, declaration_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        # clock_timestamp(), not now(): taken once the row lock is held, so every licence
        # granted before the withdrawal carries an earlier time (now() is when the
        # transaction began, possibly before a racing acceptance committed).
        "UPDATE licences.declarations SET status = 'withdrawn', withdrawn_at = clock_timestamp() WHERE id = $1 "
        "RETURNING *",
        declaration_id)


async def list_declarations(conn: asyncpg.Connection, *, patent_id: str | None, status: str | None,
                            after: tuple | None, limit: int) -> list[asyncpg.Record]:
    """Refused declarations are listed only when asked for (``status=refused``)."""
    return await conn.fetch(
        "SELECT * FROM licences.declarations WHERE ($1::text IS NULL OR patent_id = $1) "
        "AND (status = $2 OR ($2::text IS NULL AND status <> 'refused')) "
        "AND ($3::timestamptz IS NULL OR (declared_at, id) > ($3, $4)) ORDER BY declared_at, id LIMIT $5",
        patent_id, status, after[0] if after else None, after[1] if after else None, limit + 1,
    )


# -- licences ----------------------------------------------------------------------------
async def insert_licence(conn: asyncpg.Connection, values: dict) -> asyncpg.Record | None:
    """The new row, or None when this licensee already holds a licence under the declaration."""
    return await insert_row(conn, "licences.licences", values,
                            on_conflict="ON CONFLICT (open_licence_id, licensee_org_id) DO NOTHING")


async def insert_licence_for_deal(conn: asyncpg.Connection, values: dict) -> asyncpg.Record | None:
    """The new row, or None when the deal's licence was granted already."""
    return await insert_row(conn, "licences.licences", values, on_conflict=(
        "ON CONFLICT (deal_id, patent_id) WHERE deal_id IS NOT NULL DO NOTHING"))


async def set_licence(conn: asyncpg.Connection, licence_id: str, values: dict) -> asyncpg.Record:
    return await update_row(conn, "licences.licences", licence_id, values)


async def get_licence(conn: asyncpg.Connection, licence_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM licences.licences WHERE id = $1" + for_update(lock),
                               licence_id)


async def set_filed(conn: asyncpg.Connection, licence_id: str, filing_no: str, filed_on: date) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE licences.licences SET filing_no = $2, filed_on = $3 WHERE id = $1 RETURNING *",
        licence_id, filing_no, filed_on)


# status → SQL condition on a licence row; $1 is today.
STATUS_CONDITIONS = {
    "active": "l.expires_on > $1::date",
    "expired": "l.expires_on <= $1::date",
    "filed": "l.filed_on IS NOT NULL AND $1::date IS NOT NULL",
    "filing_due": "l.filed_on IS NULL AND l.filing_due_on >= $1::date",
    "filing_overdue": "l.filed_on IS NULL AND l.filing_due_on < $1::date",
}


async def list_licences(conn: asyncpg.Connection, *, viewer: str | None, role: str | None, status: str | None,
                        open_licence_id: str | None, today: date, after: tuple | None,
                        limit: int) -> list[asyncpg.Record]:
    """``viewer``: licences where it is licensor or licensee (``role`` narrows to one
    side); None: all of them (the operator)."""
    if role == "licensor":
        party = "($2::text IS NULL OR l.licensor_org_id = $2)"
    elif role == "licensee":
        party = "($2::text IS NULL OR l.licensee_org_id = $2)"
    else:
        party = "($2::text IS NULL OR l.licensor_org_id = $2 OR l.licensee_org_id = $2)"
    condition = STATUS_CONDITIONS[status] if status else "$1::date IS NOT NULL"
    return await conn.fetch(
        f"SELECT l.* FROM licences.licences l WHERE {party} AND {condition} "
        "AND ($3::text IS NULL OR l.open_licence_id = $3) "
        "AND ($4::timestamptz IS NULL OR (l.created_at, l.id) > ($4, $5)) ORDER BY l.created_at, l.id LIMIT $6",
        today, viewer, open_licence_id, after[0] if after else None, after[1] if after else None, limit + 1,
    )


# -- royalties ---------------------------------------------------------------------------
async def reported_revenue(conn: asyncpg.Connection, licence_id: str, period: int) -> Decimal | None:
    return await conn.fetchval("SELECT revenue FROM licences.reported_revenues WHERE licence_id = $1 AND period = $2",
                               licence_id, period)


async def report_revenue(conn: asyncpg.Connection, licence_id: str, period: int, revenue: Decimal) -> None:
    await conn.execute("INSERT INTO licences.reported_revenues (licence_id, period, revenue) VALUES ($1, $2, $3)",
                       licence_id, period, revenue)


async def paid_for(conn: asyncpg.Connection, licence_id: str, period: int) -> Decimal:
    return await conn.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM licences.royalty_payments WHERE licence_id = $1 AND period = $2",
        licence_id, period)


async def insert_payment(conn: asyncpg.Connection, payment_id: str, licence_id: str, period: int, amount: Decimal,
                         reported_revenue: Decimal | None) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO licences.royalty_payments (id, licence_id, period, amount, reported_revenue) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING *",
        payment_id, licence_id, period, amount, reported_revenue)


async def payments_of(conn: asyncpg.Connection, licence_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM licences.royalty_payments WHERE licence_id = $1 ORDER BY paid_at, id",
                            licence_id)


async def revenues_of(conn: asyncpg.Connection, licence_id: str) -> dict[int, Decimal]:
    rows = await conn.fetch("SELECT period, revenue FROM licences.reported_revenues WHERE licence_id = $1",
                            licence_id)
    return {r["period"]: r["revenue"] for r in rows}


# -- read models -------------------------------------------------------------------------
async def upsert_patents(conn: asyncpg.Connection, patents: Sequence[PatentSnapshot]) -> None:
    """Each patent's latest snapshot (one per patent), in one statement. (Co-owners travel
    as JSON: unnest flattens nested arrays.)"""
    await conn.execute(
        "INSERT INTO licences.patents (id, owner_org_id, co_owner_org_ids, kind, legal_status, expires_on, snapshot) "
        "SELECT x.id, x.owner, ARRAY(SELECT jsonb_array_elements_text(x.co::jsonb)), x.kind, x.status, x.expires, "
        "x.snapshot::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], "
        "$7::text[]) AS x(id, owner, co, kind, status, expires, snapshot) ON CONFLICT (id) DO UPDATE SET "
        "owner_org_id = EXCLUDED.owner_org_id, co_owner_org_ids = EXCLUDED.co_owner_org_ids, kind = EXCLUDED.kind, "
        "legal_status = EXCLUDED.legal_status, expires_on = EXCLUDED.expires_on, snapshot = EXCLUDED.snapshot",
        [p.patent_id for p in patents], [p.owner_org_id for p in patents],
        [json.dumps(list(p.co_owner_org_ids)) for p in patents], [p.kind for p in patents],
        [p.legal_status for p in patents], [p.expires_on for p in patents], [p.model_dump_json() for p in patents],
    )


async def get_patent(conn: asyncpg.Connection, patent_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM licences.patents WHERE id = $1" + for_update(lock),
                               patent_id)


def snapshot_of(row: asyncpg.Record, column: str = "snapshot") -> PatentSnapshot:
    raw = row[column]
    return PatentSnapshot.model_validate_json(raw) if isinstance(raw, str) else PatentSnapshot.model_validate(raw)


async def set_declaration(conn: asyncpg.Connection, declaration_id: str, values: dict) -> asyncpg.Record:
    return await update_row(conn, "licences.declarations", declaration_id, values)


async def declarations_of_patent(conn: asyncpg.Connection, patent_id: str, statuses: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM licences.declarations WHERE patent_id = $1 AND status = ANY($2::text[]) ORDER BY id FOR UPDATE",
        patent_id, list(statuses))


async def upsert_org(conn: asyncpg.Connection, org_id: str, kind: str, name: str, country: str) -> None:
    await conn.execute(
        "INSERT INTO licences.orgs (id, kind, name, country) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE "
        "SET kind = EXCLUDED.kind, name = EXCLUDED.name, country = EXCLUDED.country", org_id, kind, name, country)


async def org_country(conn: asyncpg.Connection, org_id: str) -> str | None:
    return await conn.fetchval("SELECT country FROM licences.orgs WHERE id = $1", org_id)


async def org_exists(conn: asyncpg.Connection, org_id: str) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM licences.orgs WHERE id = $1)", org_id)
