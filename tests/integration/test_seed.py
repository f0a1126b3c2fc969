"""``psm seed`` against a fresh database: rows and outbox events through the use cases,
and nothing more on a second run."""

from __future__ import annotations

from collections import Counter

import asyncpg

from services.tools.demo.command import seed_database
from services.tools.demo.generator import generate
from services.listings.handlers import today

PATENTS = 100  # small, to keep the test fast; the generator's tests cover the full size


async def counts(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        out = {
            "orgs": await conn.fetchval("SELECT count(*) FROM platform.orgs"),
            "mandates": await conn.fetchval("SELECT count(*) FROM platform.mandates"),
            "patents": await conn.fetchval("SELECT count(*) FROM listings.patents"),
            "listings": await conn.fetchval("SELECT count(*) FROM listings.listings"),
            "published": await conn.fetchval("SELECT count(*) FROM listings.listings WHERE status = 'published'"),
            "via_venue": await conn.fetchval("SELECT count(*) FROM listings.listings WHERE acted_by_org_id IS NOT NULL"),
            "deals": await conn.fetchval("SELECT count(*) FROM deals.deals"),
            "certificates": await conn.fetchval("SELECT count(*) FROM deals.certificates"),
        }
        for schema in ("platform", "listings", "deals"):
            for r in await conn.fetch(f"SELECT event->>'type' AS type, count(*) FROM {schema}.outbox GROUP BY 1"):
                out[r["type"]] = r["count"]
        return out
    finally:
        await conn.close()


async def test_seeding_a_fresh_database_records_every_change_with_its_event(settings):
    report = await seed_database(settings, patents=PATENTS)

    data = generate(patents=PATENTS, today=today())
    statuses = Counter(x.status for x in data.listings)
    got = await counts(settings.database_url)
    assert got["orgs"] == report.orgs == len(data.orgs)
    assert got["patents"] == report.patents == PATENTS
    assert got["listings"] == report.supply + report.demands == len(data.listings)
    assert got["published"] == report.published == statuses["published"]
    assert got["mandates"] == report.mandates == sum(len(o.mandates) for o in data.orgs)
    assert got["via_venue"] == sum(1 for x in data.listings if x.via)
    assert got["psm.org.registered.v1"] == got["psm.org.key_issued.v1"] == len(data.orgs)
    assert got["psm.org.mandate_granted.v1"] == got["mandates"]
    assert got["psm.patent.registered.v1"] == PATENTS
    assert got["psm.listing.drafted.v1"] == len(data.listings)
    assert got["psm.listing.published.v1"] == statuses["published"] + statuses["withdrawn"]
    assert got.get("psm.listing.withdrawn.v1", 0) == statuses["withdrawn"]
    # Two years of completed deals, each with its event and its certificate.
    assert got["deals"] == report.deals == len(data.deals) > 0
    assert got["psm.deal.paid.v1"] == got["certificates"] == got["psm.certificate.issued.v1"] == got["deals"]


async def test_a_second_seed_adds_nothing(settings):
    await seed_database(settings, patents=PATENTS)
    before = await counts(settings.database_url)

    again = await seed_database(settings, patents=PATENTS)

    assert again.nothing_done and again.already_there == before["orgs"]
    assert "nothing to do" in again.summary()
    assert await counts(settings.database_url) == before


async def test_a_seed_cut_short_resumes_with_the_organisations_it_had_not_committed(settings):
    await seed_database(settings, patents=PATENTS)
    conn = await asyncpg.connect(settings.database_url)
    try:
        # As if the run had stopped before the last enterprise's transaction committed.
        last = await conn.fetchval("SELECT id FROM platform.orgs WHERE kind = 'enterprise' ORDER BY uscc DESC LIMIT 1")
        await conn.execute("DELETE FROM listings.listings WHERE owner_org_id = $1", last)
        await conn.execute("DELETE FROM platform.api_keys WHERE org_id = $1", last)
        await conn.execute("DELETE FROM platform.orgs WHERE id = $1", last)
    finally:
        await conn.close()

    resumed = await seed_database(settings, patents=PATENTS)

    assert resumed.orgs == 1 and resumed.by_kind == {"enterprise": 1}
    assert resumed.already_there == len(generate(patents=PATENTS, today=today()).orgs) - 1
