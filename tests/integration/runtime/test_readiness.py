"""A process is ready only once its consumers have joined their groups: before that its
requests could not see what other processes acknowledged. After a crash the group keeps
the dead member until its session expires; here another member holds the group the same
way (it does not rejoin while it is handing back its partitions)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener

from events.clients import start_safely
from events.topics import Topic, ensure_topics, physical
from services.runtime.settings import Settings
from tests.integration.auctions.test_replicas import spawn, stop, wait_ready

HOLD_S = 6.0


class SlowToLetGo(ConsumerRebalanceListener):
    """Keeps the group waiting for this member for HOLD_S at the first rebalance."""

    def __init__(self) -> None:
        self.held = False

    async def on_partitions_revoked(self, revoked) -> None:
        if not self.held:
            self.held = True
            await asyncio.sleep(HOLD_S)

    async def on_partitions_assigned(self, assigned) -> None:
        pass


async def test_a_process_is_starting_until_its_consumers_have_joined(settings: Settings, tmp_path: Path):
    await ensure_topics(settings.kafka_bootstrap, settings.topic_prefix, 2)  # as spawn's PSM_TOPIC_PARTITIONS
    holder = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                              group_id=f"{settings.topic_prefix}licences.orgs", enable_auto_commit=False,
                              session_timeout_ms=30_000, rebalance_timeout_ms=30_000)
    listener = SlowToLetGo()
    holder.subscribe([physical(Topic.PLATFORM.value, settings.topic_prefix)], listener=listener)
    await start_safely(holder)
    polling = asyncio.create_task(holder.getmany(timeout_ms=60_000))  # heartbeats and rejoins run meanwhile
    p = spawn(settings, tmp_path / "serve.log", "--services", "licences")
    answers: list[tuple[int, dict]] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    async with http.get(p.url + "/readyz") as r:
                        answers.append((r.status, await r.json()))
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass  # not listening yet
                await asyncio.sleep(0.1)
            await wait_ready(http, p)
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await holder.stop()
        await stop(p)
    assert listener.held, "the holder never saw the process's consumer join its group"
    starting = [body for status, body in answers if status == 503]
    assert starting, f"never reported starting while the group was held: {answers[:3]}"
    assert all(b["status"] == "starting" and "licences.orgs" in b["detail"] for b in starting), starting[:3]
    assert all(b["checks"] == {"postgresql": "ok", "kafka": "ok", "elasticsearch": "ok"} for b in starting)
    assert answers[-1][0] == 200 and answers[-1][1]["consumers"]["licences.orgs"] == "consuming", answers[-1]
