"""GET /v1/auctions (what a venue shows) and an auction's registrations (for its seller)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.auctions.conftest import iso


async def test_auctions_are_listed_by_end_with_filters(auction_house, register):
    seller, first = await auction_house.lot()
    _, second = await auction_house.lot()
    soon = await auction_house.auction(seller, first, starts_in=3600, seconds=3600)
    later = await auction_house.auction(_, second, starts_in=3600, seconds=7200)
    viewer = await register("enterprise")
    r = await viewer.get("/v1/auctions", params={"status": "scheduled"})
    ids = [a["id"] for a in (await r.json())["items"]]
    assert r.status == 200 and ids.index(soon["id"]) < ids.index(later["id"])
    cut = iso(datetime.now(UTC) + timedelta(seconds=3 * 3600 - 60))
    r = await viewer.get("/v1/auctions", params={"ends_before": cut})
    assert [a["id"] for a in (await r.json())["items"]] == [soon["id"]]
    r = await viewer.get("/v1/auctions", params={"listing_id": second})
    assert [a["id"] for a in (await r.json())["items"]] == [later["id"]]
    r = await viewer.get("/v1/auctions", params={"mine": "true"})
    assert (await r.json())["items"] == []
    r = await seller.get("/v1/auctions", params={"mine": "true"})
    assert [a["id"] for a in (await r.json())["items"]] == [soon["id"]]
    r = await viewer.get("/v1/auctions", params={"limit": 1, "status": "scheduled"})
    page = await r.json()
    assert len(page["items"]) == 1 and page["next_cursor"]


async def test_registrations_are_the_sellers_and_the_operators_to_see(auction_house, client, operator):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id, starts_in=3600)
    bidder = await auction_house.bidder(a["id"])
    r = await seller.get(f"/v1/auctions/{a['id']}/registrations")
    items = (await r.json())["items"]
    assert r.status == 200 and [(i["bidder_org_id"], i["deposit_status"]) for i in items] == [(bidder.id, "confirmed")]
    assert (await client.get(f"/v1/auctions/{a['id']}/registrations", headers=operator)).status == 200
    assert (await bidder.get(f"/v1/auctions/{a['id']}/registrations")).status == 403
