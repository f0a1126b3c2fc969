"""Kafka topics: one per bounded context, key = aggregate id, plus a ``.dlq`` each."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    PLATFORM = "psm.platform"
    LISTINGS = "psm.listings"
    LICENCES = "psm.licences"
    AUCTIONS = "psm.auctions"
    ROADSHOWS = "psm.roadshows"
    DISTRIBUTION = "psm.distribution"
    FINANCING = "psm.financing"  # pledges (the financing context); the register reads it


DLQ_SUFFIX = ".dlq"
PARTITIONS = 6


def physical(topic: str, prefix: str) -> str:
    """The topic's name on the broker: a deployment (or a test) may namespace them."""
    return f"{prefix}{topic}"


def dlq(topic: str) -> str:
    return topic + DLQ_SUFFIX


def all_topics(prefix: str = "") -> list[str]:
    names = [physical(t.value, prefix) for t in Topic]
    return names + [dlq(n) for n in names]


async def ensure_topics(bootstrap: str, prefix: str = "", partitions: int = PARTITIONS) -> list[str]:
    """Create every topic (and its DLQ) that is missing; return the ones created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in all_topics(prefix) if t not in existing]
        if missing:
            try:
                # Kept for ever: the catalogue (and any read model) is rebuilt by replaying
                # a topic from its beginning, so nothing may age out of it.
                await admin.create_topics([NewTopic(t, partitions, 1, topic_configs={"retention.ms": "-1"})
                                           for t in missing])
            except TopicAlreadyExistsError:
                pass  # another process created it first: what we wanted
        return missing
    finally:
        await admin.close()
