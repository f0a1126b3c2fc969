"""Idempotent, ordered event consumers on Kafka consumer groups.

What a handler may rely on:

* **Exactly one effect per event.** The handler runs inside a PostgreSQL transaction
  that also records the event's id in ``processed_events``; a redelivered event (a
  crash before the offset commit, a relay that sent twice) finds its id and does
  nothing. (An event of a type the consumer has no handler for has no effect: only
  its aggregate's position records it.)
* **Aggregate order.** ``consumer_positions`` holds the last sequence applied per
  aggregate: an older or repeated sequence is ignored; one that arrives ahead of its
  predecessor is parked (``parked_events``) and applied right after it, never before
  and never dropped. ``psm_consumer_parked_events`` reports anything waiting.
* **Poison does not stop the line.** An unreadable event, an unknown type, invalid
  data, or a handler that still fails after bounded retries goes to ``<topic>.dlq``
  with the error in its headers, is recorded as handled, and the consumer goes on.
  A readable poison event keeps its place in its aggregate's history: it is
  dead-lettered when its turn comes (parked until then, like any event ahead of its
  predecessor) and counts as applied, so the aggregate's next event is not held up.
  A parked event whose handler keeps failing is dead-lettered alone: the predecessor
  that released it keeps its effect.
* **Broker or database outages are waited out.** The consumer reconnects with
  backoff and resumes from its committed offsets; what it had not committed is
  replayed, which the points above make harmless.
* **Offsets are committed after processing**, never before; a crash replays at most
  the uncommitted tail, which the points above make harmless.
* **…and after what processing wrote is on Kafka.** Events a handler recorded in its
  outbox are published (``flush``, bounded) before the offsets that caused them are
  committed, so "this group committed past X" means "X was applied and what X caused is
  on Kafka" — what read-your-writes builds on (events.consistency).

For throughput, a fetched batch is first applied in one transaction; if anything in
it fails, the batch is rolled back and replayed one event at a time with retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from events.consistency import WRITTEN, ConsumerBarrier, OutboxFlush
from events.envelope import CONTENT_TYPE, TYPE_HEADER, CloudEvent, MalformedEvent
from events.registry import EventPayload, UnknownEventType, payload_model
from events.topics import Topic, dlq, physical
from events.tracing import traced
from events.clients import start_safely, stop_safely
from events.supervise import supervise

log = logging.getLogger("psm.consumer")

Handler = Callable[[asyncpg.Connection, CloudEvent, EventPayload], Awaitable[None]]
BatchHandler = Callable[[asyncpg.Connection, Sequence[tuple[CloudEvent, EventPayload]]], Awaitable[None]]


def latest_by_subject(staged: Sequence[tuple[CloudEvent, EventPayload]]) -> list[tuple[CloudEvent, EventPayload]]:
    """The last of each aggregate's staged events (they arrive in their aggregate's order),
    one per aggregate in the order each first appeared: what an ``on_batch`` upserting
    each aggregate's latest state writes, one row per aggregate (a statement's upsert
    touches a row once)."""
    last = {event.subject: (event, payload) for event, payload in staged}
    return list(last.values())


async def BATCHED(conn: asyncpg.Connection, event: CloudEvent, payload: EventPayload) -> None:  # noqa: N802
    """The handler of an event type that its subscription's ``on_batch`` applies, together
    with the others of its transaction (a marker: the consumer never calls it)."""
    raise AssertionError(f"{event.type} is applied by its subscription's on_batch")


class ParsedEvents:
    """The events a process's consumer groups read, parsed once for all of them.

    Several groups of one process read the same records (five read every patent event
    of an import); each parsed its own copy, and parsing was most of what they did.
    Equal bytes are the same event, so the cache is keyed by the record's value itself:
    nothing depends on topics, offsets or which group asks first. A ``CloudEvent`` is
    frozen and validates its payload once (``payload()``), so sharing one instance is
    sharing an immutable value. The newest ``size`` parses are kept.
    """

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        # An OrderedDict: dropping its oldest entry is O(1) (a dict's first key, after many
        # deletions at its front, is found by scanning their remains: 10 % of a consumer).
        self._parsed: OrderedDict[bytes | str, CloudEvent | MalformedEvent] = OrderedDict()

    def parse(self, raw: bytes | str) -> CloudEvent | MalformedEvent:
        found = self._parsed.get(raw)
        if found is not None:
            return found
        try:
            found = CloudEvent.from_json(raw)
        except MalformedEvent as e:
            found = e
        if len(self._parsed) >= self.size:
            self._parsed.popitem(last=False)  # the oldest
        self._parsed[raw] = found
        return found


PARSED = ParsedEvents()


class PoisonEvent(Exception):
    """This message can never be applied; it goes to the DLQ without retries.

    ``event`` is the envelope when it could be read (unknown type, invalid data): its
    subject and sequence still place it in its aggregate's order.
    """

    def __init__(self, reason: str, event: CloudEvent | None = None) -> None:
        super().__init__(reason)
        self.event = event


@dataclass(frozen=True)
class Subscription:
    """What one consumer reads and does. ``name`` is also its consumer group id."""

    name: str
    schema: str
    topics: Sequence[Topic]
    handlers: dict[str, Handler]
    max_attempts: int = 5
    retry_base_s: float = 0.05
    # The events whose handler is BATCHED, applied together in arrival order: those staged
    # are applied before any other handler of the transaction runs, and at its end (the
    # same order guarantees as the others; e.g. the catalogue folds the bids of an auction
    # into one write of its document instead of one per bid).
    on_batch: BatchHandler | None = None

    def __post_init__(self) -> None:
        if self.on_batch is None and BATCHED in self.handlers.values():
            raise ValueError(f"subscription {self.name}: BATCHED handlers need an on_batch")


@dataclass
class ConsumerStats:
    applied: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    lag: dict[str, int] = field(default_factory=dict)


class EventConsumer:
    def __init__(self, sub: Subscription, *, pool: asyncpg.Pool, kafka_bootstrap: str, topic_prefix: str,
                 producer: AIOKafkaProducer, group_prefix: str = "",
                 flush: OutboxFlush | None = None, flush_timeout_s: float = 5.0,
                 barrier: ConsumerBarrier | None = None) -> None:
        self.sub = sub
        self.pool = pool
        self.kafka_bootstrap = kafka_bootstrap
        self.topic_prefix = topic_prefix
        self.producer = producer
        self.group_id = f"{group_prefix}{topic_prefix}{sub.name}"
        self.stats = ConsumerStats()
        self._aggregates = {aggregate_kind(t) for t in sub.handlers}
        self._consumer: AIOKafkaConsumer | None = None
        self._joined = False
        self.ever_joined = False  # readiness: a process is not ready before its consumers first joined
        self._schema = f'"{sub.schema}"'
        self._open_batch = open_batch_sql(self._schema)
        self.flush = flush
        self.flush_timeout_s = flush_timeout_s
        self.barrier = barrier  # told what this consumer holds and commits (read-your-writes without asking Kafka)

    @property
    def state(self) -> str:
        """``consuming`` while in its group, else ``connecting`` (starting, or riding out an outage)."""
        return "consuming" if self._joined else "connecting"

    # -- running ---------------------------------------------------------------------
    async def run(self) -> None:
        """Consume until cancelled, riding out Kafka and PostgreSQL outages: a failed offset
        commit or a lost connection starts a new group member, which resumes from the
        committed offsets (the replayed tail is deduplicated)."""
        await supervise(self.sub.name, self._consume, log)

    async def _consume(self) -> None:
        topics = [physical(t.value, self.topic_prefix) for t in self.sub.topics]
        consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=self.kafka_bootstrap, group_id=self.group_id,
            # 500: 2,000 let the outbox bench's consumer keep up with its writers (8.6k events/s
            # consumed while writing, against 7.6–8.5k), but a batch then holds its
            # transaction and the event loop for longer, and requests waiting for their
            # consumers (read-your-writes) waited longer: bench/PROFILE.md, issue 18.
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=500,
            isolation_level="read_committed",
        )
        self._consumer = consumer
        release: Callable[[], None] | None = None
        committing: asyncio.Future[None] | None = None
        try:
            # start() inside the try: a consumer cancelled while joining its group
            # must still be stopped, or aiokafka's background tasks outlive it.
            await start_safely(consumer)  # returns once the group has assigned this member its partitions
            self._joined = self.ever_joined = True
            if self.barrier is not None:
                release = self.barrier.hold(self.group_id, consumer.assignment)
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                written: dict[str, int] = {}
                token = WRITTEN.set(written)
                try:
                    # The fetch's partitions in one transaction (each keeps its order; an
                    # aggregate lives in one partition): a transaction per partition was up
                    # to six BEGIN…COMMITs, each with its batch-opening statement, per fetch.
                    await self._process([r for records in batches.values() for r in records])
                finally:
                    WRITTEN.reset(token)
                if written and self.flush is not None:
                    for schema, upto in written.items():
                        await self.flush.wait(schema, upto, self.flush_timeout_s)
                if batches:
                    # One commit for every partition of the fetch: a round trip to the
                    # broker per partition would hold back the next fetch (latency).
                    # Committed only after all were processed; a crash replays them. The
                    # next fetch is processed while the commit travels (one in flight: a
                    # failed commit ends this member at the next batch, as it did at once).
                    offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
                    if committing is not None:
                        await committing
                    committing = asyncio.ensure_future(self._commit(consumer, offsets))
        finally:
            try:
                if committing is not None:
                    # Leaving (cancelled, or a failure): what was applied is committed if
                    # Kafka takes it; if not, the tail is replayed and deduplicated.
                    with contextlib.suppress(Exception):
                        await asyncio.shield(committing)
            finally:
                if release is not None:
                    release()
                self._consumer = None
                self._joined = False
                await stop_safely(consumer)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        await consumer.commit(offsets)
        if self.barrier is not None:
            self.barrier.committed_here(self.group_id, offsets)
        for tp, next_offset in offsets.items():
            self._update_lag(consumer, tp, next_offset)

    def _update_lag(self, consumer: AIOKafkaConsumer, tp: TopicPartition, next_offset: int) -> None:
        if tp not in consumer.assignment():
            # Revoked by a rebalance (another replica joined) while the batch was being
            # processed: its lag is that replica's to report now.
            self.stats.lag.pop(f"{tp.topic}[{tp.partition}]", None)
            return
        end = consumer.highwater(tp)
        if end is not None:
            self.stats.lag[f"{tp.topic}[{tp.partition}]"] = max(0, end - next_offset)

    # -- processing ------------------------------------------------------------------
    def _concerns(self, event: CloudEvent | PoisonEvent) -> bool:
        """Whether this consumer keeps any record of ``event``. Events of an aggregate kind
        it handles no type of (e.g. patents, for a consumer of listings) are passed over
        without a write: no position is kept for them, so none can show a gap."""
        return not isinstance(event, CloudEvent) or aggregate_kind(event.type) in self._aggregates

    def _passed_over(self, record: ConsumerRecord) -> bool:
        """Whether the relay's type header shows, before any parsing, that this consumer
        keeps no record of the event (see ``_concerns``)."""
        for k, v in record.headers or ():
            if k == TYPE_HEADER:
                parts = v.decode(errors="replace").split(".")
                # Only a well-formed type decides; anything else is read (and judged) in full.
                return len(parts) == 4 and parts[0] == "psm" and parts[1] not in self._aggregates
        return False

    async def _process(self, records: list[ConsumerRecord]) -> None:
        relevant = [r for r in records if not self._passed_over(r)]
        self.stats.ignored += len(records) - len(relevant)
        records = relevant
        if not records:
            return
        decoded = [self._decode(r.value) for r in records]
        kept = [(r, d) for r, d in zip(records, decoded) if self._concerns(d)]
        self.stats.ignored += len(records) - len(kept)
        if not kept:
            return
        records, decoded = [r for r, _ in kept], [d for _, d in kept]
        if all(not isinstance(d, PoisonEvent) for d in decoded):
            before = dataclasses.replace(self.stats)
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await self._apply_all(conn, list(zip(records, decoded)))
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — replayed one by one below, where errors are handled
                # Counters of a rolled-back batch would count its events twice.
                self.stats.applied, self.stats.ignored = before.applied, before.ignored
                self.stats.dead_lettered = before.dead_lettered
                log.debug("%s: batch failed, replaying one event at a time", self.sub.name, exc_info=True)
        for record, event in zip(records, decoded):
            await self._process_one(record, event)

    def _decode(self, raw: bytes | str | None) -> CloudEvent | PoisonEvent:
        parsed = PARSED.parse(raw or b"")
        if isinstance(parsed, MalformedEvent):
            return PoisonEvent(f"MalformedEvent: {parsed}")
        event = parsed
        try:
            if event.type not in self.sub.handlers:
                payload_model(event.type)  # unknown to the whole system → poison
            else:
                event.payload()
            return event
        except (UnknownEventType, ValidationError) as e:
            return PoisonEvent(f"{type(e).__name__}: {e}", event)

    async def _process_one(self, record: ConsumerRecord, event: CloudEvent | PoisonEvent) -> None:
        if isinstance(event, PoisonEvent):
            if event.event is None:
                # No subject to place it by: nothing to record, only to keep.
                await self._dead_letter(record.topic, record.value, record.key, str(event), _origin(record))
                return
            async with self.pool.acquire() as conn, conn.transaction():
                await self._apply(conn, record, event.event, failure=str(event))
            return
        error: BaseException | None = None
        for attempt in range(self.sub.max_attempts):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await self._apply(conn, record, event)
                return
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 — retried, then dead-lettered: never swallowed
                error = e
                log.warning("%s: %s %s (attempt %d/%d) failed: %r", self.sub.name, event.type, event.id,
                            attempt + 1, self.sub.max_attempts, e)
                await asyncio.sleep(self.sub.retry_base_s * (2**attempt))
        async with self.pool.acquire() as conn, conn.transaction():
            await self._apply(conn, record, event, failure=f"{type(error).__name__}: {error}")

    async def _apply(self, conn: asyncpg.Connection, record: ConsumerRecord, event: CloudEvent,
                     *, failure: str | None = None) -> None:
        """Apply ``event`` in its aggregate's order, or dead-letter it there if ``failure``."""
        await self._apply_all(conn, [(record, event)], failure=failure)

    async def _apply_all(self, conn: asyncpg.Connection, items: Sequence[tuple[ConsumerRecord, CloudEvent]],
                         *, failure: str | None = None) -> None:
        """Apply events (in arrival order) inside ``conn``'s transaction.

        Set-based: one statement records every id in processed_events, reads (and
        locks) the positions and looks for parked events; one writes the new
        positions; only the handlers run per event. The rules are the module's:
        a known id or an old sequence is ignored, one ahead of its predecessor is
        parked, the next one is applied and releases what was parked behind it.
        """
        name = self.sub.name
        subjects = sorted({e.subject for _, e in items})
        # One round trip for the three reads a batch starts with (the batch holds its
        # transaction, and so its locks, for every round trip it makes): see open_batch_sql.
        # Only events this consumer has a handler for are recorded: the others have no
        # effect to repeat, and their order is kept by the positions alone (a row per
        # event and consumer group was most of the table, and of its writes).
        handled = [e.id for _, e in items if e.type in self.sub.handlers]
        fresh: set[str] = {e.id for _, e in items if e.type not in self.sub.handlers}
        positions: dict[str, int] = {}
        parked: set[tuple[str, int]] = set()
        for kind, key, number in await conn.fetch(
            self._open_batch, name, handled, subjects,
        ):
            if kind == "f":
                fresh.add(key)
            elif kind == "p":
                positions[key] = number
            else:
                parked.add((key, number))
        moved: dict[str, int] = {}
        staged: list[tuple[CloudEvent, EventPayload]] = []  # for on_batch, applied before the positions move
        for record, event in items:
            if event.id not in fresh:  # seen before (or earlier in this very batch)
                self.stats.ignored += 1
                continue
            fresh.discard(event.id)
            last = positions.get(event.subject, 0)
            if event.sequence <= last:
                self.stats.ignored += 1
                continue
            if event.sequence > last + 1:
                # Ahead of its predecessor: wait for it (see module docstring). A poison
                # event waits too, and is dead-lettered when it is drained.
                await conn.execute(
                    f"INSERT INTO {self._schema}.parked_events (consumer, subject, sequence, event) "
                    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    name, event.subject, event.sequence, event.as_dict(),
                )
                parked.add((event.subject, event.sequence))
                log.warning("%s: %s seq %d parked, waiting for seq %d", name, event.subject, event.sequence,
                            last + 1)
                continue
            if failure is None:
                await self._run_handler(conn, event, staged)
            else:
                # Sent inside the transaction that records it as handled: a crash in
                # between sends it again (a duplicate in the DLQ), never loses it.
                await self._dead_letter(record.topic, record.value, record.key, failure, _origin(record))
            last = event.sequence
            if (event.subject, last + 1) in parked:
                # What is staged goes first: a parked event runs on its own (in a
                # savepoint), after everything before it in its aggregate.
                await self._apply_staged(conn, staged)
                last = await self._drain_parked(conn, record.topic, event.subject, last)
                parked = {p for p in parked if p[0] != event.subject or p[1] > last}
            positions[event.subject] = moved[event.subject] = last
        await self._apply_staged(conn, staged)
        if moved:
            await conn.execute(
                f"INSERT INTO {self._schema}.consumer_positions (consumer, subject, last_sequence) "
                "SELECT $1, unnest($2::text[]), unnest($3::integer[]) "
                "ON CONFLICT (consumer, subject) DO UPDATE SET last_sequence = EXCLUDED.last_sequence",
                name, list(moved), list(moved.values()),
            )

    async def _drain_parked(self, conn: asyncpg.Connection, topic: str, subject: str, sequence: int) -> int:
        """Apply what was parked behind ``sequence``, in order, each on its own; return
        the last sequence now applied.

        Each parked event runs in a savepoint with the subscription's retries: one
        that still fails is dead-lettered by itself, and neither the predecessor
        that released it nor the events behind it lose their effect.
        """
        while True:
            raw = await conn.fetchval(
                f"DELETE FROM {self._schema}.parked_events WHERE consumer = $1 AND subject = $2 AND sequence = $3 "
                "RETURNING event::text",
                self.sub.name, subject, sequence + 1,
            )
            if raw is None:
                return sequence
            sequence += 1
            event = self._decode(raw)
            failure = str(event) if isinstance(event, PoisonEvent) else await self._run_parked(conn, event)
            if failure is not None:
                await self._dead_letter(topic, raw.encode(), subject.encode(), failure,
                                        [("content-type", CONTENT_TYPE.encode()), ("psm-parked", b"true")])

    async def _run_parked(self, conn: asyncpg.Connection, event: CloudEvent) -> str | None:
        """Run a parked event's handler with retries; the last error, or None if it succeeded."""
        error: BaseException | None = None
        for attempt in range(self.sub.max_attempts):
            try:
                async with conn.transaction():  # a savepoint: a failure undoes this event only
                    await self._run_handler(conn, event)
                return None
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 — retried, then dead-lettered by the caller
                error = e
                log.warning("%s: parked %s %s (attempt %d/%d) failed: %r", self.sub.name, event.type, event.id,
                            attempt + 1, self.sub.max_attempts, e)
                await asyncio.sleep(self.sub.retry_base_s * (2**attempt))
        return f"{type(error).__name__}: {error}"

    async def _run_handler(self, conn: asyncpg.Connection, event: CloudEvent,
                           staged: list[tuple[CloudEvent, EventPayload]] | None = None) -> None:
        """Run ``event``'s handler; a BATCHED one is appended to ``staged`` (applied by
        ``_apply_staged``), or applied alone when there is no batch (a parked event)."""
        handler = self.sub.handlers.get(event.type)
        if handler is None:
            self.stats.ignored += 1
            return
        if handler is BATCHED and staged is not None:
            staged.append((event, event.payload()))
        elif handler is BATCHED:
            await self._apply_staged(conn, [(event, event.payload())])
        else:
            if staged:  # what arrived before this event is applied before it (arrival order)
                await self._apply_staged(conn, staged)
            with traced(event.traceparent):  # what the handler records continues the event's trace
                await handler(conn, event, event.payload())
        self.stats.applied += 1

    async def _apply_staged(self, conn: asyncpg.Connection, staged: list[tuple[CloudEvent, EventPayload]]) -> None:
        if not staged:
            return
        assert self.sub.on_batch is not None  # Subscription.__post_init__
        await self.sub.on_batch(conn, list(staged))
        staged.clear()

    async def _dead_letter(self, topic: str, value: bytes | None, key: bytes | None, error: str,
                           origin: list[tuple[str, bytes]]) -> None:
        headers = origin + [("psm-error", error[:4000].encode()), ("psm-consumer", self.sub.name.encode()),
                            ("psm-original-topic", topic.encode())]
        await self.producer.send_and_wait(dlq(topic), value=value, key=key, headers=headers)
        self.stats.dead_lettered += 1
        log.error("%s: dead-lettered a message of %s: %s", self.sub.name, topic, error)


