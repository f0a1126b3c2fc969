"""Rebuilding the catalogue from the events, with zero downtime (DESIGN §1, §6).

1. A new index version is created and registered as ``building`` in
   ``search.catalogue_indices``: from that commit on, the live indexer writes every
   event to it as well as to the live index.
2. The listings topic is replayed into it from the beginning, with a fresh consumer
   group, up to the end offsets read *after* step 1. Whatever the live indexer
   handled before step 1 is below those offsets, so it is replayed; whatever came
   later the live indexer writes itself. Both write with external versions (the
   event's sequence), so their order does not matter and nothing regresses.
3. The read alias moves from the old index to the new one in one atomic alias update,
   while the rows are locked FOR UPDATE: that waits for indexer transactions still
   writing to the old index (they hold the rows FOR SHARE), so once it commits the old
   index has no writer and is deleted. Readers see the old index, then the new one,
   never neither.

If anything fails before the swap, the new index is dropped and the old one stays
live. One rebuild at a time per alias (a PostgreSQL advisory lock).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from elasticsearch import AsyncElasticsearch
from pydantic import ValidationError

from events.envelope import CloudEvent, MalformedEvent
from events.registry import UnknownEventType
from events.topics import Topic, physical
from events.replay import replay_topic
from search.documents import listing_document, open_licence_document, roadshow_document
from search.indexer import (
    AUCTION_EVENTS, LISTING_EVENTS, OPEN_LICENCE_EVENTS, ROADSHOW_EVENTS, index_auctions,
)
from search.indices import create_index, ensure_catalogue, indices_behind, lock_key
from search.mappings import MAPPING_VERSION, new_index_name, read_alias
from services.runtime.settings import Settings

log = logging.getLogger("psm.search.rebuild")


class RebuildError(RuntimeError):
    pass


class RebuildRunning(RebuildError):
    """Another rebuild of this catalogue holds the lock."""


@dataclass(frozen=True)
class RebuildReport:
    alias: str
    old_indices: list[str]
    new_index: str
    events_replayed: int
    documents: int
    seconds: float


async def rebuild(settings: Settings, *, pool: asyncpg.Pool, es: AsyncElasticsearch,
                  say: Callable[[str], None] = lambda _m: None) -> RebuildReport:
    alias = read_alias(settings.index_prefix)
    started = time.monotonic()
    async with pool.acquire() as lock_conn:
        if not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key("rebuild", alias)):
            raise RebuildRunning(f"a rebuild of {alias} is already running")
        new: str | None = None
        swapped = False
        try:
            await ensure_catalogue(pool, es, settings.index_prefix)
            await _drop_unfinished(pool, es, alias)
            new = new_index_name(settings.index_prefix)
            await create_index(es, new)
            await pool.execute("INSERT INTO search.catalogue_indices (index_name, alias, state, mapping_version) "
                               "VALUES ($1, $2, 'building', $3)", new, alias, MAPPING_VERSION)
            say(f"created {new}; the live indexer writes to it too")
            replayed = await replay(settings, es, new, say=say)
            await es.indices.refresh(index=new)
            old = await _swap(pool, es, alias, new)
            swapped = True
            say(f"{alias} → {new}")
            for name in old:
                await es.options(ignore_status=404).indices.delete(index=name)
            say(f"deleted {', '.join(old) or 'nothing'}")
            documents = (await es.count(index=new))["count"]
            return RebuildReport(alias, old, new, replayed, documents, time.monotonic() - started)
        except BaseException:
            if new is not None and not swapped:
                await _abandon(pool, es, new)
            raise
        finally:
            await lock_conn.execute("SELECT pg_advisory_unlock($1)", lock_key("rebuild", alias))


async def replay(settings: Settings, es: AsyncElasticsearch, index: str, *,
                 say: Callable[[str], None] = lambda _m: None, batch: int = 1000) -> int:
    """Apply the listings topic, then the auctions, licences and roadshows topics, each
    from its beginning to its current end, to ``index``; return the number of events read.

    Auctions come second and in partition (so per-auction) order: an auction's document
    folds its events over its lot's listing document.
    """
    alias = read_alias(settings.index_prefix)

    async def apply_auctions(values: list[bytes | None]) -> None:
        events = []
        for raw in values:
            try:
                event = CloudEvent.from_json(raw or b"")
                if event.type in AUCTION_EVENTS:
                    events.append((event, event.payload()))
            except (MalformedEvent, UnknownEventType, ValidationError) as e:
                log.warning("replay skips an auction event: %s", e)
        if events:
            await index_auctions(es, [index], alias, events, skip_unknown_lots=True)

    n = await _replay_topic(settings, Topic.LISTINGS, index, lambda values: _apply(es, index, values), say, batch)
    n += await _replay_topic(settings, Topic.AUCTIONS, index, apply_auctions, say, batch)
    n += await _replay_topic(settings, Topic.LICENCES, index,
                             lambda values: _apply(es, index, values, OPEN_LICENCE_EVENTS, open_licence_document),
                             say, batch)
    return n + await _replay_topic(settings, Topic.ROADSHOWS, index,
                                   lambda values: _apply(es, index, values, ROADSHOW_EVENTS, _roadshow_document),
                                   say, batch)


async def _replay_topic(settings: Settings, topic_name: Topic, index: str, apply, say: Callable[[str], None],
                        batch: int) -> int:
    """Read ``topic_name`` from its beginning to its current end through ``apply``: documents
    are snapshots and writes carry external versions, so order is irrelevant. Unreadable
    events are skipped (the live indexer dead-lettered them)."""
    return await replay_topic(settings.kafka_bootstrap, physical(topic_name.value, settings.topic_prefix),
                              f"{settings.topic_prefix}search.rebuild.{index}.{topic_name.name.lower()}", apply,
                              say, batch)


def _listing_document(payload) -> dict | None:
    return listing_document(payload.listing)


def _roadshow_document(payload) -> dict | None:
    return roadshow_document(payload.roadshow)


async def _apply(es: AsyncElasticsearch, index: str, values: list[bytes | None], types=LISTING_EVENTS,
                 document=_listing_document) -> int:
    """Bulk-write the newest document per subject among ``values`` (events of ``types``,
    each made into a document by ``document``)."""
    latest: dict[str, tuple[int, dict]] = {}  # subject → (sequence, document): a batch keeps its newest
    for raw in values:
        try:
            event = CloudEvent.from_json(raw or b"")
            if event.type not in types:
                continue
            doc = document(event.payload())
        except (MalformedEvent, UnknownEventType, ValidationError) as e:
            log.warning("replay skips an unreadable event: %s", e)
            continue
        if doc is not None and (event.subject not in latest or latest[event.subject][0] < event.sequence):
            latest[event.subject] = (event.sequence, doc)
    if not latest:
        return 0
    operations: list[dict] = []
    for sequence, doc in latest.values():
        operations += [{"index": {"_index": index, "_id": doc["id"], "version": sequence,
                                  "version_type": "external"}}, doc]
    response = await es.bulk(operations=operations)
    if response["errors"]:
        failed = [i["index"] for i in response["items"] if i["index"].get("error") and i["index"]["status"] != 409]
        if failed:  # 409: the live indexer already wrote this version or a newer one
            raise RebuildError(f"{len(failed)} documents failed, e.g. {failed[0]['error']}")
    return len(latest)


async def _drop_unfinished(pool: asyncpg.Pool, es: AsyncElasticsearch, alias: str) -> None:
    """An index a crashed rebuild left behind: the live indexer still writes to it; stop that and drop it."""
    for name in await pool.fetch("SELECT index_name FROM search.catalogue_indices WHERE alias = $1 "
                                 "AND state = 'building'", alias):
        log.warning("dropping %s, left by an unfinished rebuild", name["index_name"])
        await _abandon(pool, es, name["index_name"])


async def _abandon(pool: asyncpg.Pool, es: AsyncElasticsearch, index: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        # FOR UPDATE: wait for indexer transactions that may still be writing to it.
        await conn.execute("SELECT 1 FROM search.catalogue_indices WHERE index_name = $1 FOR UPDATE", index)
        await conn.execute("DELETE FROM search.catalogue_indices WHERE index_name = $1", index)
    await es.options(ignore_status=404).indices.delete(index=index)


async def _swap(pool: asyncpg.Pool, es: AsyncElasticsearch, alias: str, new: str) -> list[str]:
    """Point the read alias at ``new`` alone; return the indices that no longer serve."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch("SELECT index_name FROM search.catalogue_indices WHERE alias = $1 FOR UPDATE", alias)
        behind = await indices_behind(es, alias)
        actions = [{"remove": {"index": name, "alias": alias}} for name in behind if name != new]
        await es.indices.update_aliases(actions=[*actions, {"add": {"index": new, "alias": alias}}])
        await conn.execute("UPDATE search.catalogue_indices SET state = 'live' WHERE index_name = $1", new)
        await conn.execute("DELETE FROM search.catalogue_indices WHERE alias = $1 AND index_name <> $2", alias, new)
    return sorted(({r["index_name"] for r in rows} | set(behind)) - {new})
