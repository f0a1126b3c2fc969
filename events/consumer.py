"""Idempotent, ordered event consumers on Kafka consumer groups.

What a handler may rely on:

* **Exactly one effect per event.** The handler runs inside a PostgreSQL transaction
  that also records the event's id in ``processed_events``; a redelivered event (a
  crash before the offset commit, a relay that sent twice) finds its id and does
  nothing.
* **Aggregate order.** ``consumer_positions`` holds the last sequence applied per
  aggregate: an older or repeated sequence is ignored; one that arrives ahead of its
  predecessor is parked (``parked_events``) and applied right after it, never before
  and never dropped. ``psm_consumer_parked_events`` reports anything waiting.
* **Poison does not stop the line.** An unreadable event, an unknown type, invalid
  data, or a handler that still fails after bounded retries goes to ``<topic>.dlq``
  with the error in its headers, is recorded as handled, and the consumer goes on.
* **Offsets are committed after processing**, never before; a crash replays at most
  the uncommitted tail, which the points above make harmless.

For throughput, a fetched batch is first applied in one transaction; if anything in
it fails, the batch is rolled back and replayed one event at a time with retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from events.envelope import CloudEvent, MalformedEvent
from events.registry import EventPayload, UnknownEventType, payload_model
from events.topics import Topic, dlq, physical

log = logging.getLogger("psm.consumer")

Handler = Callable[[asyncpg.Connection, CloudEvent, EventPayload], Awaitable[None]]


class PoisonEvent(Exception):
    """This message can never be applied; it goes to the DLQ without retries."""


@dataclass(frozen=True)
class Subscription:
    """What one consumer reads and does. ``name`` is also its consumer group id."""

    name: str
    schema: str
    topics: Sequence[Topic]
    handlers: dict[str, Handler]
    max_attempts: int = 5
    retry_base_s: float = 0.05


@dataclass
class ConsumerStats:
    applied: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    lag: dict[str, int] = field(default_factory=dict)


class EventConsumer:
    def __init__(self, sub: Subscription, *, pool: asyncpg.Pool, kafka_bootstrap: str, topic_prefix: str,
                 producer: AIOKafkaProducer, group_prefix: str = "") -> None:
        self.sub = sub
        self.pool = pool
        self.kafka_bootstrap = kafka_bootstrap
        self.topic_prefix = topic_prefix
        self.producer = producer
        self.group_id = f"{group_prefix}{topic_prefix}{sub.name}"
        self.stats = ConsumerStats()
        self._consumer: AIOKafkaConsumer | None = None
        self._schema = f'"{sub.schema}"'

    # -- running ---------------------------------------------------------------------
    async def run(self) -> None:
        topics = [physical(t.value, self.topic_prefix) for t in self.sub.topics]
        consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=self.kafka_bootstrap, group_id=self.group_id,
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=500,
            isolation_level="read_committed",
        )
        self._consumer = consumer
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                for tp, records in batches.items():
                    await self._process(records)
                    await consumer.commit({tp: records[-1].offset + 1})
                    self._update_lag(consumer, tp, records[-1].offset + 1)
        finally:
            self._consumer = None
            await consumer.stop()

    def _update_lag(self, consumer: AIOKafkaConsumer, tp: TopicPartition, next_offset: int) -> None:
        end = consumer.highwater(tp)
        if end is not None:
            self.stats.lag[f"{tp.topic}[{tp.partition}]"] = max(0, end - next_offset)

    # -- processing ------------------------------------------------------------------
    async def _process(self, records: list[ConsumerRecord]) -> None:
        decoded = [self._decode(r) for r in records]
        if all(not isinstance(d, PoisonEvent) for d in decoded):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    for event in decoded:
                        await self._apply(conn, event)
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — replayed one by one below, where errors are handled
                log.debug("%s: batch failed, replaying one event at a time", self.sub.name, exc_info=True)
        for record, event in zip(records, decoded):
            await self._process_one(record, event)

    def _decode(self, record: ConsumerRecord) -> CloudEvent | PoisonEvent:
        try:
            event = CloudEvent.from_json(record.value or b"")
            if event.type not in self.sub.handlers:
                payload_model(event.type)  # unknown to the whole system → poison
            else:
                event.payload()
            return event
        except (MalformedEvent, UnknownEventType, ValidationError) as e:
            return PoisonEvent(f"{type(e).__name__}: {e}")

    async def _process_one(self, record: ConsumerRecord, event: CloudEvent | PoisonEvent) -> None:
        if isinstance(event, PoisonEvent):
            await self._dead_letter(record, str(event), None)
            return
        error: BaseException | None = None
        for attempt in range(self.sub.max_attempts):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await self._apply(conn, event)
                return
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 — retried, then dead-lettered: never swallowed
                error = e
                log.warning("%s: %s %s (attempt %d/%d) failed: %r", self.sub.name, event.type, event.id,
                            attempt + 1, self.sub.max_attempts, e)
                await asyncio.sleep(self.sub.retry_base_s * (2**attempt))
        await self._dead_letter(record, f"{type(error).__name__}: {error}", event)

    async def _apply(self, conn: asyncpg.Connection, event: CloudEvent) -> None:
        first_time = await conn.fetchval(
            f"INSERT INTO {self._schema}.processed_events (consumer, event_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING RETURNING true",
            self.sub.name, event.id,
        )
        if not first_time:
            self.stats.ignored += 1
            return
        last = await self._position(conn, event.subject)
        if event.sequence <= last:
            self.stats.ignored += 1
            return
        if event.sequence > last + 1:
            # Ahead of its predecessor: wait for it (see module docstring).
            await conn.execute(
                f"INSERT INTO {self._schema}.parked_events (consumer, subject, sequence, event) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                self.sub.name, event.subject, event.sequence, event.as_dict(),
            )
            log.warning("%s: %s seq %d parked, waiting for seq %d", self.sub.name, event.subject,
                        event.sequence, last + 1)
            return
        await self._run_handler(conn, event)
        # Anything parked behind this one can go now, in order.
        while True:
            parked = await conn.fetchval(
                f"DELETE FROM {self._schema}.parked_events WHERE consumer = $1 AND subject = $2 AND sequence = $3 "
                "RETURNING event::text",
                self.sub.name, event.subject, event.sequence + 1,
            )
            if parked is None:
                break
            event = CloudEvent.from_json(parked)
            await self._run_handler(conn, event)

    async def _run_handler(self, conn: asyncpg.Connection, event: CloudEvent) -> None:
        handler = self.sub.handlers.get(event.type)
        if handler is not None:
            await handler(conn, event, event.payload())
            self.stats.applied += 1
        else:
            self.stats.ignored += 1
        await self._advance(conn, event.subject, event.sequence)

    async def _position(self, conn: asyncpg.Connection, subject: str) -> int:
        last = await conn.fetchval(
            f"SELECT last_sequence FROM {self._schema}.consumer_positions WHERE consumer = $1 AND subject = $2 "
            "FOR UPDATE",
            self.sub.name, subject,
        )
        return last or 0

    async def _advance(self, conn: asyncpg.Connection, subject: str, sequence: int) -> None:
        await conn.execute(
            f"INSERT INTO {self._schema}.consumer_positions (consumer, subject, last_sequence) VALUES ($1, $2, $3) "
            "ON CONFLICT (consumer, subject) DO UPDATE SET last_sequence = EXCLUDED.last_sequence",
            self.sub.name, subject, sequence,
        )

    async def _dead_letter(self, record: ConsumerRecord, error: str, event: CloudEvent | None) -> None:
        headers = list(record.headers or []) + [
            ("psm-error", error[:4000].encode()),
            ("psm-consumer", self.sub.name.encode()),
            ("psm-original-topic", record.topic.encode()),
            ("psm-original-partition", str(record.partition).encode()),
            ("psm-original-offset", str(record.offset).encode()),
        ]
        await self.producer.send_and_wait(dlq(record.topic), value=record.value, key=record.key, headers=headers)
        self.stats.dead_lettered += 1
        log.error("%s: dead-lettered %s@%d: %s", self.sub.name, record.topic, record.offset, error)
        if event is not None:
            # Recorded as handled so that the aggregate's later events are not held up
            # behind it; the DLQ keeps it for inspection and replay.
            async with self.pool.acquire() as conn, conn.transaction():
                first = await conn.fetchval(
                    f"INSERT INTO {self._schema}.processed_events (consumer, event_id) VALUES ($1, $2) "
                    "ON CONFLICT DO NOTHING RETURNING true",
                    self.sub.name, event.id,
                )
                if first and event.sequence > await self._position(conn, event.subject):
                    await self._advance(conn, event.subject, event.sequence)


def dlq_error(record: ConsumerRecord) -> str | None:
    for k, v in record.headers or []:
        if k == "psm-error":
            return v.decode()
    return None