def _origin(record: ConsumerRecord) -> list[tuple[str, bytes]]:
    return list(record.headers or []) + [("psm-original-partition", str(record.partition).encode()),
                                         ("psm-original-offset", str(record.offset).encode())]


def aggregate_kind(event_type: str) -> str:
    """``psm.listing.published.v1`` → ``listing``."""
    return event_type.split(".")[1]


def dlq_error(record: ConsumerRecord) -> str | None:
    for k, v in record.headers or []:
        if k == "psm-error":
            return v.decode()
    return None


def open_batch_sql(schema: str) -> str:
    """The statement a consumer's batch opens with ($1 the consumer, $2 the ids of the events
    it handles, $3 the batch's subjects in sorted order): the ids not seen before (recorded
    now, kind ``f``), the subjects' positions (locked, kind ``p``), what is parked (``k``).

    Each subject's position is looked up by its key, one probe each, in the order of $3 —
    so every batch locks in one order, whatever the table's statistics. It was
    ``subject = ANY($3)``: a prepared statement's generic plan on a table without
    statistics yet (a new database, a bulk import) filtered every position of the group
    against the whole array, row by row — 80–125 ms a batch at 50k positions
    (bench/PROFILE.md, session 9).
    """
    return f"""WITH fresh AS (
            INSERT INTO {schema}.processed_events (consumer, event_id) SELECT $1, unnest($2::uuid[])
            ON CONFLICT DO NOTHING RETURNING event_id::text),
        positions AS (
            SELECT b.subject, p.last_sequence FROM unnest($3::text[]) AS b(subject)
            CROSS JOIN LATERAL (SELECT last_sequence FROM {schema}.consumer_positions
                                WHERE consumer = $1 AND subject = b.subject FOR UPDATE) AS p)
        SELECT 'f' AS kind, event_id AS key, NULL::integer AS number FROM fresh
        UNION ALL SELECT 'p', subject, last_sequence FROM positions
        UNION ALL SELECT 'k', k.subject, k.sequence FROM {schema}.parked_events k
                  JOIN unnest($3::text[]) AS s(subject) USING (subject) WHERE k.consumer = $1"""
