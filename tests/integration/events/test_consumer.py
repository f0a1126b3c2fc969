"""EventConsumer against the real Kafka and PostgreSQL: exactly one effect per event,
in aggregate order, and poison goes to the DLQ without stopping the line."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from event_harness import (SCHEMA, SOURCE, ThingHappened, create_effects_table, effects, eventually, record_effect,
                           running, subscription, thing)
from events.consumer import BATCHED, EventConsumer, Subscription, dlq_error, latest_by_subject
from events.envelope import CloudEvent
from events.registry import EventPayload, event_type
from events.topics import Topic, dlq, physical
from services.runtime.settings import Settings

pytestmark = pytest.mark.stack


@pytest.fixture
async def effect_table(pool: asyncpg.Pool) -> asyncpg.Pool:
    await create_effects_table(pool)
    return pool


@pytest.fixture
def send(settings: Settings, topics: str, producer: AIOKafkaProducer):
    """Put raw bytes (or an event) on the test's ``psm.listings``, keyed like the relay does."""

    async def send(value: CloudEvent | bytes, key: str = "agg-1") -> None:
        if isinstance(value, CloudEvent):
            value, key = value.to_json(), value.subject
        await producer.send_and_wait(physical(Topic.LISTINGS.value, topics), value=value, key=key.encode())

    return send


def consumer_for(settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer, sub: Subscription | None = None,
                 **options) -> EventConsumer:
    return EventConsumer(sub or subscription(), pool=pool, kafka_bootstrap=settings.kafka_bootstrap,
                         topic_prefix=settings.topic_prefix, producer=producer, **options)


@contextlib.asynccontextmanager
async def consuming(settings, pool, producer, sub=None, **options) -> AsyncIterator[EventConsumer]:
    c = consumer_for(settings, pool, producer, sub, **options)
    async with running(c, f"consumer-{c.sub.name}"):
        yield c


async def wait_for_effects(pool: asyncpg.Pool, n: int) -> list[tuple[str, int]]:
    async def enough() -> bool:
        return len(await effects(pool)) >= n

    await eventually(enough, what=f"{n} effects")
    return await effects(pool)


async def dead_letters(settings: Settings, n: int) -> list:
    """The first ``n`` records of the DLQ of ``psm.listings``."""
    reader = AIOKafkaConsumer(dlq(physical(Topic.LISTINGS.value, settings.topic_prefix)),
                              bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
                              enable_auto_commit=False)
    await reader.start()
    got: list = []
    try:
        async with asyncio.timeout(30):
            while len(got) < n:
                for records in (await reader.getmany(timeout_ms=200)).values():
                    got.extend(records)
    finally:
        await reader.stop()
    return got


async def test_a_handler_that_fails_twice_then_succeeds_has_exactly_one_effect(settings, effect_table, producer, send):
    calls = Counter()

    async def flaky(conn, event, payload):
        calls[event.id] += 1
        if calls[event.id] <= 2:
            raise ConnectionError("transient")
        await record_effect(conn, event, payload)

    event = thing("agg-1", 1)
    async with consuming(settings, effect_table, producer, subscription(handler=flaky)) as c:
        await send(event)
        assert await wait_for_effects(effect_table, 1) == [("agg-1", 1)]
        await send(thing("agg-1", 2))
        await wait_for_effects(effect_table, 2)
    assert calls[event.id] == 3
    assert await effects(effect_table) == [("agg-1", 1), ("agg-1", 2)]
    assert c.stats.dead_lettered == 0


@pytest.mark.parametrize("poison, reason", [
    (b"\xff not json at all", "MalformedEvent"),
    (CloudEvent(source=SOURCE, type="psm.nobody.knows.v1", subject="agg-p", sequence=1, data={}), "UnknownEventType"),
    (CloudEvent(source=SOURCE, type=ThingHappened.TYPE, subject="agg-p", sequence=1, data={"n": "many"}),
     "ValidationError"),
    (thing("agg-p", 1, fail=True), "RuntimeError"),
], ids=["garbage-bytes", "unknown-type", "invalid-data", "handler-always-fails"])
async def test_a_poison_event_goes_to_the_dlq_and_the_consumer_goes_on(settings, effect_table, producer, send,
                                                                        poison, reason):
    # A readable poison event still holds its place in its aggregate's history, so the
    # aggregate's next event (sequence 2) must not wait for it for ever; unreadable
    # bytes have no place, and the aggregate starts at 1.
    next_sequence = 1 if isinstance(poison, bytes) else 2
    async with consuming(settings, effect_table, producer, subscription(max_attempts=3)) as c:
        await send(poison, key="agg-p")
        await send(thing("agg-q", 1))
        await send(thing("agg-p", next_sequence))
        applied = await wait_for_effects(effect_table, 2)
    assert sorted(applied) == [("agg-p", next_sequence), ("agg-q", 1)]
    [dead] = await dead_letters(settings, 1)
    assert dead.value == (poison if isinstance(poison, bytes) else poison.to_json())
    assert reason in dlq_error(dead)
    assert dict(dead.headers)["psm-original-topic"] == physical(Topic.LISTINGS.value, settings.topic_prefix).encode()
    assert c.stats.dead_lettered == 1


