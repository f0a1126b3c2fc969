"""Ordered SQL migrations, one folder per schema, applied at start.

Files are named ``NNNN_description.sql`` and applied in that order, each in its own
transaction together with its row in ``<schema>.schema_migrations``. Several processes
starting at once are serialised by an advisory lock, so each file runs exactly once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg


class MigrationError(RuntimeError):
    pass


def migration_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.sql"))
    seen: set[str] = set()
    for f in files:
        number = f.name.split("_", 1)[0]
        if not number.isdigit():
            raise MigrationError(f"{f}: migration files are named NNNN_description.sql")
        if number in seen:
            raise MigrationError(f"{f}: two migrations numbered {number}")
        seen.add(number)
    return files


async def apply_migrations(pool: asyncpg.Pool, schema: str, folder: Path, *, namespace: str = "") -> list[str]:
    """Bring ``schema`` up to date with ``folder``; return the names applied now.

    ``namespace`` keeps the plumbing's own migrations (outbox, consumer records), which
    every service schema gets, apart from the service's numbered files.
    """
    files = migration_files(folder)
    applied_now: list[str] = []
    lock_key = int.from_bytes(hashlib.sha256(f"migrate:{schema}".encode()).digest()[:8], "big", signed=True)
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
                " name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"]: r["checksum"] for r in await conn.fetch(f'SELECT name, checksum FROM "{schema}".schema_migrations')}
            for f in files:
                name = f"{namespace}/{f.name}" if namespace else f.name
                sql = f.read_text()
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if name in done:
                    if done[name] != checksum:
                        raise MigrationError(f"{schema}/{name} was edited after it was applied; add a new migration")
                    continue
                async with conn.transaction():
                    await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
                    await conn.execute(sql)
                    await conn.execute(
                        f'INSERT INTO "{schema}".schema_migrations (name, checksum) VALUES ($1, $2)', name, checksum
                    )
                applied_now.append(name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now
