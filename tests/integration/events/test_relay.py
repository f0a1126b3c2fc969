"""The outbox relay against the real PostgreSQL and Kafka: nothing lost, nothing
reordered within an aggregate, whatever restarts or commits late (DESIGN.md §11)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from event_harness import (SCHEMA, SOURCE, ThingHappened, aggregate_lengths, create_effects_table, effects,
                           eventually, new_relay, read_until, running, subscription, write_concurrently)
from events.consumer import EventConsumer
from events.outbox import Outbox
from events.relay import kafka_producer
from events.topics import ensure_topics
from services.runtime.settings import Settings

pytestmark = pytest.mark.stack

WRITERS = 50
PER_WRITER = 200  # 50 × 200 = 10,000 events
AGGREGATES = 120


async def unpublished(pool: asyncpg.Pool) -> int:
    return await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".outbox WHERE published_at IS NULL')


async def assert_all_arrived_once_in_order(settings: Settings, pool: asyncpg.Pool, expected: int) -> None:
    seen = await read_until(settings.kafka_bootstrap, settings.topic_prefix, expected)
    assert len(seen.ids) == expected, f"{expected - len(seen.ids)} events never reached Kafka"
    assert seen.out_of_order() == {}
    assert {s: len(q) for s, q in seen.by_subject.items()} == await aggregate_lengths(pool)


async def test_every_event_of_50_concurrent_writers_arrives_once_in_aggregate_order(settings, pool, relay):
    written = await write_concurrently(pool, writers=WRITERS, events_per_writer=PER_WRITER, aggregates=AGGREGATES)

    await assert_all_arrived_once_in_order(settings, pool, written)
    await eventually(lambda: _none_left(pool), what="the relay to mark every row published")


async def _none_left(pool: asyncpg.Pool) -> bool:
    return await unpublished(pool) == 0


async def test_no_event_is_lost_when_the_relay_is_restarted_twice_mid_stream(settings, pool, topics):
    relay = new_relay(settings)
    total = WRITERS * PER_WRITER
    writing = asyncio.create_task(
        write_concurrently(pool, writers=WRITERS, events_per_writer=PER_WRITER, aggregates=AGGREGATES))
    for stop_after in (total // 5, total // 2):
        async with running(relay, "relay-evt"):
            await eventually(lambda: _published(relay, stop_after), what=f"{stop_after} events published")
        # Cancelled mid-stream (possibly between sending rows and marking them): the
        # next run resumes from what the table says, not from what a process remembers.
        assert relay.published_total < total
    written = await writing
    async with running(relay, "relay-evt"):
        await assert_all_arrived_once_in_order(settings, pool, written)


async def _published(relay, n: int) -> bool:
    return relay.published_total >= n


async def test_two_relays_at_once_elect_one_leader_and_still_deliver_every_event_once_in_order(
        settings, pool, topics):
    relays = [new_relay(settings), new_relay(settings)]
    both_led = False

    async def watch() -> None:
        nonlocal both_led
        while True:
            both_led |= all(r.is_leader for r in relays)
            await asyncio.sleep(0.005)

    async with running(relays[0], "relay-evt-a"), running(relays[1], "relay-evt-b"):
        watcher = asyncio.create_task(watch())
        try:
            written = await write_concurrently(pool, writers=WRITERS, events_per_writer=PER_WRITER,
                                               aggregates=AGGREGATES)
            await assert_all_arrived_once_in_order(settings, pool, written)
        finally:
            watcher.cancel()
        assert not both_led
        assert sorted(r.published_total for r in relays) == [0, written]


async def test_an_event_whose_transaction_commits_after_a_later_one_is_still_published(settings, pool, relay):
    outbox = Outbox(SCHEMA, SOURCE)
    async with pool.acquire() as a, pool.acquire() as b:
        tx_a, tx_b = a.transaction(), b.transaction()
        await tx_a.start()
        first = await outbox.record(a, "agg-a", ThingHappened(n=1))
        await tx_b.start()
        second = await outbox.record(b, "agg-b", ThingHappened(n=2))
        ids = dict(await b.fetch(f'SELECT event_id::text, id FROM "{SCHEMA}".outbox'))
        assert ids[second.id] > await a.fetchval(f'SELECT id FROM "{SCHEMA}".outbox WHERE event_id = $1', first.id)
        await tx_b.commit()
        seen = await read_until(settings.kafka_bootstrap, settings.topic_prefix, 1)
        assert seen.ids == {second.id}
        # The relay has now published a row with a higher id than A's: one that
        # tracked "the last id seen" would skip A for ever.
        await tx_a.commit()

    seen = await read_until(settings.kafka_bootstrap, settings.topic_prefix, 2)
    assert seen.ids == {first.id, second.id}


async def test_no_event_is_lost_or_applied_twice_while_kafka_restarts_mid_stream(settings, pool, private_kafka):
    """Outbox → relay → Kafka (stopped and started mid-stream) → consumer, end to end."""
    bootstrap = private_kafka.bootstrap
    await ensure_topics(bootstrap, settings.topic_prefix, settings.topic_partitions)
    await create_effects_table(pool)
    relay = new_relay(settings, bootstrap=bootstrap)
    dlq_producer = kafka_producer(bootstrap)
    await dlq_producer.start()
    consumer = EventConsumer(subscription(), pool=pool, kafka_bootstrap=bootstrap,
                             topic_prefix=settings.topic_prefix, producer=dlq_producer)
    try:
        async with running(relay, "relay-evt"), running(consumer, "consumer-things"):
            # Writers keep committing (about 8 s in all) while the broker goes down and up.
            writing = asyncio.create_task(write_concurrently(pool, writers=20, events_per_writer=100,
                                                             aggregates=40, per_transaction=5, pause_s=0.4))
            await eventually(lambda: _published(relay, 300), what="the relay to publish before the restart")
            await private_kafka.stack("stop")
            assert not writing.done(), "the writers finished before Kafka stopped: pace them slower"
            committed_at_stop = await _committed(pool)
            await asyncio.sleep(1)
            await private_kafka.stack("start")
            # Events were committed while the broker was away: those are the ones at risk.
            assert await _committed(pool) > committed_at_stop
            written = await writing
            await eventually(lambda: _count_effects(pool, written), timeout_s=90, what="every effect")

            seen = await read_until(bootstrap, settings.topic_prefix, written)
            assert len(seen.ids) == written
            assert seen.out_of_order() == {}
    finally:
        await dlq_producer.stop()
    applied = await effects(pool)
    assert len(applied) == written
    assert _per_subject(applied) == {s: list(range(1, n + 1)) for s, n in (await aggregate_lengths(pool)).items()}
    assert consumer.stats.dead_lettered == 0


async def _committed(pool: asyncpg.Pool) -> int:
    return await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".outbox')


async def _count_effects(pool: asyncpg.Pool, n: int) -> bool:
    return await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".effects') >= n


def _per_subject(applied: list[tuple[str, int]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for subject, sequence in applied:
        out.setdefault(subject, []).append(sequence)
    return out
