"""The read-your-writes barrier and the consumers of its own process: what they committed
here is known without asking Kafka, what they hold is waited for on their next commit,
and only what another process holds is asked of the group's coordinator."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from events.consistency import ConsumerBarrier
from events.topics import all_topics
from services.runtime.settings import Settings

GROUP = "barrier-here"
# How long Kafka may take to say what its topics hold (the first question about a topic also
# fetches its metadata): on a loaded runner that exceeded the 0.3-s bound that a "lagging"
# is asserted with, and the reading was "unreachable" (seen once in a full run).
REACH_S = 5.0


async def _barrier(settings: Settings, topic: str, **kw) -> ConsumerBarrier:
    barrier = ConsumerBarrier(settings.kafka_bootstrap, {f"{settings.topic_prefix}{GROUP}": [topic]}, **kw)
    await barrier.start()
    return barrier


async def _fill(producer: AIOKafkaProducer, topic: str, n: int) -> TopicPartition:
    for i in range(n):
        await producer.send_and_wait(topic, f"e{i}".encode(), partition=0)
    return TopicPartition(topic, 0)


async def test_a_partition_committed_here_needs_no_answer_from_the_coordinator(
        settings: Settings, topics: str, producer: AIOKafkaProducer) -> None:
    """The group has committed nothing on Kafka: only the process's own word can make it
    caught up — so a ``caught_up`` here shows the local commit was used, and ``lagging``
    before it shows the barrier does not take a holder's presence for a commit."""
    topic = all_topics(topics)[0]
    tp = await _fill(producer, topic, 3)
    barrier = await _barrier(settings, topic)
    group = f"{settings.topic_prefix}{GROUP}"
    try:
        release = barrier.hold(group, lambda: {tp, TopicPartition(topic, 1)})
        assert (await barrier.wait([group], 0.3, reach_timeout=REACH_S)).state == "lagging"
        barrier.committed_here(group, {tp: 2})  # one short of the end
        assert (await barrier.wait([group], 0.3, reach_timeout=REACH_S)).state == "lagging"
        barrier.committed_here(group, {tp: 3})
        asked = time.monotonic()
        reading = await barrier.wait([group], 1.0)
        answered = time.monotonic()
        assert reading.state == "caught_up"
        # Committed before the question: the horizon is the question itself ...
        assert asked <= reading.horizon <= answered
        # ... so a second round from it takes the same ends: an event published after the
        # first round (neither on Kafka when the request came nor derived from what was)
        # is not waited for. A fresh question would wait for it and lag.
        await _fill(producer, topic, 1)
        assert (await barrier.wait([group], 0.3, since=reading.horizon, reach_timeout=REACH_S)).state == "caught_up"
        assert (await barrier.wait([group], 0.3, reach_timeout=REACH_S)).state == "lagging"
        release()
        assert (await barrier.wait([group], 0.3, reach_timeout=REACH_S)).state == "lagging"  # released: asked of Kafka, which has nothing
    finally:
        await barrier.stop()


async def test_a_waiter_on_a_held_partition_wakes_at_its_commit(
        settings: Settings, topics: str, producer: AIOKafkaProducer) -> None:
    """The held partition is waited for on the next commit here; the held re-check period is
    set far beyond the test's bound, so only the commit's signal can end the wait in time."""
    topic = all_topics(topics)[0]
    tp = await _fill(producer, topic, 2)
    barrier = await _barrier(settings, topic, held_poll_s=30.0)
    group = f"{settings.topic_prefix}{GROUP}"
    try:
        barrier.hold(group, lambda: {tp, TopicPartition(topic, 1)})
        waiting = asyncio.create_task(barrier.wait([group], 10.0))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        barrier.committed_here(group, {tp: 2})
        async with asyncio.timeout(5):
            reading = await waiting
        assert reading.state == "caught_up"
        assert reading.horizon >= time.monotonic() - 5  # the commit came after the question
    finally:
        await barrier.stop()


async def test_a_partition_held_elsewhere_is_asked_of_the_coordinator(
        settings: Settings, topics: str, producer: AIOKafkaProducer) -> None:
    """Nothing is held or committed here; another member of the group (a replica) commits
    on Kafka: the barrier must see that commit through the coordinator."""
    topic = all_topics(topics)[0]
    tp = await _fill(producer, topic, 4)
    barrier = await _barrier(settings, topic)
    group = f"{settings.topic_prefix}{GROUP}"
    other = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    await other.start()
    try:
        assert (await barrier.wait([group], 0.3, reach_timeout=REACH_S)).state == "lagging"
        other.assign([tp])
        await other.commit({tp: 4})
        assert (await barrier.wait([group], 5.0)).state == "caught_up"
        # A stale word of this process (below the end) does not stand in the way.
        barrier.committed_here(group, {tp: 1})
        assert (await barrier.wait([group], 5.0)).state == "caught_up"
    finally:
        await other.stop()
        await barrier.stop()


async def test_a_partition_just_held_here_is_caught_up_by_what_the_group_committed_before(
        settings: Settings, topics: str, producer: AIOKafkaProducer) -> None:
    """A consumer that has just joined holds a partition whose every event an earlier member
    applied and committed; nothing new arrives, so it commits nothing. A read must not wait
    for a commit that will not come (it waited out the whole bound after every restart of
    ``make run``): the group's commit on Kafka answers for it. The held re-check period is far
    beyond the bound, so only that answer can end the wait in time."""
    topic = all_topics(topics)[0]
    tp = await _fill(producer, topic, 3)
    group = f"{settings.topic_prefix}{GROUP}"
    earlier = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    await earlier.start()
    try:
        earlier.assign([tp])
        await earlier.commit({tp: 3})
    finally:
        await earlier.stop()
    barrier = await _barrier(settings, topic, held_poll_s=30.0)
    try:
        barrier.hold(group, lambda: {tp, TopicPartition(topic, 1)})
        assert (await barrier.wait([group], 3.0)).state == "caught_up"
        # Known here from then on: a new event is waited for on this process's commit.
        await _fill(producer, topic, 1)
        waiting = asyncio.create_task(barrier.wait([group], 10.0))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        barrier.committed_here(group, {tp: 4})
        async with asyncio.timeout(5):
            assert (await waiting).state == "caught_up"
    finally:
        await barrier.stop()
