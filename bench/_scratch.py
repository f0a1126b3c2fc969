"""What the event-path benchmarks share: a database of their own with the event tables
in one schema, and topics under a prefix of their own — all removed afterwards (as the
HTTP benchmarks' ``bench._server`` removes its own)."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
from bench._server import cleanup
from events.topics import ensure_topics
from services.runtime.settings import Settings
from services.runtime.storage import apply_migrations, create_pool

EVENTS_MIGRATIONS = Path(__file__).resolve().parents[1] / "events" / "migrations"


@contextlib.asynccontextmanager
async def event_schema(settings: Settings, schema: str, *,
                       pool_max: int = 8) -> AsyncIterator[tuple[Settings, asyncpg.Pool]]:
    """The run's settings (its database and topic prefix) and a pool on that database,
    whose ``schema`` holds the event tables (events/migrations)."""
    tag = f"bench{uuid.uuid4().hex[:10]}"
    prefix, db = f"{tag}.", f"psm_bench_{tag}"
    admin = await asyncpg.connect(settings.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{db}"')
    finally:
        await admin.close()
    run = settings.model_copy(update={"database_url": settings.database_url.rsplit("/", 1)[0] + "/" + db,
                                      "topic_prefix": prefix})
    pool = None
    try:
        await ensure_topics(run.kafka_bootstrap, prefix, settings.topic_partitions)
        pool = await create_pool(run, min_size=2, max_size=pool_max)
        await apply_migrations(pool, schema, EVENTS_MIGRATIONS, namespace="events")
        yield run, pool
    finally:
        if pool is not None:
            await pool.close()
        await cleanup(settings, db, tag)  # the HTTP benches' own clean-up: topics, indices, database


async def in_process(target: Callable[..., None], *args, name: str):
    """``target(*args, send)`` in a process of its own (spawned: the event-path benches'
    writers, so that their load does not queue on the pipeline's event loop); what it sends
    through ``send`` once it is done."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(*args, send), name=name)
    proc.start()
    send.close()
    try:
        return await asyncio.to_thread(receive.recv)
    finally:
        await asyncio.to_thread(proc.join, 30)
