"""The institution desk (a lead and feedback created through the API, licences to file)
and the venue desk (deliveries, a dead letter retried from the page, the feed position)."""

from __future__ import annotations

from tests.e2e.conftest import key_of
from tests.integration.distribution.conftest import Receiver, venue as register_venue
from tests.integration.listings.conftest import eventually
from tests.integration.roadshows.conftest import published_listing, published_roadshow


async def test_the_institution_desk_shows_a_lead_and_feedback_created_through_the_api(register, browsers):
    uni, venue = await register(), await register("venue")
    listing = await published_listing(uni, title="一种钠离子电池层状氧化物正极材料")
    rs = await published_roadshow(venue, [(listing, 0)])
    buyer = await register("enterprise")
    assert (await buyer.post(f"/v1/roadshows/{rs['id']}/registrations", {})).status == 201
    r = await buyer.post(f"/v1/roadshows/{rs['id']}/interest", {"listing_id": listing, "note": "想谈独占许可"})
    assert r.status == 201, await r.text()
    r = await buyer.post(f"/v1/roadshows/{rs['id']}/feedback", {
        "listing_id": listing, "industrialisation_prospect": 4, "improvement_needs": "希望提供中试数据",
        "concerns": ["price"], "cooperation": "licence"})
    assert r.status == 201, await r.text()

    b = await browsers()
    await b.sign_in(key_of(uni), then="/desk")
    await b.go("/desk")
    await b.wait_text("[data-test=kpi-leads]", lambda s: s == "1", "one lead counted")
    leads = await b.text("[data-test=leads]")
    assert "一种钠离子电池层状氧化物正极材料" in leads and "想谈独占许可" in leads, leads
    # The enterprise by its name (read from the platform), not its id.
    assert await b.attr("[data-test=leads] [data-org]", "data-org") == buyer.id
    assert "测试enterprise" in leads, leads
    # The feedback report as a chart: one response scored 4 (a bar of height 1 at "4").
    values = await b.js("return [...document.querySelectorAll('[data-test=prospect-chart] rect')].map(r => +r.dataset.value)")
    assert values == [0, 0, 0, 1, 0], values
    assert "1" == await b.text("[data-test=kpi-listings]")
    await b.screenshot("desk-institution")


async def test_the_venue_desk_retries_a_dead_letter_and_shows_the_feed_position(register, browsers, receivers):
    receiver: Receiver = await receivers("venue-desk")
    receiver.failing_until = float("inf")  # every try fails until the venue operator fixes it
    venue_org, v = await register_venue(register, receiver, {})
    uni = await register()
    listing = await published_listing(uni, title="一种高通量基因测序芯片")

    async def dead():
        r = await venue_org.get(f"/v1/venues/{v['id']}/deliveries", params={"status": "dead"})
        return (await r.json())["items"]

    await eventually(dead, timeout=15)
    b = await browsers()
    await b.sign_in(key_of(venue_org), then="/venue")
    await b.go("/venue")
    await b.wait_count("[data-test=dead-letters] [data-test=retry]", lambda n: n == 1, "one dead letter with retry")
    assert listing in await b.text("[data-test=dead-letters]")
    # The feed position starts at the beginning, with the listing's change after it.
    assert await b.text("[data-test=feed-position]") == "（从头开始）"
    await b.wait_text("[data-test=feed-waiting]", lambda s: s == "之后有 1 条变更", "one change in the feed")
    await b.screenshot("desk-venue-dead-letter")

    receiver.failing_until = 0.0  # the venue is back
    await b.click("[data-test=retry]")
    await b.wait_count("[data-test=dead-letters] [data-test=retry]", lambda n: n == 0, "no dead letter after the retry")
    await eventually(lambda: _received(receiver, listing), timeout=10)
    await b.go("/venue?again")
    await b.wait_text("[data-test=deliveries] [data-test=delivery-status]", lambda s: s == "已送达", "delivered",
                      timeout=15)

    # Reading the feed to the latest moves the position past the change.
    await b.click("[data-test=feed-advance]")
    await b.wait_text("[data-test=feed-waiting]", lambda s: s == "之后有 0 条变更", "nothing after the new position")
    assert await b.text("[data-test=feed-position]") != "（从头开始）"
    await b.screenshot("desk-venue")


async def _received(receiver: Receiver, listing_id: str) -> bool:
    return any(subject == listing_id for subject, _ in receiver.changes())
