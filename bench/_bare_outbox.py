"""The ceiling beside ``python -m bench outbox``'s sustained figure: the least a
transactional outbox needs on this machine, written bare — no envelope, no pydantic, no
framework — to learn what PostgreSQL, Kafka and the two cores allow before any of our
own work.

* **writers** (a process of their own, as for the measured pipeline): as many events as the
  measured writers wrote, ``--per-tx`` rows of the event's size inserted into ``bare_outbox``
  in one statement per transaction, as fast as they go;
* **relay**: the oldest unpublished rows (a partial index, as ours), sent with the same
  idempotent ``acks=all`` producer, then marked published in one statement;
* **consumer**: one group member; per fetch, one transaction recording the events' ids
  (``ON CONFLICT DO NOTHING``: duplicates without effect), then the offsets committed
  while the next fetch is applied.

What it leaves out of DESIGN §11, so that it is an upper bound: per-aggregate positions
(gaps, parking), sequences, the envelope and its validation, dead letters, tracing, the
relay's lease and the consumers' read-your-writes bookkeeping.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer

from bench._scratch import in_process
from bench._server import run_like_serve
from events.relay import kafka_producer

DDL = """
CREATE TABLE bare_outbox (id bigserial PRIMARY KEY, subject text NOT NULL, event_id uuid NOT NULL,
                          event jsonb NOT NULL, published_at timestamptz);
CREATE INDEX bare_outbox_unpublished ON bare_outbox (id) WHERE published_at IS NULL;
CREATE TABLE bare_processed (event_id uuid PRIMARY KEY);
"""


def _writers_main(database_url: str, events: int, writers: int, per_tx: int, body: str, out) -> None:
    async def write() -> tuple[int, float]:
        pool = await asyncpg.create_pool(database_url, min_size=4, max_size=max(4, min(writers, 40)))
        written = 0

        async def writer(w: int) -> None:
            nonlocal written
            subjects = [f"agg-{w}-{i}" for i in range(per_tx)]
            bodies = [body] * per_tx
            while written < events:
                written += per_tx
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute("INSERT INTO bare_outbox (subject, event_id, event) "
                                       "SELECT * FROM unnest($1::text[], $2::uuid[], $3::jsonb[])",
                                       subjects, [uuid.uuid4() for _ in range(per_tx)], bodies)

        try:
            t0 = time.time()
            await asyncio.gather(*(writer(w) for w in range(writers)))
            return written, time.time() - t0
        finally:
            await pool.close()

    out.send(run_like_serve(write()))
    out.close()


async def sustained(database_url: str, bootstrap: str, topic: str, *, events: int, writers: int, per_tx: int,
                    body: str) -> tuple[int, float, float]:
    """``events`` (rounded up to whole transactions) written as fast as the writers go: (events
    written, the writers' rate, the end-to-end rate until every one was consumed)."""
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=4)
    producer = kafka_producer(bootstrap)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"{topic}.bare", max_poll_records=500,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                isolation_level="read_committed")
    consumed = 0
    stop = asyncio.Event()
    tasks: list[asyncio.Task] = []

    async def relay() -> None:
        while not stop.is_set():
            async with pool.acquire() as conn:
                rows = await conn.fetch("SELECT id, subject, event_id, event::text AS event FROM bare_outbox "
                                        "WHERE published_at IS NULL ORDER BY id LIMIT 2000")
            if not rows:
                await asyncio.sleep(0.005)
                continue
            sent = [await producer.send(topic, value=r["event"].encode(), key=r["subject"].encode(),
                                        headers=[("id", r["event_id"].bytes)]) for r in rows]
            await asyncio.gather(*sent)
            async with pool.acquire() as conn:
                await conn.execute("UPDATE bare_outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                                   [r["id"] for r in rows])

    async def consume() -> None:
        nonlocal consumed
        committing: asyncio.Future | None = None
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            if not batches:
                continue
            ids = [uuid.UUID(bytes=dict(r.headers)["id"]) for records in batches.values() for r in records]
            async with pool.acquire() as conn, conn.transaction():  # one transaction per fetch
                await conn.execute("INSERT INTO bare_processed SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING", ids)
            consumed += len(ids)
            if committing is not None:
                await committing
            # the offsets travel while the next fetch is applied
            committing = asyncio.ensure_future(
                consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items()}))

    try:
        await pool.execute(DDL)
        await producer.start()
        await consumer.start()
        tasks += [asyncio.create_task(relay()), asyncio.create_task(consume())]
        t0 = time.time()
        written, writing_s = await in_process(_writers_main, database_url, events, writers, per_tx, body,
                                              name="bench-bare-writers")
        deadline = time.monotonic() + 60
        while consumed < written and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        done = time.time()
        if consumed < written:
            raise RuntimeError(f"the bare pipeline consumed {consumed:,} of {written:,} events within 60 s")
        return written, written / writing_s, consumed / (done - t0)
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
        await pool.close()
