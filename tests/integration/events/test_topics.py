"""Topics: every context's topic and its DLQ, kept for ever (rebuilds replay them)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from events.topics import Topic, all_topics, ensure_topics, leaderless


async def test_creates_every_topic_and_dlq_with_unlimited_retention(settings):
    created = await ensure_topics(settings.kafka_bootstrap, settings.topic_prefix, 2)
    assert sorted(created) == sorted(all_topics(settings.topic_prefix))
    assert len(created) == 2 * len(Topic)
    assert await ensure_topics(settings.kafka_bootstrap, settings.topic_prefix, 2) == []
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        # ensure_topics returns only once every partition has a leader (a consumer started
        # earlier logs NotLeaderForPartition errors on a fresh deployment)
        assert leaderless(await admin.describe_topics(all_topics(settings.topic_prefix))) == []
        listings = f"{settings.topic_prefix}psm.listings"
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, listings)])
    finally:
        await admin.close()
    entries = {e[0]: e[1] for e in response.resources[0][4]}
    assert entries["retention.ms"] == "-1"


def test_a_partition_without_a_leader_is_waited_for():
    def topic(name, *leaders, error=0):
        return {"topic": name, "error_code": error,
                "partitions": [{"partition": i, "leader": lead, "error_code": 0} for i, lead in enumerate(leaders)]}
    described = [topic("a", 1, 1), topic("b", 1, -1), topic("c", error=3), topic("d")]
    assert leaderless(described) == ["b", "c", "d"]
