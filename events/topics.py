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
    DEALS = "psm.deals"  # negotiated deals and transaction certificates


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


async def ensure_topics(bootstrap: str, prefix: str = "", partitions: int = PARTITIONS,
                        leaders_within_s: float = 30.0) -> list[str]:
    """Create every topic (and its DLQ) that is missing; return the ones created.

    Returns only when every partition of every topic has a leader: a consumer started on a
    partition still electing one gets NotLeaderForPartition, which aiokafka logs as an error
    on every retry, so a fresh deployment would start with a screenful of false alarms.
    """
    import asyncio

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
        deadline = asyncio.get_running_loop().time() + leaders_within_s
        while (waiting := leaderless(await admin.describe_topics(all_topics(prefix)))):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"Kafka elected no leader within {leaders_within_s:.0f} s for {waiting[:3]}")
            await asyncio.sleep(0.1)
        return missing
    finally:
        await admin.close()


def leaderless(described: list[dict]) -> list[str]:
    """The topics (from a metadata answer) that are missing or have a partition without a leader."""
    return [t["topic"] for t in described
            if t["error_code"] != 0 or not t["partitions"]
            or any(p["leader"] < 0 or p["error_code"] != 0 for p in t["partitions"])]
