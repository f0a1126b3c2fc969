"""Table sizes after 1,000,000 events, and what the retention rules bring them back to.

``python -m bench retention`` (the stack must be up). Its own database and topic prefix,
removed at the end. One schema's event tables go through the real path: the events are
recorded in the outbox (1,000 per statement, as a bulk import does), the relay publishes
them, a consumer applies them (a handler that does nothing: the tables measured are the
plumbing's). Then the rules of services/runtime/storage/retention.py run as they would
once the retention has passed (``now`` = the end of the run + the outbox and processed-
events retention), followed by a plain VACUUM (what autovacuum does): the space of the
deleted rows is free for the next rows, so the tables' size on disk stays what the
retention window holds.

Baseline (same run): the sizes without pruning — what the tables held before it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench._scratch import event_schema
from bench.outbox import Pinged, _payload
from events.consumer import EventConsumer, Subscription
from events.outbox import Outbox
from events.relay import OutboxRelay, kafka_producer
from events.supervise import stop_all
from events.topics import Topic
from services.runtime.settings import Settings
from services.runtime.storage.retention import Pruner, event_rules

SCHEMA = "bench"
TABLES = ("outbox", "processed_events", "consumer_positions", "aggregate_sequences")


async def sizes(pool: asyncpg.Pool) -> dict[str, tuple[int, int]]:
    out = {}
    for t in TABLES:
        rows = await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".{t}')
        size = await pool.fetchval("SELECT pg_total_relation_size($1::regclass)", f'"{SCHEMA}".{t}')
        out[t] = (rows, size)
    return out


def table(before: dict, after: dict) -> list[str]:
    lines = [f"{'table':<20} {'rows (no pruning)':>18} {'MB':>8}   {'rows (pruned)':>14} {'MB':>8}"]
    for t in TABLES:
        (r0, s0), (r1, s1) = before[t], after[t]
        lines.append(f"{t:<20} {r0:>18,} {s0 / 2**20:>8.1f}   {r1:>14,} {s1 / 2**20:>8.1f}")
    return lines


async def run(settings: Settings, events: int, aggregates: int) -> list[str]:
    out: list[str] = []
    async with event_schema(settings, SCHEMA) as (bench, pool):
        url, prefix = bench.database_url, bench.topic_prefix
        applied = 0

        async def handler(conn, event, payload) -> None:
            nonlocal applied
            applied += 1

        producer = kafka_producer(settings.kafka_bootstrap)
        await producer.start()
        relay = OutboxRelay(database_url=url, schema=SCHEMA, kafka_bootstrap=settings.kafka_bootstrap,
                            topic_prefix=prefix)
        consumer = EventConsumer(Subscription(name="bench", schema=SCHEMA, topics=[Topic.LISTINGS],
                                              handlers={Pinged.TYPE: handler}),
                                 pool=pool, kafka_bootstrap=settings.kafka_bootstrap, topic_prefix=prefix,
                                 producer=producer)
        tasks = [asyncio.create_task(relay.run(), name="relay"), asyncio.create_task(consumer.run(), name="consumer")]
        try:
            outbox = Outbox(SCHEMA, "/psm/bench")
            t0 = time.perf_counter()
            for start in range(0, events, 1000):
                async with pool.acquire() as conn, conn.transaction():
                    await outbox.record_many(conn, [(f"agg-{i % aggregates}", _payload(i))
                                                    for i in range(start, min(events, start + 1000))])
            while applied < events:
                await asyncio.sleep(0.5)
            took = time.perf_counter() - t0
            out.append(f"{events:,} events over {aggregates:,} aggregates recorded, published and applied in "
                       f"{took:.0f} s ({events / took:,.0f} events/s)")
        finally:
            await stop_all(tasks)
            await producer.stop()

        before = await sizes(pool)
        s = Settings()
        rules = event_rules(SCHEMA, outbox_s=s.outbox_retention_s, processed_s=s.processed_events_retention_s)
        later = datetime.now(UTC) + timedelta(seconds=max(s.outbox_retention_s, s.processed_events_retention_s))
        t0 = time.perf_counter()
        deleted = await Pruner(pool, rules).prune(now=later)
        pruning = time.perf_counter() - t0
        for t in TABLES:
            await pool.execute(f'VACUUM "{SCHEMA}".{t}')
        after = await sizes(pool)
        out.append(f"pruned as of {s.outbox_retention_s / 86400:.0f} days later: "
                   + ", ".join(f"{k} {v:,} rows" for k, v in deleted.items())
                   + f" in {pruning:.1f} s (batches of 5,000), then VACUUM")
        out.extend(table(before, after))
        out.append("VACUUM gives the trailing empty pages back and marks the rest free for new rows, so the files "
                   "stop growing at what the retention window holds; consumer_positions and aggregate_sequences "
                   "grow with aggregates, never with events")
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench retention", description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--aggregates", type=int, default=10_000)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    t0 = time.monotonic()
    lines = asyncio.run(run(Settings(), args.events, args.aggregates))
    print(f"bench retention — {Path('/proc/cpuinfo').read_text().count('processor')} CPUs, {time.monotonic() - t0:.0f}s")
    for line in lines:
        print("  " + line)
    return 0
