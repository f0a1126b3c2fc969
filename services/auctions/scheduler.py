"""Opens and closes auctions on time, by itself, in any number of replicas."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from services.auctions.handlers import close_due

log = logging.getLogger("psm.auctions.scheduler")


class AuctionScheduler:
    """Every ``interval_s`` (sooner while there is work), opens what is due and closes
    what has ended. State lives in the table, so a restart simply carries on; row locks
    with SKIP LOCKED make each close happen exactly once across replicas."""

    def __init__(self, pool: asyncpg.Pool, interval_s: float = 0.2) -> None:
        self.pool = pool
        self.interval_s = interval_s

    async def run(self) -> None:
        while True:
            try:
                done = await close_due(self.pool)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — the transaction rolled back; the auctions stay due and are retried
                log.exception("auction scheduler step failed")
                done = 0
            if not done:
                await asyncio.sleep(self.interval_s)
