"""SQL for the financing schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

import asyncpg

from services.runtime.storage.sql import for_update, insert_row, update_row


# -- pledges -----------------------------------------------------------------------------
async def insert_pledge(conn: asyncpg.Connection, values: dict) -> asyncpg.Record:
    return await insert_row(conn, "financing.pledges", values)


async def get_pledge(conn: asyncpg.Connection, pledge_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM financing.pledges WHERE id = $1" + for_update(lock), pledge_id)


async def set_pledge(conn: asyncpg.Connection, pledge_id: str, values: dict) -> asyncpg.Record:
    return await update_row(conn, "financing.pledges", pledge_id, values)


async def pledge_of_reservation(conn: asyncpg.Connection, reservation_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM financing.pledges WHERE reservation_id = $1 FOR UPDATE", reservation_id)


async def income_pledges_of_licence(conn: asyncpg.Connection, licence_id: str) -> list[asyncpg.Record]:
    """Licence-income pledges in force over ``licence_id``, oldest first (the first in time is paid first)."""
    return await conn.fetch(
        "SELECT * FROM financing.pledges WHERE kind = 'licence_income' AND status = 'in_force' "
        "AND licence_ids @> ARRAY[$1]::text[] ORDER BY effective_at, id FOR UPDATE", licence_id)


async def list_pledges(conn: asyncpg.Connection, *, viewer: str | None, role: str | None, status: str | None,
                       after: tuple | None, limit: int) -> list[asyncpg.Record]:
    if role == "pledgor":
        party = "($1::text IS NULL OR pledgor_org_id = $1)"
    elif role == "pledgee":
        party = "($1::text IS NULL OR pledgee_org_id = $1)"
    else:
        party = "($1::text IS NULL OR pledgor_org_id = $1 OR pledgee_org_id = $1)"
    return await conn.fetch(
        f"SELECT * FROM financing.pledges WHERE {party} AND ($2::text IS NULL OR status = $2) "
        "AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4)) ORDER BY created_at, id LIMIT $5",
        viewer, status, after[0] if after else None, after[1] if after else None, limit + 1)


async def add_step(conn: asyncpg.Connection, pledge_id: str, step: str, by_org_id: str | None) -> None:
    await conn.execute(
        "INSERT INTO financing.history (pledge_id, seq, step, by_org_id) "
        "SELECT $1, coalesce(max(seq), 0) + 1, $2, $3 FROM financing.history WHERE pledge_id = $1",
        pledge_id, step, by_org_id)


async def history_of(conn: asyncpg.Connection, pledge_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT step, at, by_org_id FROM financing.history WHERE pledge_id = $1 ORDER BY seq",
                            pledge_id)


async def record_split(conn: asyncpg.Connection, *, payment_id: str, pledge_id: str, licence_id: str, paid: Decimal,
                       to_pledgee: Decimal, to_licensor: Decimal, at: datetime) -> bool:
    """False if the payment was split already (a redelivery)."""
    status = await conn.execute(
        "INSERT INTO financing.ledger (payment_id, pledge_id, licence_id, paid, to_pledgee, to_licensor, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (payment_id) DO NOTHING",
        payment_id, pledge_id, licence_id, paid, to_pledgee, to_licensor, at)
    return status.endswith(" 1")


async def ledger_of(conn: asyncpg.Connection, pledge_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM financing.ledger WHERE pledge_id = $1 ORDER BY at, payment_id", pledge_id)


# -- valuations --------------------------------------------------------------------------
async def insert_valuation(conn: asyncpg.Connection, values: dict) -> asyncpg.Record:
    return await insert_row(conn, "financing.valuations", values)


async def valuations_of(conn: asyncpg.Connection, patent_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM financing.valuations WHERE patent_id = $1 ORDER BY valued_on DESC, id",
                            patent_id)


async def get_valuation(conn: asyncpg.Connection, valuation_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM financing.valuations WHERE id = $1", valuation_id)


# -- read models -------------------------------------------------------------------------
async def upsert_org(conn: asyncpg.Connection, org_id: str, kind: str, name: str) -> None:
    await conn.execute(
        "INSERT INTO financing.orgs (id, kind, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE "
        "SET kind = EXCLUDED.kind, name = EXCLUDED.name", org_id, kind, name)


async def get_org(conn: asyncpg.Connection, org_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM financing.orgs WHERE id = $1", org_id)


class PatentRow(NamedTuple):
    patent_id: str
    owner_org_id: str
    co_owner_org_ids: list[str]
    legal_status: str
    expires_on: date
    ipc_subclass: str | None
    sequence: int


async def upsert_patents(conn: asyncpg.Connection, patents: Sequence[PatentRow]) -> None:
    """Each patent's latest state, one row per patent, in one statement; an older event
    never takes a patent back. (Co-owners travel as JSON: unnest flattens nested arrays.)"""
    await conn.execute(
        "INSERT INTO financing.patents (id, owner_org_id, co_owner_org_ids, legal_status, expires_on, ipc_subclass, "
        "sequence) SELECT x.id, x.owner, ARRAY(SELECT jsonb_array_elements_text(x.co::jsonb)), x.status, x.expires, "
        "x.subclass, x.seq FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], "
        "$7::integer[]) AS x(id, owner, co, status, expires, subclass, seq) ON CONFLICT (id) DO UPDATE SET "
        "owner_org_id = EXCLUDED.owner_org_id, co_owner_org_ids = EXCLUDED.co_owner_org_ids, "
        "legal_status = EXCLUDED.legal_status, expires_on = EXCLUDED.expires_on, ipc_subclass = EXCLUDED.ipc_subclass, "
        "sequence = EXCLUDED.sequence WHERE financing.patents.sequence < EXCLUDED.sequence",
        [p.patent_id for p in patents], [p.owner_org_id for p in patents],
        [json.dumps(p.co_owner_org_ids) for p in patents], [p.legal_status for p in patents],
        [p.expires_on for p in patents], [p.ipc_subclass for p in patents], [p.sequence for p in patents])


async def get_patents(conn: asyncpg.Connection, patent_ids: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM financing.patents WHERE id = ANY($1::text[]) ORDER BY id",
                            list(patent_ids))


async def portfolio_size(conn: asyncpg.Connection, owner_org_id: str, ipc_subclass: str | None) -> int:
    if ipc_subclass is None:
        return 1
    return await conn.fetchval("SELECT count(*) FROM financing.patents WHERE owner_org_id = $1 AND ipc_subclass = $2",
                               owner_org_id, ipc_subclass)


async def upsert_licence(conn: asyncpg.Connection, licence_id: str, patent_id: str, kind: str,
                         licensor_org_id: str) -> None:
    await conn.execute(
        "INSERT INTO financing.licences (id, patent_id, kind, licensor_org_id) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO NOTHING", licence_id, patent_id, kind, licensor_org_id)


async def get_licences(conn: asyncpg.Connection, licence_ids: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM financing.licences WHERE id = ANY($1::text[]) ORDER BY id",
                            list(licence_ids))


async def add_royalty(conn: asyncpg.Connection, licence_id: str, amount: Decimal, currency: str) -> None:
    await conn.execute("UPDATE financing.licences SET royalties = royalties + $2, currency = $3 WHERE id = $1",
                       licence_id, amount, currency)


async def licence_facts(conn: asyncpg.Connection, patent_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT count(*) AS licences, bool_or(kind IN ('exclusive', 'sole')) AS exclusive, "
        "coalesce(sum(royalties) FILTER (WHERE currency = 'CNY'), 0) AS royalties "
        "FROM financing.licences WHERE patent_id = $1", patent_id)


async def record_deal(conn: asyncpg.Connection, deal_id: str, patent_ids: Sequence[str]) -> None:
    await conn.execute("INSERT INTO financing.deals (id, patent_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
                       deal_id, list(patent_ids))


async def deals_of(conn: asyncpg.Connection, patent_id: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM financing.deals WHERE patent_id = $1", patent_id)


async def set_listing_patents(conn: asyncpg.Connection, listing_id: str, patent_ids: Sequence[str]) -> None:
    await conn.execute("DELETE FROM financing.listing_patents WHERE listing_id = $1", listing_id)
    await conn.execute("INSERT INTO financing.listing_patents (listing_id, patent_id) SELECT $1, unnest($2::text[])",
                       listing_id, list(patent_ids))


async def record_interest(conn: asyncpg.Connection, interest_id: str, listing_id: str, source: str,
                          score: int) -> None:
    await conn.execute(
        "INSERT INTO financing.interest (id, listing_id, source, score) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET score = EXCLUDED.score", interest_id, listing_id, source, score)


async def interest_of(conn: asyncpg.Connection, patent_id: str) -> list[int]:
    rows = await conn.fetch(
        "SELECT i.score FROM financing.interest i JOIN financing.listing_patents lp ON lp.listing_id = i.listing_id "
        "WHERE lp.patent_id = $1 ORDER BY i.id", patent_id)
    return [r["score"] for r in rows]


async def pledged(conn: asyncpg.Connection, patent_id: str) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM financing.pledges WHERE kind = 'patent' AND status IN ('in_force', 'defaulted') "
        "AND patent_ids @> ARRAY[$1]::text[])", patent_id)
