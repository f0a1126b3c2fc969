"""一点发布、全网通达: every catalogue change reaches exactly the venues whose filter it
matches, signed (Standard Webhooks), in order per listing, also through a venue that
fails for a while; a venue publishing under a mandate reaches every other venue."""

from __future__ import annotations

import asyncio
import time

from tests.integration.distribution.conftest import FAST, eventually, published, venue


async def test_each_venue_gets_exactly_its_changes_in_order_and_a_failing_one_delays_no_other(
        client, register, receivers, operator):
    shanghai, jiangsu, pilot = await receivers("sh"), await receivers("js"), await receivers("pilot")
    await venue(register, shanghai, {"regions": ["310000"]})
    await venue(register, jiangsu, {"regions": ["320000"], "industries": ["C39"]})
    pilot_org, pilot_venue = await venue(register, pilot, {"types": ["listing"], "stages": ["pilot"]})
    pilot.failing_until = time.monotonic() + 2.5  # 500s for a while, then it recovers

    uni = await register("institution")
    a = await published(uni, title="固态电池电解质", region="310115", industry="C38", stage="pilot")
    b = await published(uni, title="光刻胶配方", region="320500", industry="C39", stage="lab")
    c = await published(uni, title="医用导管", region="320500", industry="C35", stage="pilot")
    r = await uni.patch(f"/v1/listings/{a['listing_id']}", {"price": {"amount": "990000.00", "currency": "CNY"}})
    assert r.status == 200, await r.text()
    r = await uni.post(f"/v1/listings/{a['listing_id']}/withdraw")
    assert r.status == 200, await r.text()

    A, B, C = a["listing_id"], b["listing_id"], c["listing_id"]
    pub, upd, wd = "psm.listing.published.v1", "psm.listing.updated.v1", "psm.listing.withdrawn.v1"
    expected = {
        "sh": [(A, pub), (A, upd), (A, wd)],
        "js": [(B, pub)],
        "pilot": [(A, pub), (A, upd), (A, wd), (C, pub)],
    }

    async def core_arrived():
        return all(set(expected[r.name]) <= set(r.changes()) for r in (shanghai, jiangsu, pilot))

    try:
        await eventually(core_arrived, timeout=20)
    except AssertionError:
        missing = {r.name: sorted(set(expected[r.name]) - set(r.changes())) for r in (shanghai, jiangsu, pilot)}
        raise AssertionError(f"still missing after 20 s: {missing}") from None
    # The owner's name may reach listings after publication (an extra ``updated``):
    # the exact expectation is the whole log, filtered here by each venue's rule.
    wanted = {
        "sh": lambda c: c["snapshot"]["region"].startswith("31"),
        "js": lambda c: c["snapshot"]["region"].startswith("32") and c["snapshot"]["industry"].startswith("C39"),
        "pilot": lambda c: c["entity_type"] == "listing" and c["snapshot"]["stage"] == "pilot",
    }

    async def exact():
        r = await client.get("/v1/feed?limit=1000", headers=operator)
        log = (await r.json())["items"]
        return all(sorted(rec.changes()) == sorted((c["subject"], c["type"]) for c in log if wanted[rec.name](c))
                   for rec in (shanghai, jiangsu, pilot))

    await eventually(exact, timeout=10)
    for rec in (shanghai, jiangsu, pilot):
        assert rec.bad_signatures == 0
        per_listing = [t for subject, t in rec.changes() if subject == A]
        if per_listing:  # never overtaken: published first (the owner's late name may add an
            # ``updated`` after the withdrawal, carrying status withdrawn; seq order is below)
            assert per_listing[0] == pub and wd in per_listing, rec.name
        seqs = [x["body"]["data"]["seq"] for x in rec.accepted if x["body"]["data"]["subject"] == A]
        assert seqs == sorted(seqs)
    assert pilot.refused > 0
    # The healthy venues had each of their changes before the failing one recovered. (The
    # owner's late name may add one more ``updated`` at any time, also after the recovery:
    # what counts is that the first delivery of each change did not wait for the pilot.)
    recovered_at = min(x["at"] for x in pilot.accepted)
    for rec in (shanghai, jiangsu):
        first: dict[tuple[str, str], float] = {}
        for x in rec.accepted:
            key = (x["body"]["data"]["subject"], x["body"]["data"]["type"])
            first[key] = min(first.get(key, x["at"]), x["at"])
        assert max(first[k] for k in expected[rec.name]) < recovered_at, rec.name

    r = await pilot_org.get(f"/v1/venues/{pilot_venue['id']}/deliveries")
    log = (await r.json())["items"]
    assert len(log) == len(pilot.changes()) and all(d["status"] == "delivered" for d in log)
    assert any(d["attempts"] > 1 for d in log) and all(d["latency_ms"] is not None for d in log)

    # Retry of one delivery, and a bulk replay: the same webhook-ids again.
    first = log[0]
    r = await pilot_org.post(f"/v1/venues/{pilot_venue['id']}/deliveries/{first['id']}/retry")
    assert r.status == 200, await r.text()
    before = len(pilot.accepted)
    await eventually(lambda: _more(pilot, before + 1), timeout=10)
    assert pilot.accepted[-1]["id"] == first["id"]
    r = await pilot_org.post(f"/v1/venues/{pilot_venue['id']}/replay", {"since": log[0]["created_at"]})
    assert (await r.json())["requeued"] == len(log)
    await eventually(lambda: _more(pilot, before + 1 + len(log)), timeout=10)
    assert {x["id"] for x in pilot.accepted} == {d["id"] for d in log}

    # Venues see only their own venue's log.
    r = await (await register("venue")).get(f"/v1/venues/{pilot_venue['id']}/deliveries")
    assert r.status == 404


