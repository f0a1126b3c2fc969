"""The catalogue's index versions: creating them, and which ones the indexer writes to.

Readers use the read alias (search.mappings.read_alias). Writers use the rows of
``search.catalogue_indices``: the live index and, during a rebuild, the one being
filled (see the migration for the locking that makes the swap safe).
"""

from __future__ import annotations

import hashlib
import logging

import asyncpg
from elasticsearch import AsyncElasticsearch, NotFoundError

from search.mappings import MAPPING_VERSION, MAPPINGS, SETTINGS, new_index_name, read_alias

log = logging.getLogger("psm.search")


class CatalogueMissing(RuntimeError):
    """No catalogue index is registered for this alias (the module's start-up creates one)."""


def lock_key(purpose: str, alias: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{purpose}:{alias}".encode()).digest()[:8], "big", signed=True)


async def create_index(es: AsyncElasticsearch, name: str, *, alias: str | None = None) -> None:
    await es.indices.create(index=name, settings=SETTINGS, mappings=MAPPINGS,
                            aliases={alias: {}} if alias else None)


async def indices_behind(es: AsyncElasticsearch, alias: str) -> list[str]:
    try:
        return sorted(await es.indices.get_alias(name=alias))
    except NotFoundError:
        return []


async def write_targets(conn: asyncpg.Connection, alias: str) -> list[str]:
    """Every index an event must be written to, locked (FOR SHARE) until the caller's
    transaction ends, so that a rebuild's swap waits for writes already under way."""
    rows = await conn.fetch(
        "SELECT index_name FROM search.catalogue_indices WHERE alias = $1 ORDER BY index_name FOR SHARE", alias)
    if not rows:
        raise CatalogueMissing(f"no catalogue index registered for {alias}")
    return [r["index_name"] for r in rows]


async def ensure_catalogue(pool: asyncpg.Pool, es: AsyncElasticsearch, index_prefix: str) -> list[str]:
    """Create the catalogue index if the read alias names none; make the table agree with
    Elasticsearch. Returns the live indices. Safe to run in several processes at once."""
    alias = read_alias(index_prefix)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key("catalogue", alias))
        live = await indices_behind(es, alias)
        if not live:
            name = new_index_name(index_prefix)
            await create_index(es, name, alias=alias)
            live = [name]
            # A new deployment fills it from its consumer group's start; after losing
            # Elasticsearch's data, `psm catalogue rebuild` fills it from the topic.
            log.info("created catalogue index %s behind %s", name, alias)
        rows = await conn.fetch("SELECT index_name, state FROM search.catalogue_indices WHERE alias = $1 FOR UPDATE",
                                alias)
        for r in rows:
            gone = r["index_name"] not in live if r["state"] == "live" else not await es.indices.exists(
                index=r["index_name"])
            if gone:
                await conn.execute("DELETE FROM search.catalogue_indices WHERE index_name = $1", r["index_name"])
        await conn.executemany(
            "INSERT INTO search.catalogue_indices (index_name, alias, state, mapping_version) "
            "VALUES ($1, $2, 'live', $3) ON CONFLICT (index_name) DO UPDATE SET state = 'live'",
            [(name, alias, _version_of(name)) for name in live],
        )
    # A dynamic setting: an index made by an earlier release takes today's refresh
    # interval without a rebuild.
    await es.indices.put_settings(index=",".join(live), settings={"refresh_interval": SETTINGS["refresh_interval"]})
    return live


def _version_of(index_name: str) -> int:
    try:
        return int(index_name.rsplit("-v", 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return MAPPING_VERSION
