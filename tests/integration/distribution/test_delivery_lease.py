"""An endpoint is served by one worker at a time, however long a round of its requests
takes: a round of slow answers outlasting one lease keeps the lease (extended while its
requests are out), so a second worker on the same database never takes the endpoint
meanwhile and sends its heads a second time. And a slow but healthy receiver is not
failed by its own queue: each request's timeout runs from when it is sent, not from when
it queued behind the round's others."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import replace

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from services.distribution.delivery import DeliveryWorker
from services.distribution.handlers import NOTIFY_CHANNEL
from services.runtime.http.app import create_app
from services.runtime.storage import create_pool
from tests.integration.distribution.conftest import FAST, eventually, make_org, modules, published, venue
from tests.integration.distribution.test_crash import SlowReceiver

LISTINGS = 24
SLOW_S = 0.4
# 24 heads over 8 connections, 0.4 s each: a round of 1.2 s or more, against a lease of 0.9 s.
POLICY = replace(FAST, request_timeout_s=0.8, lease_s=0.9, batch=LISTINGS)


async def test_a_round_longer_than_the_lease_keeps_the_endpoint_from_a_second_worker(settings, operator):
    key = operator["Authorization"].removeprefix("Bearer ")
    app = create_app(settings.model_copy(update={"operator_key": SecretStr(key)}), modules(POLICY))
    rx = SlowReceiver("slow", SLOW_S)
    await rx.start()
    pool = await create_pool(settings, min_size=1, max_size=4)
    second = asyncio.create_task(DeliveryWorker(pool, settings, POLICY).run())  # another process's worker
    try:
        async with TestClient(TestServer(app)) as c:
            venue_org = await make_org(c, operator, "venue")
            _, v = await venue(lambda _kind: asyncio.sleep(0, result=venue_org), rx, {})
            # Queue every publication first (the endpoint paused), so that one round takes them all.
            await pool.execute("UPDATE distribution.endpoints SET paused_until = now() + interval '1 hour' "
                               "WHERE id = $1", v["id"])
            owner = await make_org(c, operator)
            for _ in range(LISTINGS):
                await published(owner)

            async def queued():
                n = await pool.fetchval("SELECT count(*) FROM distribution.deliveries WHERE endpoint_id = $1 "
                                        "AND status = 'pending'", v["id"])
                return n == LISTINGS or None

            await eventually(queued, timeout=30)
            await pool.execute("UPDATE distribution.endpoints SET paused_until = NULL WHERE id = $1", v["id"])
            await pool.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)

            async def delivered():
                n = await pool.fetchval("SELECT count(*) FROM distribution.deliveries WHERE endpoint_id = $1 "
                                        "AND status = 'delivered'", v["id"])
                return n == LISTINGS or None

            await eventually(delivered, timeout=30)
            attempts = await pool.fetch("SELECT attempts FROM distribution.deliveries WHERE endpoint_id = $1", v["id"])
            await asyncio.sleep(2 * POLICY.lease_s)  # a second worker that took the endpoint would have sent by now
    finally:
        second.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await second
        await pool.close()
        await rx.stop()
    sent = Counter(a["id"] for a in rx.accepted)
    assert len(sent) == LISTINGS
    # Each webhook-id once: one worker served the endpoint throughout the round.
    assert [i for i, n in sent.items() if n > 1] == []
    # Each on its first try (0.4-s answers, a 0.8-s timeout, 24 requests 8 at a time).
    assert sorted(r["attempts"] for r in attempts) == [1] * LISTINGS
