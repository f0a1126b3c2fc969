"""A published listing whose patents have all run out becomes expired by itself."""

from __future__ import annotations

import asyncpg

from services.listings.expiry import ExpirySweeper
from services.runtime.storage import create_pool


async def test_a_listing_expires_when_its_last_patent_does(register, settings):
    uni = await register()
    old = await uni.patent()
    young = await uni.patent()
    listing = await uni.supply([old["patent_id"], young["patent_id"]])
    lid = listing["listing_id"]
    assert (await uni.post(f"/v1/listings/{lid}/publish")).status == 200
    pool = await create_pool(settings, min_size=1, max_size=2)
    try:
        sweeper = ExpirySweeper(pool)
        conn = await asyncpg.connect(settings.database_url)
        try:
            # Time passes (the clock is the database's): the first patent's term ends.
            await conn.execute("UPDATE listings.patents SET expires_on = current_date - 1 WHERE id = $1",
                               old["patent_id"])
            assert await sweeper.step() == []
            assert (await (await uni.get(f"/v1/listings/{lid}")).json())["status"] == "published"
            # ...then the second lapses (annual fee unpaid).
            await conn.execute("UPDATE listings.patents SET legal_status = 'lapsed' WHERE id = $1",
                               young["patent_id"])
            assert await sweeper.step() == [lid]
            assert await sweeper.step() == []
            types = await conn.fetch("SELECT event->>'type' AS t FROM listings.outbox WHERE subject = $1 "
                                     "ORDER BY sequence", lid)
        finally:
            await conn.close()
    finally:
        await pool.close()
    assert (await (await uni.get(f"/v1/listings/{lid}")).json())["status"] == "expired"
    assert types[-1]["t"] == "psm.listing.expired.v1"
