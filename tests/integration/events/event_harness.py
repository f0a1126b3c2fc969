"""What the event-backbone tests share: a test-only event type, writers and readers.

Imported by the tests of this folder (pytest puts the folder on ``sys.path``); the
name is unique so that it cannot shadow another test helper.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from tests.ports import unused_ports
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer

from events.consumer import Subscription
from events.envelope import CloudEvent
from events.outbox import Outbox
from events.relay import OutboxRelay
from events.registry import EventPayload, event_type
from events.topics import Topic, physical
from services.runtime.settings import Settings

SCHEMA = "evt"
SOURCE = "/psm/testagg"


@event_type("psm.testagg.happened.v1", Topic.LISTINGS)
class ThingHappened(EventPayload):
    """A test aggregate's event; ``fail`` makes the test handlers raise on it."""

    n: int
    fail: bool = False


def thing(subject: str, sequence: int, n: int = 0, *, fail: bool = False) -> CloudEvent:
    return CloudEvent.of(ThingHappened(n=n, fail=fail), source=SOURCE, subject=subject, sequence=sequence)


async def write_concurrently(pool: asyncpg.Pool, *, writers: int, events_per_writer: int, aggregates: int,
                             per_transaction: int = 10, seed: int = 7, pause_s: float = 0.0) -> int:
    """``writers`` tasks, each committing its own transactions of ``per_transaction``
    events on aggregates shared with the other writers, pausing ``pause_s`` between
    transactions; returns the number written."""
    outbox = Outbox(SCHEMA, SOURCE)
    subjects = [f"agg-{i}" for i in range(aggregates)]

    async def writer(w: int) -> None:
        rnd = random.Random(seed * 1000 + w)
        left = events_per_writer
        while left:
            k = min(per_transaction, left)
            # Lock aggregates in one global order so that two writers never deadlock.
            picks = sorted(rnd.choice(subjects) for _ in range(k))
            async with pool.acquire() as conn, conn.transaction():
                for s in picks:
                    await outbox.record(conn, s, ThingHappened(n=w))
            left -= k
            await asyncio.sleep(pause_s)

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return writers * events_per_writer


@dataclass
class Seen:
    """What a reader saw: every record in arrival order, deduplicated by event id."""

    ids: set[str] = field(default_factory=set)
    records: int = 0
    by_subject: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, event: CloudEvent) -> None:
        self.records += 1
        if event.id in self.ids:
            return
        self.ids.add(event.id)
        self.by_subject[event.subject].append(event.sequence)

    def out_of_order(self) -> dict[str, list[int]]:
        """Aggregates whose first occurrences are not exactly 1, 2, ..., n."""
        return {s: seqs for s, seqs in self.by_subject.items() if seqs != list(range(1, len(seqs) + 1))}


async def read_until(bootstrap: str, prefix: str, expected: int, *, timeout_s: float = 60.0,
                     topic: Topic = Topic.LISTINGS) -> Seen:
    """Read ``topic`` from the beginning until ``expected`` distinct events have arrived."""
    seen = Seen()
    consumer = AIOKafkaConsumer(physical(topic.value, prefix), bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                isolation_level="read_committed")
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout_s
        while len(seen.ids) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200, max_records=5000)).values():
                for r in records:
                    seen.add(CloudEvent.from_json(r.value))
    finally:
        await consumer.stop()
    return seen


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what or check}")
        await asyncio.sleep(0.05)


async def aggregate_lengths(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch(f'SELECT subject, last_sequence FROM "{SCHEMA}".aggregate_sequences')
    return {r["subject"]: r["last_sequence"] for r in rows}


def new_relay(settings: Settings, *, bootstrap: str | None = None) -> OutboxRelay:
    return OutboxRelay(database_url=settings.database_url, schema=SCHEMA,
                       kafka_bootstrap=bootstrap or settings.kafka_bootstrap, topic_prefix=settings.topic_prefix,
                       poll_interval_s=0.2)


@contextlib.asynccontextmanager
async def running(runner, name: str) -> AsyncIterator[asyncio.Task]:
    """Run ``runner.run()`` as a task for the block; cancel it and wait for it after."""
    task = asyncio.create_task(runner.run(), name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class PrivateKafka:
    """A Kafka broker of the test's own, run by the stack tool (``psm stack``) in
    ``stack_dir``, so that stopping it disturbs no other test."""

    def __init__(self, stack_dir: str, environ: dict[str, str]) -> None:
        self.kafka_port, self.controller_port = free_ports(2)
        self.bootstrap = f"127.0.0.1:{self.kafka_port}"
        env = {k: v for k, v in environ.items() if k != "PSM_KAFKA_BOOTSTRAP"}
        # Given URLs make the stack tool leave PostgreSQL and Elasticsearch alone.
        self.env = {**env, "PSM_STACK_DIR": stack_dir, "PSM_KAFKA_PORT": str(self.kafka_port),
                    "PSM_KAFKA_CONTROLLER_PORT": str(self.controller_port),
                    "PSM_DATABASE_URL": "postgresql://unused@127.0.0.1:1/unused",
                    "PSM_ELASTICSEARCH_URL": "http://127.0.0.1:1"}

    async def stack(self, action: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.tools.cli", "stack", action, "kafka", env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"psm stack {action} kafka failed ({proc.returncode}):\n{out.decode()}")


def free_ports(n: int) -> list[int]:
    return unused_ports(n)  # not from the ephemeral range: see tests/ports.py


async def create_effects_table(pool: asyncpg.Pool) -> None:
    await pool.execute(f'CREATE TABLE "{SCHEMA}".effects (no bigserial PRIMARY KEY, event_id uuid NOT NULL, '
                       "subject text NOT NULL, sequence integer NOT NULL)")


async def record_effect(conn: asyncpg.Connection, event: CloudEvent, payload: ThingHappened) -> None:
    """The test handlers' effect: one row, in the consumer's transaction."""
    if payload.fail:
        raise RuntimeError(f"handler refuses event {event.id}")
    await conn.execute(f'INSERT INTO "{SCHEMA}".effects (event_id, subject, sequence) VALUES ($1, $2, $3)',
                       event.id, event.subject, event.sequence)


async def effects(pool: asyncpg.Pool) -> list[tuple[str, int]]:
    """(subject, sequence) of every effect, in the order they were applied."""
    rows = await pool.fetch(f'SELECT subject, sequence FROM "{SCHEMA}".effects ORDER BY no')
    return [(r["subject"], r["sequence"]) for r in rows]


def subscription(name: str = "things", handler=record_effect, **options) -> Subscription:
    return Subscription(name=name, schema=SCHEMA, topics=[Topic.LISTINGS],
                        handlers={ThingHappened.TYPE: handler}, **{"retry_base_s": 0.01, **options})