async def test_a_redelivered_event_has_no_second_effect(settings, effect_table, producer, send):
    event = thing("agg-1", 1)
    async with consuming(settings, effect_table, producer) as c:
        await send(event)
        await wait_for_effects(effect_table, 1)
        await send(event)  # the relay sending again after a failed round looks like this
        await send(thing("agg-1", 2))
        await wait_for_effects(effect_table, 2)
    assert await effects(effect_table) == [("agg-1", 1), ("agg-1", 2)]
    assert c.stats.ignored == 1


async def test_replaying_the_whole_topic_in_a_new_consumer_group_has_no_second_effect(settings, effect_table,
                                                                                      producer, send):
    for s in range(1, 6):
        await send(thing("agg-1", s))
    async with consuming(settings, effect_table, producer):
        await wait_for_effects(effect_table, 5)
    # Same consumer, offsets lost (a new group reads from the start): the
    # processed-events table, not the offsets, is what makes the effect happen once.
    async with consuming(settings, effect_table, producer, group_prefix="replay.") as again:
        await eventually(lambda: _ignored(again, 5), what="the replay to reach the end")
    assert len(await effects(effect_table)) == 5
    assert again.stats.applied == 0


async def _ignored(consumer: EventConsumer, n: int) -> bool:
    return consumer.stats.ignored >= n


async def test_a_stale_or_repeated_sequence_is_ignored(settings, effect_table, producer, send):
    async with consuming(settings, effect_table, producer) as c:
        await send(thing("agg-1", 1))
        await send(thing("agg-1", 2))
        await wait_for_effects(effect_table, 2)
        await send(thing("agg-1", 1, n=99))  # another event id claiming an old place
        await send(thing("agg-1", 2, n=99))
        await send(thing("agg-1", 3))
        await wait_for_effects(effect_table, 3)
    assert await effects(effect_table) == [("agg-1", 1), ("agg-1", 2), ("agg-1", 3)]
    assert c.stats.ignored == 2


async def parked(pool: asyncpg.Pool) -> list[int]:
    return [r["sequence"] for r in await pool.fetch(f'SELECT sequence FROM "{SCHEMA}".parked_events ORDER BY sequence')]


async def test_an_event_ahead_of_its_predecessor_is_parked_then_applied_right_after_it(settings, effect_table,
                                                                                       producer, send):
    async with consuming(settings, effect_table, producer):
        await send(thing("agg-1", 3))
        await send(thing("agg-1", 2))
        await eventually(lambda: _parked_are(effect_table, [2, 3]), what="sequences 2 and 3 parked")
        assert await effects(effect_table) == []
        await send(thing("agg-1", 1))
        await wait_for_effects(effect_table, 3)
    assert await effects(effect_table) == [("agg-1", 1), ("agg-1", 2), ("agg-1", 3)]
    assert await parked(effect_table) == []


async def _parked_are(pool: asyncpg.Pool, sequences: list[int]) -> bool:
    return await parked(pool) == sequences


async def test_a_parked_event_whose_handler_always_fails_is_dead_lettered_alone(settings, effect_table, producer,
                                                                                send):
    bad = thing("agg-1", 2, fail=True)
    async with consuming(settings, effect_table, producer, subscription(max_attempts=2)) as c:
        await send(bad)
        await eventually(lambda: _parked_are(effect_table, [2]), what="sequence 2 parked")
        await send(thing("agg-1", 1))
        await send(thing("agg-1", 3))
        applied = await wait_for_effects(effect_table, 2)
    # Its predecessor keeps its effect, and the aggregate goes on after it.
    assert applied == [("agg-1", 1), ("agg-1", 3)]
    [dead] = await dead_letters(settings, 1)
    assert CloudEvent.from_json(dead.value).id == bad.id
    assert "RuntimeError" in dlq_error(dead)
    assert c.stats.dead_lettered == 1


