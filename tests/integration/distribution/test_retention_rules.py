"""The retention rules of the whole marketplace, on its real schemas: ended deliveries
and old idempotency keys go, what is still owed or young stays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.runtime.http.app import retention_rules
from services.runtime.storage.retention import Pruner
from services.tools.main import all_modules
from tests.integration.distribution.conftest import Receiver, eventually, published, venue


async def statuses(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, count(*) AS n FROM distribution.deliveries GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def test_ended_deliveries_and_old_idempotency_keys_are_pruned_what_is_owed_stays(
        settings, client, operator, register, receivers):
    healthy: Receiver = await receivers("healthy")
    down: Receiver = await receivers("down")
    down.failing_until = float("inf")
    await venue(register, healthy, {})
    await venue(register, down, {})
    owner = await register()
    await published(owner)
    conn = await asyncpg.connect(settings.database_url)
    try:
        async def both() -> bool:
            s = await statuses(conn)
            return s.get("delivered") == 1 and s.get("pending") == 1
        await eventually(both, timeout=15)
        key = str(uuid.uuid4())
        first = await client.post("/v1/orgs", headers=operator | {"Idempotency-Key": key},
                                  json={"kind": "enterprise", "name": "幂等测试", "country": "US"})
        assert first.status == 201
        first_id = (await first.json())["org"]["id"]

        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
        pruner = Pruner(pool, retention_rules(settings, all_modules()))
        try:
            # Today nothing is old enough: the key still replays its first answer.
            counts = await pruner.prune()
            assert not any(counts.values()), counts
            again = await client.post("/v1/orgs", headers=operator | {"Idempotency-Key": key},
                                      json={"kind": "enterprise", "name": "幂等测试", "country": "US"})
            assert (await again.json())["org"]["id"] == first_id

            # Eight days on: the delivered one and the key go; the pending one is still owed.
            counts = await pruner.prune(now=datetime.now(UTC) + timedelta(days=8))
            assert counts["distribution.deliveries (ended)"] == 1 and counts["http.idempotency_keys"] >= 1, counts
            assert counts["distribution.deliveries (dead)"] == 0
            assert await statuses(conn) == {"pending": 1}
            # Every context's outbox (published rows) and processed events went too.
            assert counts["listings.outbox"] > 0 and counts["distribution.processed_events"] > 0, counts
        finally:
            await pool.close()
        # The key is forgotten: the same key now makes a new organisation.
        later = await client.post("/v1/orgs", headers=operator | {"Idempotency-Key": key},
                                  json={"kind": "enterprise", "name": "幂等测试", "country": "US"})
        assert later.status == 201 and (await later.json())["org"]["id"] != first_id
    finally:
        await conn.close()
