"""Listings whose patents have all run out leave the market by themselves.

A supply listing is ``expired`` once none of its patents is in force any more (term
ended — DESIGN §5 derives it from kind and filing date — or lapsed, expired,
invalidated). Only ``published`` listings are swept: a reserved lot finishes its
auction or deal first. Several replicas share the sweep (FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from events.schemas.listings import ListingExpired
from services.listings import domain, handlers

log = logging.getLogger("psm.listings.expiry")

_DUE = f"""
SELECT l.id FROM listings.listings l
WHERE l.status = 'published' AND l.kind = 'supply'
  AND NOT EXISTS (
      SELECT 1 FROM listings.listing_patents lp JOIN listings.patents p ON p.id = lp.patent_id
      WHERE lp.listing_id = l.id AND p.expires_on > (now() AT TIME ZONE 'UTC')::date
        AND p.legal_status NOT IN ({", ".join(f"'{s}'" for s in domain.DEAD_STATUSES)}))
ORDER BY l.id LIMIT $1 FOR UPDATE OF l SKIP LOCKED
"""


async def expire_due(conn: asyncpg.Connection, limit: int = 100) -> list[str]:
    """Expire what is due, in the caller's transaction; return the listing ids."""
    expired = []
    for row in await conn.fetch(_DUE, limit):
        listing = await handlers.load_listing(conn, row["id"], lock=True)
        domain.transition(listing["status"], "expired")
        listing = await handlers.repo.update_listing(conn, row["id"], {"status": "expired"})
        await handlers.OUTBOX.record(conn, row["id"], ListingExpired(
            listing=await handlers.listing_snapshot(conn, listing)))
        expired.append(row["id"])
    return expired


class ExpirySweeper:
    def __init__(self, pool: asyncpg.Pool, interval_s: float = 60.0) -> None:
        self.pool = pool
        self.interval_s = interval_s

    async def step(self) -> list[str]:
        async with self.pool.acquire() as conn, conn.transaction():
            return await expire_due(conn)

    async def run(self) -> None:
        while True:
            try:
                done = await self.step()
                if done:
                    log.info("expired %d listings whose patents are no longer in force", len(done))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — rolled back; the listings stay due and are retried
                log.exception("expiry sweep failed")
            await asyncio.sleep(self.interval_s)
