"""SQL for the listings schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.listings import rights
from services.runtime.storage.sql import for_update, insert_row, update_row
from services.listings.domain import PatentFacts
from services.listings.rights import Encumbrance, PatentRights

PATENT_COLUMNS = ("id, number, title, abstract, kind, ipc, applicants, inventors, filing_date, grant_date, "
                  "legal_status, expires_on, owner_org_id, co_owner_org_ids, created_at, updated_at")
LISTING_COLUMNS = ("id, kind, status, owner_org_id, title, description, modes, price_amount, price_currency, "
                   "negotiable, budget_amount, budget_currency, industry, field, stage, region, tags, acted_by_org_id, "
                   "reserved_ref, created_at, updated_at, published_at")


async def insert_patent(conn: asyncpg.Connection, patent_id: str, owner_org_id: str, p: PatentFacts) -> asyncpg.Record | None:
    """The new row, or None if the number is already registered."""
    return await conn.fetchrow(
        f"INSERT INTO listings.patents (id, number, title, abstract, kind, ipc, applicants, inventors, filing_date, "
        f"grant_date, legal_status, expires_on, owner_org_id, co_owner_org_ids) "
        f"VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) "
        f"ON CONFLICT (number) DO NOTHING RETURNING {PATENT_COLUMNS}",
        patent_id, p.number, p.title, p.abstract, p.kind, p.ipc, p.applicants, p.inventors, p.filing_date,
        p.grant_date, p.legal_status, p.expires_on, owner_org_id, list(p.co_owner_org_ids),
    )


async def insert_patents(conn: asyncpg.Connection, ids: Sequence[str], owner_org_id: str,
                         facts: Sequence[PatentFacts]) -> list[asyncpg.Record]:
    """``insert_patent`` for many rows in one statement: the rows inserted. A number
    already registered, or given earlier in ``facts``, is skipped (rows go in in order,
    so the first one wins)."""
    # The rows travel as one JSON array (text[] columns cannot be unnested from arrays
    # of arrays of different lengths); cast to text, then jsonb, to bypass the pool's
    # jsonb codec and encode once.
    rows = json.dumps([{"id": i, "number": p.number, "title": p.title, "abstract": p.abstract, "kind": p.kind,
                        "ipc": p.ipc, "applicants": p.applicants, "inventors": p.inventors,
                        "filing_date": p.filing_date.isoformat(),
                        "grant_date": p.grant_date.isoformat() if p.grant_date else None,
                        "legal_status": p.legal_status, "expires_on": p.expires_on.isoformat(),
                        "co_owner_org_ids": list(p.co_owner_org_ids)}
                       for i, p in zip(ids, facts, strict=True)], ensure_ascii=False)
    return await conn.fetch(
        f"INSERT INTO listings.patents (id, number, title, abstract, kind, ipc, applicants, inventors, filing_date, "
        f"grant_date, legal_status, expires_on, owner_org_id, co_owner_org_ids) "
        f"SELECT x.id, x.number, x.title, x.abstract, x.kind, x.ipc, x.applicants, x.inventors, x.filing_date, "
        f"x.grant_date, x.legal_status, x.expires_on, $2, x.co_owner_org_ids "
        f"FROM ROWS FROM (jsonb_to_recordset($1::text::jsonb) AS (id text, number text, title text, "
        f"abstract text, kind text, ipc text[], applicants text[], inventors text[], filing_date date, "
        f"grant_date date, legal_status text, expires_on date, co_owner_org_ids text[])) WITH ORDINALITY "
        f"AS x(id, number, title, abstract, kind, ipc, applicants, inventors, filing_date, grant_date, "
        f"legal_status, expires_on, co_owner_org_ids, n) ORDER BY x.n "
        f"ON CONFLICT (number) DO NOTHING RETURNING {PATENT_COLUMNS}",
        rows, owner_org_id,
    )


async def get_patent(conn: asyncpg.Connection, patent_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {PATENT_COLUMNS} FROM listings.patents WHERE id = $1", patent_id)


async def get_patents(conn: asyncpg.Connection, ids: Sequence[str], *, lock: bool = False) -> list[asyncpg.Record]:
    # Locked in id order, so that two listings on overlapping patents cannot deadlock
    # and the transfer rule is checked against a stable picture.
    return await conn.fetch(
        f"SELECT {PATENT_COLUMNS} FROM listings.patents WHERE id = ANY($1::text[]) ORDER BY id"
        + for_update(lock),
        list(ids),
    )


async def list_patents(conn: asyncpg.Connection, owner: str | None, after: tuple | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {PATENT_COLUMNS} FROM listings.patents "
        "WHERE ($1::text IS NULL OR owner_org_id = $1) AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3)) "
        "ORDER BY created_at, id LIMIT $4",
        owner, after[0] if after else None, after[1] if after else None, limit + 1,
    )


async def encumbrances_of(conn: asyncpg.Connection, patent_ids: Sequence[str]) -> dict[str, set[str]]:
    rows = await conn.fetch("SELECT patent_id, kind FROM listings.encumbrances WHERE patent_id = ANY($1::text[])",
                            list(patent_ids))
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["patent_id"], set()).add(r["kind"])
    return out


async def insert_listing(conn: asyncpg.Connection, values: dict) -> asyncpg.Record:
    return await insert_row(conn, "listings.listings", values, returning=LISTING_COLUMNS)


async def set_listing_patents(conn: asyncpg.Connection, listing_id: str, patent_ids: Sequence[str]) -> None:
    await conn.execute("DELETE FROM listings.listing_patents WHERE listing_id = $1", listing_id)
    await conn.executemany(
        "INSERT INTO listings.listing_patents (listing_id, patent_id, position) VALUES ($1, $2, $3)",
        [(listing_id, pid, i) for i, pid in enumerate(patent_ids)],
    )


async def get_listing(conn: asyncpg.Connection, listing_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {LISTING_COLUMNS} FROM listings.listings WHERE id = $1" + for_update(lock), listing_id
    )


async def listing_patent_ids(conn: asyncpg.Connection, listing_id: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT patent_id FROM listings.listing_patents WHERE listing_id = $1 ORDER BY position", listing_id
    )
    return [r["patent_id"] for r in rows]


async def update_listing(conn: asyncpg.Connection, listing_id: str, values: dict) -> asyncpg.Record:
    return await update_row(conn, "listings.listings", listing_id, values, also="updated_at = now()",
                            returning=LISTING_COLUMNS)


async def listings_with_patent(conn: asyncpg.Connection, patent_id: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT l.id FROM listings.listing_patents lp JOIN listings.listings l ON l.id = lp.listing_id "
        "WHERE lp.patent_id = $1 AND l.status NOT IN ('withdrawn', 'expired', 'sold') ORDER BY l.id",
        patent_id,
    )
    return [r["id"] for r in rows]


async def list_listings(conn: asyncpg.Connection, *, owner: str | None, kind: str | None, status: str | None,
                        after: tuple | None, limit: int, viewer: str | None) -> list[asyncpg.Record]:
    """``viewer``: drafts are listed only to their owner (None: to everyone, for the operator)."""
    return await conn.fetch(
        f"SELECT {LISTING_COLUMNS} FROM listings.listings "
        "WHERE ($1::text IS NULL OR owner_org_id = $1) AND ($2::text IS NULL OR kind = $2) "
        "AND ($3::text IS NULL OR status = $3) AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5)) "
        "AND ($7::text IS NULL OR status <> 'draft' OR owner_org_id = $7) "
        "ORDER BY created_at, id LIMIT $6",
        owner, kind, status, after[0] if after else None, after[1] if after else None, limit + 1, viewer,
    )


async def org(conn: asyncpg.Connection, org_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, kind, sub_kind, name FROM listings.orgs WHERE id = $1", org_id)


async def ensure_org(conn: asyncpg.Connection, org_id: str, kind: str) -> None:
    """A placeholder for an organisation whose registration event has not arrived yet,
    with the kind its API key vouches for.

    Written in the request's transaction: if the platform's event is being applied at
    the same moment, its upsert waits on this row, and so sees (and re-announces) what
    this request wrote — instead of missing a listing committed just after its scan.
    """
    await conn.execute(
        "INSERT INTO listings.orgs (id, kind, sub_kind, name) VALUES ($1, $2, NULL, '') ON CONFLICT (id) DO NOTHING",
        org_id, kind,
    )


async def upsert_org(conn: asyncpg.Connection, org_id: str, kind: str, sub_kind: str | None, name: str) -> None:
    await conn.execute(
        "INSERT INTO listings.orgs (id, kind, sub_kind, name) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, sub_kind = EXCLUDED.sub_kind, name = EXCLUDED.name",
        org_id, kind, sub_kind, name,
    )


# -- the register's rights ---------------------------------------------------------------
async def rights_of(conn: asyncpg.Connection, patent_ids: Sequence[str], *,
                    lock: bool = False) -> list[PatentRights]:
    """Each patent with every encumbrance in force: the register's own rows, and the
    offers of active supply listings. ``lock``: the patents' rows are locked (in id
    order), which serialises every decision about their rights."""
    rows = await get_patents(conn, patent_ids, lock=lock)
    held: dict[str, list[Encumbrance]] = {}
    for r in await conn.fetch(
        "SELECT patent_id, kind, reference_id, holder_org_id, since, consents FROM listings.encumbrances "
        "WHERE patent_id = ANY($1::text[]) ORDER BY since, reference_id", list(patent_ids)):
        held.setdefault(r["patent_id"], []).append(Encumbrance(r["kind"], r["reference_id"], r["holder_org_id"],
                                                               pledgee_consents=frozenset(r["consents"]),
                                                               since=r["since"]))
    for r in await conn.fetch(
        "SELECT lp.patent_id, l.id, l.modes, l.published_at FROM listings.listing_patents lp "
        "JOIN listings.listings l ON l.id = lp.listing_id "
        "WHERE lp.patent_id = ANY($1::text[]) AND l.kind = 'supply' AND l.status IN ('published', 'reserved') "
        "ORDER BY l.published_at, l.id", list(patent_ids)):
        if "transfer" in r["modes"]:
            held.setdefault(r["patent_id"], []).append(Encumbrance(rights.TRANSFER_OFFER, r["id"],
                                                                   since=r["published_at"]))
        if rights.EXCLUSIVE_MODES & set(r["modes"]):
            held.setdefault(r["patent_id"], []).append(Encumbrance(rights.EXCLUSIVE_OFFER, r["id"],
                                                                   since=r["published_at"]))
    return [PatentRights(patent_id=r["id"], owner_org_id=r["owner_org_id"],
                         co_owner_org_ids=tuple(r["co_owner_org_ids"]), kind=r["kind"],
                         legal_status=r["legal_status"], expires_on=r["expires_on"],
                         encumbrances=tuple(held.get(r["id"], ()))) for r in rows]


async def hold(conn: asyncpg.Connection, patent_id: str, kind: str, reference_id: str, *, since: datetime,
               holder_org_id: str | None = None, reservation_id: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO listings.encumbrances (patent_id, kind, reference_id, since, holder_org_id, reservation_id) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        patent_id, kind, reference_id, since, holder_org_id, reservation_id,
    )


async def release(conn: asyncpg.Connection, reference_id: str, kind: str | None = None) -> list[str]:
    """End the encumbrances of ``reference_id`` (of ``kind``); the patents they were on."""
    rows = await conn.fetch(
        "DELETE FROM listings.encumbrances WHERE reference_id = $1 AND ($2::text IS NULL OR kind = $2) "
        "RETURNING patent_id", reference_id, kind)
    return sorted({r["patent_id"] for r in rows})


async def set_consents(conn: asyncpg.Connection, pledge_id: str, consents: Sequence[str]) -> None:
    """What the pledgee of ``pledge_id`` consents to now (transfer, open_licence, licence)."""
    await conn.execute("UPDATE listings.encumbrances SET consents = $2 WHERE reference_id = $1 AND kind = 'pledge'",
                       pledge_id, list(consents))


async def release_on_patent(conn: asyncpg.Connection, patent_id: str, kind: str) -> None:
    await conn.execute("DELETE FROM listings.encumbrances WHERE patent_id = $1 AND kind = $2", patent_id, kind)


async def record_reservation(conn: asyncpg.Connection, *, reservation_id: str, kind: str, reference_id: str,
                             requester_org_id: str, patent_ids: Sequence[str], status: str,
                             rule: str | None = None, detail: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO listings.reservations (id, kind, reference_id, requester_org_id, patent_ids, status, rule, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        reservation_id, kind, reference_id, requester_org_id, list(patent_ids), status, rule, detail,
    )


async def set_owner(conn: asyncpg.Connection, patent_id: str, owner_org_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        f"UPDATE listings.patents SET owner_org_id = $2, co_owner_org_ids = '{{}}', updated_at = now() "
        f"WHERE id = $1 RETURNING {PATENT_COLUMNS}", patent_id, owner_org_id)


async def update_patent(conn: asyncpg.Connection, patent_id: str, values: dict) -> asyncpg.Record:
    return await update_row(conn, "listings.patents", patent_id, values, also="updated_at = now()",
                            returning=PATENT_COLUMNS)


async def insert_transfer(conn: asyncpg.Connection, values: dict) -> asyncpg.Record | None:
    return await insert_row(conn, "listings.patent_transfers", values,
                            on_conflict="ON CONFLICT (patent_id, reference_kind, reference_id) DO NOTHING")


async def transfers_of(conn: asyncpg.Connection, patent_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM listings.patent_transfers WHERE patent_id = $1 ORDER BY transferred_at, id", patent_id)


async def transfer(conn: asyncpg.Connection, transfer_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM listings.patent_transfers WHERE id = $1"
                               + for_update(lock), transfer_id)


async def set_recorded(conn: asyncpg.Connection, transfer_id: str, recording_no: str, recorded_on) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE listings.patent_transfers SET recording_no = $2, recorded_on = $3 WHERE id = $1 RETURNING *",
        transfer_id, recording_no, recorded_on)


async def active_listings_of_patent(conn: asyncpg.Connection, patent_id: str, *, owner: str | None = None,
                                    statuses: Sequence[str] = ("draft", "published", "reserved")) -> list[str]:
    rows = await conn.fetch(
        "SELECT l.id FROM listings.listing_patents lp JOIN listings.listings l ON l.id = lp.listing_id "
        "WHERE lp.patent_id = $1 AND l.status = ANY($2::text[]) AND ($3::text IS NULL OR l.owner_org_id = $3) "
        "ORDER BY l.id", patent_id, list(statuses), owner)
    return [r["id"] for r in rows]


async def patents_of_owner(conn: asyncpg.Connection, org_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id FROM listings.patents WHERE owner_org_id = $1 ORDER BY id", org_id)


async def listings_of_owner(conn: asyncpg.Connection, org_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id FROM listings.listings WHERE owner_org_id = $1 ORDER BY id", org_id)