async def _more(rec, n):
    return len(rec.accepted) >= n


async def test_a_delivery_that_never_succeeds_is_dead_lettered_and_visible(client, register, receivers):
    dead = await receivers("dead")
    org, v = await venue(register, dead, {})
    dead.failing_until = time.monotonic() + 3600
    uni = await register("institution")
    await published(uni)

    async def dead_lettered():
        r = await org.get(f"/v1/venues/{v['id']}/deliveries?status=dead")
        items = (await r.json())["items"]
        return items if items else None

    items = await eventually(dead_lettered, timeout=40)
    assert items[0]["attempts"] == FAST.max_attempts
    assert items[0]["last_error"] == "HTTP 500" and items[0]["last_status"] == 500
    # Its tries all reached the receiver (a late ``updated`` for the same listing may be trying too).
    assert dead.refused >= FAST.max_attempts


async def test_a_venue_with_a_mandate_publishes_for_an_institution_and_every_other_venue_gets_it(
        client, register, receivers):
    hosts = [await receivers(f"v{i}") for i in range(3)]
    venues = [await venue(register, h, {}) for h in hosts]
    acting_venue_org = venues[0][0]
    uni = await register("institution")
    r = await uni.post(f"/v1/orgs/{uni.id}/mandates", {"venue_id": acting_venue_org.id})
    assert r.status == 201, await r.text()

    listing = await published(acting_venue_org, headers={"On-Behalf-Of": uni.id}, title="一点发布的专利")
    assert listing["owner_org_id"] == uni.id and listing["acted_by_org_id"] == acting_venue_org.id

    async def everywhere():
        return all((listing["listing_id"], "psm.listing.published.v1") in h.changes() for h in hosts[1:])

    await eventually(everywhere, timeout=15)
    got = hosts[1].accepted[0]["body"]["data"]["snapshot"]
    assert got["owner_org_id"] == uni.id and got["acted_by_org_id"] == acting_venue_org.id
    assert all(h.bad_signatures == 0 for h in hosts)
    await asyncio.sleep(0)
