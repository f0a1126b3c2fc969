"""Bounded growth (services/runtime/storage/retention.py) without reopening a duplicate
window, and restarts in the middle of large batches: nothing lost, nothing applied twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from event_harness import (SCHEMA, create_effects_table, effects, eventually, new_relay, running, subscription,
                           thing, write_concurrently)
from events.consumer import EventConsumer
from events.topics import Topic, physical
from services.runtime.settings import Settings
from services.runtime.storage.retention import Pruner, Retention

pytestmark = pytest.mark.stack

LATER = datetime.now(UTC) + timedelta(days=30)  # "now" for a pruner: everything is old enough


def pruner(pool: asyncpg.Pool, table: str, column: str, where: str = "TRUE", batch: int = 100) -> Pruner:
    return Pruner(pool, [Retention(SCHEMA, table, column, keep_s=7 * 24 * 3600, where=where)], batch=batch)


def consumer(settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer, **options) -> EventConsumer:
    return EventConsumer(subscription(), pool=pool, kafka_bootstrap=settings.kafka_bootstrap,
                         topic_prefix=settings.topic_prefix, producer=producer, **options)


async def count(pool: asyncpg.Pool, table: str) -> int:
    return await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".{table}')


async def test_pruning_processed_events_never_lets_a_redelivered_event_take_effect_twice(settings, pool, topics,
                                                                                          producer):
    await create_effects_table(pool)
    topic = physical(Topic.LISTINGS.value, settings.topic_prefix)

    async def send(event) -> None:
        await producer.send_and_wait(topic, value=event.to_json(), key=event.subject.encode())

    first = [thing("agg-1", 1), thing("agg-1", 2), thing("agg-1", 3), thing("agg-2", 1)]
    ahead = thing("agg-3", 2)  # waits (parked) for agg-3's first event
    for e in [*first, ahead]:
        await send(e)
    async with running(consumer(settings, pool, producer), "consumer"):
        await eventually(lambda: _effects_are(pool, 4), what="four effects")
        await eventually(lambda: _parked(pool, 1), what="agg-3 #2 parked")
    assert await count(pool, "processed_events") == 5

    # Every record of the ids applied goes (in batches smaller than the table)...
    deleted = await pruner(pool, "processed_events", "processed_at", batch=2).prune(now=LATER)
    assert deleted == {f"{SCHEMA}.processed_events": 5}
    assert await count(pool, "processed_events") == 0

    # ...then everything arrives again: the same events one by one, and the whole topic
    # read afresh by the same consumer whose offsets were lost (a new group).
    for e in [*first, ahead]:
        await send(e)
    again = consumer(settings, pool, producer)
    replay = consumer(settings, pool, producer, group_prefix="lost-offsets.")
    async with running(again, "consumer-again"), running(replay, "consumer-replay"):
        await send(thing("agg-3", 1))  # releases the parked #2, once
        await eventually(lambda: _effects_are(pool, 6), what="agg-3's two effects")
        await send(thing("agg-1", 4))  # a marker behind everything else on agg-1
        await eventually(lambda: _effects_are(pool, 7), what="agg-1 #4")
    got = await effects(pool)
    # Each event exactly once, each aggregate in order: the positions, which are never
    # pruned, refused every redelivery whose id record was gone.
    assert sorted(got) == sorted([("agg-1", 1), ("agg-1", 2), ("agg-1", 3), ("agg-1", 4), ("agg-2", 1),
                                  ("agg-3", 1), ("agg-3", 2)]), got
    assert [s for subj, s in got if subj == "agg-1"] == [1, 2, 3, 4]
    assert await count(pool, "parked_events") == 0


async def test_only_published_outbox_rows_are_pruned_and_the_relay_loses_nothing(settings, pool, topics):
    written = await write_concurrently(pool, writers=5, events_per_writer=40, aggregates=10)
    # Nothing is published yet: however old, no row may go.
    rule = dict(table="outbox", column="created_at", where="published_at IS NOT NULL")
    assert (await pruner(pool, **rule).prune(now=LATER)) == {f"{SCHEMA}.outbox": 0}
    assert await count(pool, "outbox") == written
    relay = new_relay(settings)
    async with running(relay, "relay"):
        await eventually(lambda: _published(pool, written), what="every row published")
    assert (await pruner(pool, **rule).prune(now=LATER)) == {f"{SCHEMA}.outbox": written}
    # The sequences go on from where they were (aggregate_sequences is not pruned), and
    # the relay publishes what comes next.
    more = await write_concurrently(pool, writers=2, events_per_writer=10, aggregates=10, seed=11)
    async with running(relay, "relay-again"):
        await eventually(lambda: _published(pool, more), what="the new rows published")
    seqs = await pool.fetch(f'SELECT subject, min(sequence) AS lo FROM "{SCHEMA}".outbox GROUP BY subject')
    assert all(r["lo"] > 1 for r in seqs), "a new row restarted an aggregate's sequence"


async def test_a_relay_and_a_consumer_restarted_mid_batch_lose_and_duplicate_nothing(settings, pool, topics, producer):
    await create_effects_table(pool)
    written = await write_concurrently(pool, writers=10, events_per_writer=1000, aggregates=50, per_transaction=100)
    relay = new_relay(settings)  # batches of 1,000 rows
    c = consumer(settings, pool, producer)  # fetches of up to 500 records, one transaction each
    async with running(relay, "relay"):
        await eventually(lambda: _sent(relay, 2500), what="2,500 events published")
    assert relay.published_total < written  # stopped with most of the outbox still to send
    async with running(relay, "relay-2"), running(c, "consumer"):
        await eventually(lambda: _effects_at_least(pool, 3000), what="3,000 effects")
    assert 0 < len(await effects(pool)) < written  # stopped in the middle of the topic
    # Both restarted: the relay from the table, the consumer from its committed offsets.
    async with running(relay, "relay-3"), running(consumer(settings, pool, producer), "consumer-2"):
        await eventually(lambda: _effects_at_least(pool, written), timeout_s=90, what=f"{written} effects")
    got = await effects(pool)
    assert len(got) == len(set(got)) == written, "an event was applied twice or never"
    by_subject: dict[str, list[int]] = {}
    for subject, sequence in got:
        by_subject.setdefault(subject, []).append(sequence)
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_subject.values())


async def _effects_are(pool, n: int) -> bool:
    return len(await effects(pool)) == n


async def _effects_at_least(pool, n: int) -> bool:
    return await count(pool, "effects") >= n


async def _parked(pool, n: int) -> bool:
    return await count(pool, "parked_events") == n


async def _published(pool, n: int) -> bool:
    return await pool.fetchval(f'SELECT count(*) FROM "{SCHEMA}".outbox WHERE published_at IS NOT NULL') >= n


async def _sent(relay, n: int) -> bool:
    return relay.published_total >= n
