"""SQL for the deals schema."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from events.schemas.listings import PatentSnapshot
from services.runtime.storage.sql import for_update, insert_row, update_row


# -- deals -------------------------------------------------------------------------------
async def insert_deal(conn: asyncpg.Connection, values: dict, *, if_new: bool = False) -> asyncpg.Record | None:
    """The new row (or, ``if_new``, None when a deal of that id exists)."""
    return await insert_row(conn, "deals.deals", values, on_conflict="ON CONFLICT (id) DO NOTHING" if if_new else "")


async def get_deal(conn: asyncpg.Connection, deal_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM deals.deals WHERE id = $1" + for_update(lock), deal_id)


async def set_deal(conn: asyncpg.Connection, deal_id: str, values: dict) -> asyncpg.Record:
    return await update_row(conn, "deals.deals", deal_id, values, also="updated_at = now()")


async def deal_of_reservation(conn: asyncpg.Connection, reservation_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM deals.deals WHERE reservation_id = $1 FOR UPDATE", reservation_id)


async def list_deals(conn: asyncpg.Connection, *, viewer: str | None, role: str | None, status: str | None,
                     kind: str | None, after: tuple | None, limit: int) -> list[asyncpg.Record]:
    """``viewer``: deals it is party to (``role`` narrows to one side); None: all (the operator)."""
    if role == "owner":
        party = "($1::text IS NULL OR owner_org_id = $1)"
    elif role == "counterparty":
        party = "($1::text IS NULL OR counterparty_org_id = $1)"
    else:
        party = "($1::text IS NULL OR owner_org_id = $1 OR counterparty_org_id = $1)"
    return await conn.fetch(
        f"SELECT * FROM deals.deals WHERE {party} AND ($2::text IS NULL OR status = $2) "
        "AND ($3::text IS NULL OR kind = $3) "
        "AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5)) ORDER BY created_at, id LIMIT $6",
        viewer, status, kind, after[0] if after else None, after[1] if after else None, limit + 1)


async def open_deals_of_patent(conn: asyncpg.Connection, patent_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM deals.deals WHERE patent_ids @> ARRAY[$1]::text[] "
        "AND status IN ('proposed', 'countered', 'agreed', 'pending_export_review') ORDER BY id FOR UPDATE", patent_id)


async def lapsed_proposals(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Proposals past their window, locked (several sweepers skip each other's)."""
    return await conn.fetch(
        "SELECT * FROM deals.deals WHERE status IN ('proposed', 'countered') AND expires_at <= now() "
        "ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED", limit)


# -- history -----------------------------------------------------------------------------
async def add_step(conn: asyncpg.Connection, deal_id: str, step: str, by_org_id: str | None, version: int,
                   at: datetime | None = None) -> None:
    await conn.execute(
        "INSERT INTO deals.history (deal_id, seq, step, at, by_org_id, version) "
        "SELECT $1, coalesce(max(seq), 0) + 1, $2, coalesce($5, clock_timestamp()), $3, $4 FROM deals.history "
        "WHERE deal_id = $1", deal_id, step, by_org_id, version, at)


async def history_of(conn: asyncpg.Connection, deal_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT step, at, by_org_id, version FROM deals.history WHERE deal_id = $1 ORDER BY seq",
                            deal_id)


# -- certificates ------------------------------------------------------------------------
async def insert_certificate(conn: asyncpg.Connection, values: dict) -> asyncpg.Record | None:
    return await insert_row(conn, "deals.certificates", values, on_conflict="ON CONFLICT (subject, subject_id) DO NOTHING")


async def get_certificate(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM deals.certificates WHERE code = $1", code)


async def certificate_of(conn: asyncpg.Connection, subject: str, subject_id: str, *,
                         lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM deals.certificates WHERE subject = $1 AND subject_id = $2"
                               + for_update(lock), subject, subject_id)


async def add_certificate_patent(conn: asyncpg.Connection, certificate_id: str, patent: dict) -> None:
    await conn.execute(
        "UPDATE deals.certificates SET patents = patents || $2::jsonb WHERE id = $1 "
        "AND NOT patents @> $2::jsonb", certificate_id, [patent])


# -- read models -------------------------------------------------------------------------
async def upsert_org(conn: asyncpg.Connection, org_id: str, kind: str, name: str, country: str) -> None:
    await conn.execute(
        "INSERT INTO deals.orgs (id, kind, name, country) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE "
        "SET kind = EXCLUDED.kind, name = EXCLUDED.name, country = EXCLUDED.country", org_id, kind, name, country)


async def get_org(conn: asyncpg.Connection, org_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM deals.orgs WHERE id = $1", org_id)


async def orgs(conn: asyncpg.Connection, org_ids: Sequence[str]) -> dict[str, asyncpg.Record]:
    return {r["id"]: r for r in await conn.fetch("SELECT * FROM deals.orgs WHERE id = ANY($1::text[])", list(org_ids))}


async def upsert_patents(conn: asyncpg.Connection, patents: Sequence[PatentSnapshot]) -> None:
    """Each patent's latest snapshot (one per patent), in one statement."""
    await conn.execute(
        "INSERT INTO deals.patents (id, owner_org_id, snapshot) SELECT x.id, x.owner, x.snapshot::jsonb "
        "FROM unnest($1::text[], $2::text[], $3::text[]) AS x(id, owner, snapshot) "
        "ON CONFLICT (id) DO UPDATE SET owner_org_id = EXCLUDED.owner_org_id, snapshot = EXCLUDED.snapshot",
        [p.patent_id for p in patents], [p.owner_org_id for p in patents], [p.model_dump_json() for p in patents])


async def get_patents(conn: asyncpg.Connection, patent_ids: Sequence[str]) -> list[PatentSnapshot]:
    rows = await conn.fetch("SELECT snapshot FROM deals.patents WHERE id = ANY($1::text[]) ORDER BY id",
                            list(patent_ids))
    return [PatentSnapshot.model_validate(r["snapshot"]) for r in rows]


async def upsert_listing(conn: asyncpg.Connection, listing_id: str, kind: str, status: str, owner_org_id: str,
                         patent_ids: Sequence[str], modes: Sequence[str]) -> None:
    await conn.execute(
        "INSERT INTO deals.listings (id, kind, status, owner_org_id, patent_ids, modes) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, "
        "owner_org_id = EXCLUDED.owner_org_id, patent_ids = EXCLUDED.patent_ids, modes = EXCLUDED.modes",
        listing_id, kind, status, owner_org_id, list(patent_ids), list(modes))


async def get_listing(conn: asyncpg.Connection, listing_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM deals.listings WHERE id = $1", listing_id)
