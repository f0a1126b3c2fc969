"""``psm stats rebuild``: the statistics rebuilt from the events.

In one transaction: every table of the read model is emptied (TRUNCATE: readers and the
live consumers wait on its lock until the commit), then each topic the statistics read
is replayed from its beginning to its end offsets through the same handlers as the live
consumers (``PROJECTION``), dimensions first (organisations, patents), then the facts.
An event the live consumers apply again after the commit changes nothing: every fact is
keyed by its source and every read model is an upsert of the latest state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from pydantic import ValidationError

from events.envelope import CloudEvent, MalformedEvent
from events.registry import UnknownEventType
from events.replay import replay_topic
from events.topics import physical
from services.runtime.settings import Settings
from services.stats.consumers import PROJECTION

log = logging.getLogger("psm.stats.rebuild")
TABLES = ("facts", "rollup", "rollup_monthly", "orgs", "patents", "listings", "licences", "activity", "pledges")
LOCK = 0x5057_5354  # one rebuild at a time (a PostgreSQL advisory lock)


@dataclass(frozen=True)
class RebuildReport:
    events_replayed: int
    facts: int
    seconds: float


async def rebuild(settings: Settings, pool: asyncpg.Pool, say: Callable[[str], None] = lambda _m: None) -> RebuildReport:
    started = time.monotonic()
    replayed = 0
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK)
        await conn.execute(f"TRUNCATE {', '.join('stats.' + t for t in TABLES)}")
        for topic, handlers in PROJECTION.items():
            async def apply(values: list[bytes | None], handlers=handlers) -> None:
                for raw in values:
                    try:
                        event = CloudEvent.from_json(raw or b"")
                        handler = handlers.get(event.type)
                        if handler is not None:
                            await handler(conn, event, event.payload())
                    except (MalformedEvent, UnknownEventType, ValidationError) as e:
                        log.warning("the rebuild skips an unreadable event: %s", e)

            replayed += await replay_topic(settings.kafka_bootstrap, physical(topic.value, settings.topic_prefix),
                                           f"{settings.topic_prefix}stats.rebuild.{int(time.time())}", apply, say)
        facts = await conn.fetchval("SELECT count(*) FROM stats.facts")
    return RebuildReport(events_replayed=replayed, facts=facts, seconds=time.monotonic() - started)


def main(argv: list[str]) -> int:
    import argparse
    import asyncio

    from services.runtime.storage import create_pool

    ap = argparse.ArgumentParser(prog="psm stats", description="the deal statistics' operations")
    ap.add_argument("action", choices=["rebuild"], help="rebuild the statistics from the events")
    ap.parse_args(argv)

    async def run() -> int:
        settings = Settings()
        pool = await create_pool(settings, min_size=1, max_size=2)
        try:
            report = await rebuild(settings, pool, say=lambda m: print(m, flush=True))
        finally:
            await pool.close()
        print(f"statistics rebuilt: {report.facts} facts from {report.events_replayed} events "
              f"in {report.seconds:.1f} s")
        return 0

    return asyncio.run(run())