async def test_the_consumer_stops_cleanly_when_cancelled(settings, effect_table, producer, send):
    consumer = consumer_for(settings, effect_table, producer)
    task = asyncio.create_task(consumer.run(), name="consumer-things")
    await send(thing("agg-1", 1))
    await wait_for_effects(effect_table, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # No Kafka client or task is left behind (the autouse fixture checks the tasks),
    # and a later consumer of the same group starts where this one committed.
    async with consuming(settings, effect_table, producer) as again:
        await send(thing("agg-1", 2))
        await wait_for_effects(effect_table, 2)
    assert again.stats.ignored == 0


async def test_the_type_header_lets_a_consumer_pass_over_other_kinds_without_reading_them(settings, effect_table,
                                                                                         topics, producer):
    """The relay names each event's type in a header: a consumer skips kinds it does not
    handle unread; a kind it handles (or a header it cannot judge) is read and judged."""
    topic = physical(Topic.LISTINGS.value, settings.topic_prefix)

    async def raw(value: bytes, key: str, event_type: str) -> None:
        await producer.send_and_wait(topic, value=value, key=key.encode(),
                                     headers=[("psm-event-type", event_type.encode())])

    async with consuming(settings, effect_table, producer) as c:
        await raw(b"not even json", "other-1", "psm.listing.published.v1")  # another kind: passed over unread
        await raw(b"{broken", "agg-h", "psm.testagg.happened.v1")  # this consumer's kind: read, dead-lettered
        await raw(b"{broken too", "agg-h", "nonsense")  # a header that decides nothing: read, dead-lettered
        await raw(thing("agg-1", 1).to_json(), "agg-1", "psm.testagg.happened.v1")
        await wait_for_effects(effect_table, 1)
        dead = await dead_letters(settings, 2)
    assert await effects(effect_table) == [("agg-1", 1)]
    assert sorted(d.value for d in dead) == [b"{broken", b"{broken too"]
    assert c.stats.dead_lettered == 2 and c.stats.ignored >= 1


def batched_subscription(calls: list[list[tuple[str, int]]], **options) -> Subscription:
    """A subscription applying its events with on_batch: each call's (subject, sequence)s
    are noted, and recorded as effects in the consumer's transaction."""

    async def on_batch(conn: asyncpg.Connection, events) -> None:
        calls.append([(e.subject, e.sequence) for e, _ in events])
        for event, payload in events:
            await record_effect(conn, event, payload)

    return Subscription(name="batched", schema=SCHEMA, topics=[Topic.LISTINGS], handlers={ThingHappened.TYPE: BATCHED},
                        on_batch=on_batch, **{"retry_base_s": 0.01, **options})


async def test_batched_events_are_applied_together_in_their_order_and_once(settings, effect_table, producer, send):
    """Thirty events sent before the consumer starts arrive in one fetch: one on_batch call
    for all of them (the catalogue's one write per auction instead of one per bid), in
    aggregate order; sent again, they have no second effect."""
    calls: list[list[tuple[str, int]]] = []
    events = [thing(f"agg-{n % 3}", n // 3 + 1) for n in range(30)]
    for e in events:
        await send(e)
    async with consuming(settings, effect_table, producer, batched_subscription(calls)) as c:
        applied = await wait_for_effects(effect_table, 30)
        for e in events[:5]:
            await send(e)  # duplicates
        await eventually(lambda: _ignored(c, 5), what="the duplicates ignored")
    for subject in ("agg-0", "agg-1", "agg-2"):
        assert [seq for s, seq in applied if s == subject] == list(range(1, 11))
    # A fetch is one transaction, but the two partitions' records may come in two fetches
    # (each partition's answer from the broker on its own): at most one call each.
    assert len([call for call in calls if call]) <= 2, calls
    assert sorted(x for call in calls for x in call) == sorted((e.subject, e.sequence) for e in events)


async def test_a_batch_that_fails_is_applied_one_event_at_a_time_and_a_parked_event_alone(settings, effect_table,
                                                                                           producer, send):
    """A failing event in a batch rolls it back; replayed one at a time, the others keep
    exactly one effect each and the failing one is dead-lettered. An event that was parked
    runs after what was staged before it, on its own."""
    calls: list[list[tuple[str, int]]] = []
    async with consuming(settings, effect_table, producer, batched_subscription(calls, max_attempts=2)) as c:
        await send(thing("agg-1", 3))
        await eventually(lambda: _parked_are(effect_table, [3]), what="sequence 3 parked")
        for e in (thing("agg-1", 1), thing("agg-1", 2), thing("agg-2", 1, fail=True), thing("agg-2", 2)):
            await send(e)
        applied = await wait_for_effects(effect_table, 4)
        await eventually(lambda: _dead(c, 1), what="the failing event dead-lettered")
    assert sorted(applied) == [("agg-1", 1), ("agg-1", 2), ("agg-1", 3), ("agg-2", 2)]
    assert [s for s in applied if s[0] == "agg-1"] == [("agg-1", 1), ("agg-1", 2), ("agg-1", 3)]
    assert [("agg-1", 3)] in calls  # the parked event, alone
    assert await parked(effect_table) == []


async def _dead(consumer: EventConsumer, n: int) -> bool:
    return consumer.stats.dead_lettered >= n


@event_type("psm.testagg.noted.v1", Topic.LISTINGS)
class ThingNoted(EventPayload):
    """An event of the test aggregate that the test subscriptions have no handler for."""

    n: int


async def test_staged_events_are_applied_before_a_later_event_of_another_handler(settings, effect_table, producer,
                                                                                  send):
    """Batched and one-by-one handlers in one subscription keep arrival order: what was
    staged is applied before the next non-batched event runs (a patent's registration,
    staged, is upserted before its transfer's handler reads and changes it)."""
    calls: list[list[tuple[str, int]]] = []

    async def noted(conn: asyncpg.Connection, event: CloudEvent, payload: ThingNoted) -> None:
        await conn.execute(f'INSERT INTO "{SCHEMA}".effects (event_id, subject, sequence) VALUES ($1, $2, $3)',
                           event.id, event.subject, event.sequence)

    mixed = batched_subscription(calls)
    mixed = Subscription(name=mixed.name, schema=SCHEMA, topics=mixed.topics, on_batch=mixed.on_batch,
                         handlers={**mixed.handlers, ThingNoted.TYPE: noted})
    sent = [thing("agg-1", 1), thing("agg-1", 2),
            CloudEvent.of(ThingNoted(n=3), source=SOURCE, subject="agg-1", sequence=3), thing("agg-1", 4)]
    for e in sent:
        await send(e)  # before the consumer starts: one fetch
    async with consuming(settings, effect_table, producer, mixed):
        applied = await wait_for_effects(effect_table, 4)
    assert applied == [("agg-1", 1), ("agg-1", 2), ("agg-1", 3), ("agg-1", 4)]
    assert [call for call in calls if call] == [[("agg-1", 1), ("agg-1", 2)], [("agg-1", 4)]]


def test_latest_by_subject_keeps_each_aggregates_last_event():
    staged = [(thing("a", 1), "a1"), (thing("b", 1), "b1"), (thing("a", 2), "a2")]
    assert [(e.subject, e.sequence, p) for e, p in latest_by_subject(staged)] == [("a", 2, "a2"), ("b", 1, "b1")]


async def test_an_event_without_a_handler_moves_its_aggregate_on_without_a_processed_row(settings, effect_table,
                                                                                        producer, send):
    """Only what a consumer handles is recorded in processed_events; the rest keeps its
    aggregate's order through the position (a duplicate of it is still ignored)."""
    noted = CloudEvent.of(ThingNoted(n=1), source=SOURCE, subject="agg-1", sequence=1)
    async with consuming(settings, effect_table, producer) as c:
        await send(thing("agg-1", 2))  # ahead of the unhandled 1: parked until it comes
        await eventually(lambda: _parked_are(effect_table, [2]), what="sequence 2 parked")
        await send(noted)
        await wait_for_effects(effect_table, 1)
        await send(noted)  # again
        await send(CloudEvent.of(ThingNoted(n=3), source=SOURCE, subject="agg-1", sequence=3))
        await send(thing("agg-1", 4))
        applied = await wait_for_effects(effect_table, 2)
        assert c.stats.ignored >= 3  # the two unhandled events and the duplicate
    assert applied == [("agg-1", 2), ("agg-1", 4)]
    recorded = await effect_table.fetch(f'SELECT event_id::text FROM "{SCHEMA}".processed_events')
    assert len(recorded) == 2 and str(noted.id) not in {r["event_id"] for r in recorded}
    assert await effect_table.fetchval(f'SELECT last_sequence FROM "{SCHEMA}".consumer_positions '
                                       "WHERE subject = 'agg-1'") == 4
