"""Proposals not agreed within their negotiation window lapse by themselves. Several
replicas share the sweep (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from services.deals import handlers

log = logging.getLogger("psm.deals.sweeper")


class LapseSweeper:
    def __init__(self, pool: asyncpg.Pool, interval_s: float = 30.0) -> None:
        self.pool = pool
        self.interval_s = interval_s

    async def step(self) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            return await handlers.expire_lapsed(conn)

    async def run(self) -> None:
        while True:
            try:
                if done := await self.step():
                    log.info("%d deal proposals lapsed", done)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — rolled back; the proposals stay due and are retried
                log.exception("deal lapse sweep failed")
            await asyncio.sleep(self.interval_s)
