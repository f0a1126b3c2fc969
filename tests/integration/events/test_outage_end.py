"""A Kafka outage ends for every request as soon as Kafka answers any of them."""

from __future__ import annotations

import asyncio

from events.consistency import ConsumerBarrier
from events.outages import OUTAGES
from events.topics import all_topics
from services.runtime.settings import Settings


async def test_a_fetch_that_outlived_its_callers_still_ends_the_outage(settings: Settings, topics: str) -> None:
    """During an outage a request waits only briefly for Kafka's end offsets and is a
    503 when they are late; the fetch it started goes on. Its answer must end the outage,
    or under load (every fetch slower than the short bound) requests would go on being
    refused although Kafka answers: seen in CI after a replica joined a consumer group."""
    topic = all_topics(topics)[0]
    barrier = ConsumerBarrier(settings.kafka_bootstrap, {"outage-test": [topic]})
    await barrier.start()
    try:
        OUTAGES.failed("kafka", "the test says so")
        assert (await barrier.wait(["outage-test"], 0.0, reach_timeout=0.0)).state == "unreachable"
        assert OUTAGES.is_down("kafka")  # the refused request did not see Kafka answer
        async with asyncio.timeout(10):
            while OUTAGES.is_down("kafka"):
                await asyncio.sleep(0.01)
        assert (await barrier.wait(["outage-test"], 5.0)).state == "caught_up"  # nothing on the topic to wait for
    finally:
        OUTAGES.answered("kafka")
        await barrier.stop()
