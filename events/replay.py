"""Reading a topic from its beginning to its current end, for a read model rebuilt from
the events (the catalogue, the statistics)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from events.clients import start_safely, stop_safely


async def replay_topic(bootstrap: str, topic: str, group_id: str,
                       apply: Callable[[list[bytes | None]], Awaitable[object]],
                       say: Callable[[str], None] = lambda _m: None, batch: int = 2000) -> int:
    """Read ``topic`` (its physical name) from its beginning up to the end offsets read at
    the start, through ``apply`` (raw values, batch by batch); return how many were read.

    Reads with its own consumer group (its committed offsets show progress to Kafka
    tools). It does not go through the consumer framework's ordering: a rebuild applies
    snapshots or idempotent facts, and a topic whose oldest events were compacted or
    expired cannot hold it up waiting for a predecessor.
    """
    partitions = await topic_partitions(bootstrap, topic)
    if not partitions:
        return 0
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
                                auto_offset_reset="earliest", isolation_level="read_committed",
                                max_poll_records=batch)
    replayed = 0
    try:
        await start_safely(consumer)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        say(f"replaying {topic} up to offsets {[end[tp] for tp in tps]}")
        remaining = {tp for tp in tps if await consumer.position(tp) < end[tp]}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                values = [r.value for r in records if r.offset < end[tp]]
                await apply(values)
                replayed += len(values)
                await consumer.commit({tp: records[-1].offset + 1})
            remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
        return replayed
    finally:
        await stop_safely(consumer)


async def topic_partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [p["partition"] for p in described["partitions"]]
