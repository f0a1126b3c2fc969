"""SQL for the platform schema."""

from __future__ import annotations

import asyncpg

from services.platform.domain import NewOrg

ORG_COLUMNS = "id, kind, sub_kind, name, country, uscc, created_at"


async def insert_org(conn: asyncpg.Connection, org_id: str, org: NewOrg) -> asyncpg.Record:
    return await conn.fetchrow(
        f"INSERT INTO platform.orgs (id, kind, sub_kind, name, country, uscc) VALUES ($1, $2, $3, $4, $5, $6) "
        f"RETURNING {ORG_COLUMNS}",
        org_id, org.kind, org.sub_kind, org.name, org.country, org.uscc,
    )


async def get_org(conn: asyncpg.Connection, org_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {ORG_COLUMNS} FROM platform.orgs WHERE id = $1", org_id)


async def org_exists_with_uscc(conn: asyncpg.Connection, uscc: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM platform.orgs WHERE uscc = $1", uscc))


async def list_orgs(conn: asyncpg.Connection, after: tuple | None, limit: int, kind: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {ORG_COLUMNS} FROM platform.orgs "
        "WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2)) AND ($3::text IS NULL OR kind = $3) "
        "ORDER BY created_at, id LIMIT $4",
        after[0] if after else None, after[1] if after else None, kind, limit + 1,
    )


async def insert_key(conn: asyncpg.Connection, key_id: str, org_id: str, digest: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO platform.api_keys (id, org_id, digest) VALUES ($1, $2, $3) RETURNING id, org_id, created_at, revoked_at",
        key_id, org_id, digest,
    )


async def list_keys(conn: asyncpg.Connection, org_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, org_id, created_at, revoked_at FROM platform.api_keys WHERE org_id = $1 ORDER BY created_at, id",
        org_id,
    )


async def revoke_key(conn: asyncpg.Connection, org_id: str, key_id: str) -> bool | None:
    """True if revoked now, False if it already was, None if there is no such key."""
    row = await conn.fetchrow(
        "UPDATE platform.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND org_id = $2 "
        "RETURNING revoked_at = now() AS now_revoked",
        key_id, org_id,
    )
    return None if row is None else bool(row["now_revoked"])


async def upsert_mandate(conn: asyncpg.Connection, org_id: str, venue_id: str) -> tuple[asyncpg.Record, bool]:
    """(the mandate, whether it is newly in force)."""
    existing = await conn.fetchrow(
        "SELECT revoked_at FROM platform.mandates WHERE org_id = $1 AND venue_id = $2 FOR UPDATE", org_id, venue_id
    )
    if existing is not None and existing["revoked_at"] is None:
        row = await conn.fetchrow("SELECT * FROM platform.mandates WHERE org_id = $1 AND venue_id = $2", org_id, venue_id)
        return row, False
    row = await conn.fetchrow(
        "INSERT INTO platform.mandates (org_id, venue_id) VALUES ($1, $2) "
        "ON CONFLICT (org_id, venue_id) DO UPDATE SET granted_at = now(), revoked_at = NULL RETURNING *",
        org_id, venue_id,
    )
    return row, True


async def revoke_mandate(conn: asyncpg.Connection, org_id: str, venue_id: str) -> bool:
    row = await conn.fetchrow(
        "UPDATE platform.mandates SET revoked_at = now() WHERE org_id = $1 AND venue_id = $2 AND revoked_at IS NULL "
        "RETURNING org_id",
        org_id, venue_id,
    )
    return row is not None


async def list_mandates(conn: asyncpg.Connection, org_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT org_id, venue_id, granted_at FROM platform.mandates WHERE org_id = $1 AND revoked_at IS NULL "
        "ORDER BY granted_at",
        org_id,
    )


async def ensure_operator(conn: asyncpg.Connection, org_id: str, name: str) -> bool:
    """The operator organisation's row; True if it was created now."""
    return bool(await conn.fetchval(
        "INSERT INTO platform.orgs (id, kind, name, country) VALUES ($1, 'operator', $2, 'CN') "
        "ON CONFLICT (id) DO NOTHING RETURNING true", org_id, name))
