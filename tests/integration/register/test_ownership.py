"""Ownership moves with a completed sale, and the market follows the register: the
buyer may list the patent, the former owner may not; licences granted before stay,
the seller's declaration and other offers end; a refused export review moves nothing.
No step here retries: each read follows the write it depends on at once."""

from __future__ import annotations

from tests.integration.auctions.conftest import bid
from tests.integration.auctions.test_lifecycle import wait_status
from tests.integration.register.conftest import declaration_body, kinds, rights


async def won(auction_house, client, operator, *, country: str = "CN"):
    """A university's lot sold in a short auction to one bidder (closed_won)."""
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id, seconds=2.5)
    buyer = await auction_house.bidder(a["id"], country=country)
    assert (await bid(buyer, a["id"], "1000.00")).status == 201
    await wait_status(seller, f"/v1/auctions/{a['id']}", "closed_won", timeout=10)
    listing = await (await seller.get(f"/v1/listings/{listing_id}")).json()
    return seller, buyer, a["id"], listing_id, listing["patents"][0]["patent_id"]


async def test_settlement_moves_ownership_and_the_market_follows(auction_house, client, operator, register):
    seller, listing_id = await auction_house.lot()
    patent_id = (await (await seller.get(f"/v1/listings/{listing_id}")).json())["patents"][0]["patent_id"]
    # Before the sale: an open licence with one licensee, and a second (draft) listing.
    r = await seller.post("/v1/open-licences", declaration_body(patent_id))
    assert r.status == 201, await r.text()
    declaration = await r.json()
    taker = await register("enterprise")
    r = await taker.post(f"/v1/open-licences/{declaration['id']}/acceptances", {})
    assert r.status == 201, await r.text()
    licence = await r.json()
    other = await seller.supply([patent_id], modes=["ordinary_licence"], title="同一专利普通许可")

    a = await auction_house.auction(seller, listing_id, seconds=2.5)
    buyer = await auction_house.bidder(a["id"])
    assert (await bid(buyer, a["id"], "1000.00")).status == 201
    await wait_status(seller, f"/v1/auctions/{a['id']}", "closed_won", timeout=10)
    r = await client.post(f"/v1/auctions/{a['id']}/settle", headers=operator)
    assert r.status == 200, await r.text()

    patent = await rights(seller, patent_id)
    assert patent["owner_org_id"] == buyer.id
    (t,) = patent["transfers"]
    assert (t["from_org_id"], t["to_org_id"], t["reference_kind"], t["reference_id"]) == (
        seller.id, buyer.id, "auction", a["id"])
    assert t["price"] == {"amount": "1000.00", "currency": "CNY"} and t["recording_status"] == "due"
    # The licence granted before the transfer stays; the declaration (the seller's) ended.
    assert kinds(patent) == ["ordinary_licence"]
    assert (await (await taker.get(f"/v1/licences/{licence['id']}")).json())["status"] == "active"
    d = await (await seller.get(f"/v1/open-licences/{declaration['id']}")).json()
    assert (d["status"], d["ended_reason"]) == ("ended", "patent-transferred")
    assert (await (await seller.get(f"/v1/listings/{listing_id}")).json())["status"] == "sold"
    assert (await (await seller.get(f"/v1/listings/{other['listing_id']}")).json())["status"] == "withdrawn"

    # The former owner is refused, naming the rule; the new owner lists it.
    r = await seller.post("/v1/listings", {"kind": "supply", "title": "再卖一次", "patent_ids": [patent_id],
                                           "modes": ["transfer"], "negotiable": True})
    assert r.status == 422 and (await r.json())["type"].endswith("/patent-not-owned")
    mine = await buyer.supply([patent_id])
    r = await buyer.post(f"/v1/listings/{mine['listing_id']}/publish")
    assert r.status == 200, await r.text()
    # …and the buyer, now the patentee, may declare an open licence of its own.
    r = await buyer.post("/v1/open-licences", declaration_body(patent_id))
    assert r.status == 201, await r.text()

    # The recording with CNIPA is the buyer's step to report.
    r = await seller.post(f"/v1/patents/{patent_id}/transfers/{t['id']}/recording", {"recording_no": "ZL-BG-1"})
    assert r.status == 403
    r = await buyer.post(f"/v1/patents/{patent_id}/transfers/{t['id']}/recording", {"recording_no": "ZL-BG-1"})
    assert r.status == 200, await r.text()
    assert (await r.json())["transfers"][0]["recording_status"] == "recorded"


async def test_a_refused_export_review_transfers_nothing(auction_house, client, operator):
    seller, buyer, aid, listing_id, patent_id = await won(auction_house, client, operator, country="US")
    r = await client.post(f"/v1/auctions/{aid}/settle", headers=operator)
    assert (await r.json())["status"] == "pending_export_review"
    r = await client.post(f"/v1/auctions/{aid}/export-review", json={"approve": False}, headers=operator)
    assert r.status == 200, await r.text()
    patent = await rights(seller, patent_id)
    assert patent["owner_org_id"] == seller.id and patent["transfers"] == []
    assert kinds(patent) == ["transfer_offer"]  # the lot is back on the market, free of the auction
    assert (await (await seller.get(f"/v1/listings/{listing_id}")).json())["status"] == "published"


async def test_an_approved_export_review_transfers_abroad(auction_house, client, operator):
    seller, buyer, aid, _, patent_id = await won(auction_house, client, operator, country="US")
    await client.post(f"/v1/auctions/{aid}/settle", headers=operator)
    r = await client.post(f"/v1/auctions/{aid}/export-review", json={"approve": True}, headers=operator)
    assert (await r.json())["status"] == "settled"
    assert (await rights(seller, patent_id))["owner_org_id"] == buyer.id
