"""The small SQL builders every repository uses: a row from a dict, an update from a
dict, an optional row lock. Table and column names come from the code, never from a
request; values always travel as parameters."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg


def for_update(lock: bool) -> str:
    """`` FOR UPDATE`` when the caller locks the rows it reads (to decide on them)."""
    return " FOR UPDATE" if lock else ""


async def insert_row(conn: asyncpg.Connection, table: str, values: Mapping[str, object], *,
                     on_conflict: str = "", returning: str = "*") -> asyncpg.Record | None:
    """INSERT one row; with ``on_conflict`` (e.g. ``ON CONFLICT (id) DO NOTHING``) None
    when it did nothing."""
    cols = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
    return await conn.fetchrow(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders}) {on_conflict} RETURNING {returning}",
        *values.values())


async def update_row(conn: asyncpg.Connection, table: str, row_id: str, values: Mapping[str, object], *,
                     also: str = "", returning: str = "*") -> asyncpg.Record | None:
    """UPDATE the row ``id = row_id`` with ``values`` (and ``also``, e.g. ``updated_at = now()``)."""
    sets = [f"{c} = ${i}" for i, c in enumerate(values, start=2)] + ([also] if also else [])
    return await conn.fetchrow(f"UPDATE {table} SET {', '.join(sets)} WHERE id = $1 RETURNING {returning}",
                               row_id, *values.values())
