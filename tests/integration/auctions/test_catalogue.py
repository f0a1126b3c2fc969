"""Live auctions in the catalogue: current price, end, bid count; sorted by ending soon."""

from __future__ import annotations

from tests.integration.auctions.conftest import bid, eventually


async def search(org, **params) -> dict:
    r = await org.get("/v1/catalogue/search", params=params)
    assert r.status == 200, await r.text()
    return await r.json()


async def test_live_auctions_show_their_price_and_sort_by_ending_soon(auction_house):
    seller, first = await auction_house.lot()
    later = await auction_house.auction(seller, first, seconds=7200)
    sooner_owner, sooner_listing = await auction_house.lot()
    sooner = await auction_house.auction(sooner_owner, sooner_listing, seconds=3600)
    alice = await auction_house.bidder(later["id"])
    assert (await bid(alice, later["id"], "1000.00")).status == 201

    async def both_listed():
        found = await search(alice, type="auction", sort="ending_soon")
        ids = [i["id"] for i in found["items"]]
        return found if {later["id"], sooner["id"]} <= set(ids) else None

    found = await eventually(both_listed, timeout=15)
    ids = [i["id"] for i in found["items"]]
    assert ids.index(sooner["id"]) < ids.index(later["id"])

    async def price_shown():
        items = {i["id"]: i for i in (await search(alice, type="auction"))["items"]}
        item = items.get(later["id"])
        return item if item and item["auction"]["bid_count"] == 1 else None

    item = await eventually(price_shown, timeout=15)
    assert item["price"] == {"amount": "1000.00", "currency": "CNY"}
    assert item["auction"]["status"] == "open" and item["ends_at"]
    assert item["title"] and item["status"] == "published"
