"""The outbox relay: publishes committed outbox rows to Kafka, in order, at least once.

Correctness, and why:

* **No event is lost when transactions commit out of id order.** The relay never
  remembers "the last id it has seen": every round it reads the rows that are still
  unpublished (``published_at IS NULL``), so a row with a small id whose transaction
  committed late is simply picked up in a later round.
* **Per-aggregate order.** Rows of one aggregate get increasing ids (the sequence
  counter's row lock orders their transactions, events.outbox). The relay sends in id
  order through an idempotent producer (acks=all), which keeps a partition's batches
  in order across its internal retries. If a send fails, the rows are left
  unpublished and sent again, so a consumer can see a prefix twice, never a later
  event without the earlier one before it; consumers drop the repeats.
* **Several relay processes.** One leader per schema, elected with a PostgreSQL
  session advisory lock held on the relay's own connection: the others wait. If the
  leader dies, its connection closes, the lock is released and another takes over
  where the table says (unpublished rows), not where a process remembers.
* **Latency.** The leader LISTENs on the schema's channel; ``Outbox.record`` NOTIFYs
  at commit, so a round starts at once. A one-second poll covers a missed notice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from events.envelope import CONTENT_TYPE, TYPE_HEADER
from events.consistency import published_channel
from events.outbox import notify_channel
from events.topics import physical
from events.clients import start_safely
from events.supervise import supervise

log = logging.getLogger("psm.relay")

STOP_TIMEOUT_S = 10.0


def leader_lock_key(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(f"relay:{schema}".encode()).digest()[:8], "big", signed=True)


def kafka_producer(bootstrap: str, **overrides) -> AIOKafkaProducer:
    """The one way this system produces: idempotent, acks from all in-sync replicas."""
    options = dict(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2,
                   request_timeout_ms=15000, max_batch_size=256 * 1024)
    options.update(overrides)
    return AIOKafkaProducer(**options)


class OutboxRelay:
    """Publishes one schema's outbox. ``run()`` until cancelled; safe to run in many processes."""

    def __init__(self, *, database_url: str, schema: str, kafka_bootstrap: str, topic_prefix: str = "",
                 batch_size: int = 1000, poll_interval_s: float = 1.0) -> None:
        self.database_url = database_url
        self.schema = schema
        self.kafka_bootstrap = kafka_bootstrap
        self.topic_prefix = topic_prefix
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.is_leader = False
        self.published_total = 0
        self._wake = asyncio.Event()

    async def run(self) -> None:
        await supervise(f"relay {self.schema}", self._lead, log, after=self._step_down)

    def _step_down(self) -> None:
        self.is_leader = False

    async def _lead(self) -> None:
        conn = await asyncpg.connect(self.database_url, server_settings={"application_name": f"psm-relay-{self.schema}"})
        producer: AIOKafkaProducer | None = None
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", leader_lock_key(self.schema)):
                await asyncio.sleep(self.poll_interval_s)
            self.is_leader = True
            log.info("relay %s: leading", self.schema)
            await conn.add_listener(notify_channel(self.schema), self._on_notify)
            producer = kafka_producer(self.kafka_bootstrap)
            await start_safely(producer)
            while True:
                self._wake.clear()
                sent = await self._publish_round(conn, producer)
                if sent < self.batch_size:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                    # cancellation that arrives as the wake-up does (notices arrive all the
                    # time under load), and a relay that ignores its cancellation never stops.
                    try:
                        async with asyncio.timeout(self.poll_interval_s):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
        finally:
            if producer is not None:
                # stop() flushes what is buffered; while partition leadership moves it can
                # retry for a long time. Bounded: whatever it did not confirm is still
                # unpublished in the table and will be sent again (at least once).
                try:
                    await asyncio.wait_for(asyncio.shield(producer.stop()), STOP_TIMEOUT_S)
                except asyncio.TimeoutError:
                    log.warning("relay %s: producer did not stop within %ss", self.schema, STOP_TIMEOUT_S)
            await conn.close(timeout=2)

    def _on_notify(self, *_args) -> None:
        self._wake.set()

    async def _publish_round(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        rows = await conn.fetch(
            f'SELECT id, topic, subject, event->>\'type\' AS type, event::text AS event FROM "{self.schema}".outbox '
            "WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self.batch_size,
        )
        if not rows:
            return 0
        content_type = ("content-type", CONTENT_TYPE.encode())
        futures = []
        for r in rows:
            futures.append(await producer.send(physical(r["topic"], self.topic_prefix), value=r["event"].encode(),
                                               key=r["subject"].encode(),
                                               headers=[content_type, (TYPE_HEADER, r["type"].encode())]))
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed_subjects: set[str] = set()
        done: list[int] = []
        for r, result in zip(rows, results):
            # After one failure for an aggregate, its later rows are not marked either:
            # they are sent again behind the failed one, keeping the order.
            if isinstance(result, BaseException) or r["subject"] in failed_subjects:
                failed_subjects.add(r["subject"])
                continue
            done.append(r["id"])
        if done:
            # The notice wakes requests waiting for their events to be on Kafka
            # (events.consistency.OutboxFlush): read-your-writes for the next request.
            await conn.execute(
                f'WITH u AS (UPDATE "{self.schema}".outbox SET published_at = now() WHERE id = ANY($1::bigint[]) '
                "RETURNING 1) SELECT pg_notify($2, '') WHERE EXISTS (SELECT 1 FROM u)",
                done, published_channel(self.schema),
            )
            self.published_total += len(done)
        if failed_subjects:
            error = next(x for x in results if isinstance(x, BaseException))
            raise error if isinstance(error, KafkaError) else KafkaError(str(error))
        return len(rows)


async def outbox_lag(conn: asyncpg.Connection, schema: str) -> tuple[int, float]:
    """(unpublished rows, age in seconds of the oldest one) for /metrics."""
    row = await conn.fetchrow(
        f'SELECT count(*) AS n, min(created_at) AS oldest FROM "{schema}".outbox WHERE published_at IS NULL'
    )
    age = 0.0
    if row["oldest"] is not None:
        age = max(0.0, time.time() - row["oldest"].timestamp())
    return row["n"], age
