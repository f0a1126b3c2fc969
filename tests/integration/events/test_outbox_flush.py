"""Waiting for a write's events to be on Kafka: one question to PostgreSQL per notice,
however many requests wait."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg

from event_harness import SCHEMA
from events.consistency import Notices, OutboxFlush, published_channel
from services.runtime.settings import Settings


async def unpublished(pool: asyncpg.Pool, n: int) -> list[int]:
    return [await pool.fetchval(
        f"INSERT INTO {SCHEMA}.outbox (topic, subject, sequence, event_id, event) VALUES ('t', $1, 1, $2, $3) "
        "RETURNING id", f"s-{uuid.uuid4()}", uuid.uuid4(), json.dumps({"type": "psm.thing.happened.v1"}))
        for _ in range(n)]


async def publish(pool: asyncpg.Pool, ids: list[int]) -> None:
    await pool.execute(f"UPDATE {SCHEMA}.outbox SET published_at = now() WHERE id = ANY($1::bigint[])", ids)
    await pool.execute("SELECT pg_notify($1, '')", published_channel(SCHEMA))


async def test_fifty_waiters_share_each_question_and_each_waits_for_its_own_rows(settings: Settings,
                                                                                pool: asyncpg.Pool) -> None:
    notices = Notices(settings.database_url)
    flush = OutboxFlush(notices, pool, poll_s=5.0)  # no polling: only the notices wake the waiters
    asked = 0
    lowest = flush._lowest_unpublished(SCHEMA)
    fetch = lowest._fetch

    async def counted():
        nonlocal asked
        asked += 1
        return await fetch()

    lowest._fetch = counted
    try:
        first, second = await unpublished(pool, 1), await unpublished(pool, 1)
        # Nothing published: every waiter's bound runs out, and it says so.
        assert await flush.wait(SCHEMA, first[0], 0.2) is False
        waiters = [asyncio.create_task(flush.wait(SCHEMA, first[0] if n % 2 else second[0], 10.0))
                   for n in range(50)]
        await asyncio.sleep(0.3)
        asked_before = asked
        await publish(pool, first)
        await asyncio.sleep(0.5)
        # The 25 waiting for the first row are answered; those waiting for the second are not.
        assert sum(w.done() for w in waiters) == 25
        assert all(w.result() is True for w in waiters if w.done())
        await publish(pool, second)
        assert await asyncio.gather(*waiters) == [True] * 50
        # One question per notice for all fifty (two notices; a third in case a question
        # was in flight when a notice came), where each waiter used to ask its own.
        assert asked - asked_before <= 4, asked - asked_before
    finally:
        await flush.close()
        await notices.stop()


async def test_a_row_committed_late_with_a_lower_id_is_waited_for(settings: Settings, pool: asyncpg.Pool) -> None:
    """Ids are taken at insert, rows become visible at commit: a row with a lower id can
    commit after one with a higher id is published. A waiter up to the higher id waits
    for the lower one too (the relay publishes an aggregate's rows in id order)."""
    notices = Notices(settings.database_url)
    flush = OutboxFlush(notices, pool, poll_s=0.05)
    try:
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            late = await conn.fetchval(
                f"INSERT INTO {SCHEMA}.outbox (topic, subject, sequence, event_id, event) "
                "VALUES ('t', 'late', 1, $1, '{}') RETURNING id", uuid.uuid4())
            early = await unpublished(pool, 1)
            await publish(pool, early)
            assert await flush.wait(SCHEMA, early[0], 1.0) is True  # the late row is not visible yet
            await tx.commit()
        assert late < early[0]
        assert await flush.wait(SCHEMA, early[0], 0.3) is False
        await publish(pool, [late])
        assert await flush.wait(SCHEMA, early[0], 1.0) is True
    finally:
        await flush.close()
        await notices.stop()
