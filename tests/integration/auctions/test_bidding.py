"""Bid rules and proxy bidding over HTTP (DESIGN §8)."""

from __future__ import annotations

import asyncio

from tests.integration.auctions.conftest import bid


async def rule_of(r, status: int) -> str:
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    return (await r.json())["type"].rsplit("/", 1)[1]


async def test_every_bid_rule_answers_with_its_problem(auction_house, register):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id)
    aid = a["id"]
    alice = await auction_house.bidder(aid)
    bob = await auction_house.bidder(aid)
    assert await rule_of(await bid(alice, aid, "900.00"), 409) == "bid-too-low"
    assert (await bid(alice, aid, "1000.00")).status == 201
    assert await rule_of(await bid(alice, aid, "1100.00"), 409) == "already-leading"
    assert await rule_of(await bid(bob, aid, "1050.00"), 409) == "bid-too-low"
    assert await rule_of(await bid(bob, aid, "1150.00"), 409) == "bid-not-on-increment"
    stranger = await register("enterprise")
    assert await rule_of(await bid(stranger, aid, "1200.00"), 403) == "not-registered"
    unpaid = await auction_house.bidder(aid, confirm=False)
    assert await rule_of(await bid(unpaid, aid, "1200.00"), 403) == "deposit-unpaid"
    r = await bid(bob, aid, "1300.00")
    state = await r.json()
    assert r.status == 201 and state["current_price"]["amount"] == "1300.00" and state["leading"] is True
    assert await rule_of(await bid(seller, aid, "1400.00"), 403) in ("not-registered", "seller-cannot-bid")


async def test_no_bid_before_the_opening(auction_house):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id, starts_in=3600)
    alice = await auction_house.bidder(a["id"])
    assert await rule_of(await bid(alice, a["id"], "1000.00"), 409) == "auction-not-open"


async def test_equal_maxima_the_earlier_keeps_the_lead_and_the_price_moves(auction_house, client, operator):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id)
    aid = a["id"]
    alice = await auction_house.bidder(aid)
    bob = await auction_house.bidder(aid)
    assert (await bid(alice, aid, "1000.00", "2000.00")).status == 201
    assert await rule_of(await bid(bob, aid, "1100.00", "2000.00"), 409) == "outbid-by-proxy"
    state = await (await alice.get(f"/v1/auctions/{aid}")).json()
    assert state["current_price"]["amount"] == "2000.00" and state["leading"] is True
    bids = await (await client.get(f"/v1/auctions/{aid}/bids", headers=operator)).json()
    assert [(b["amount"]["amount"], b["proxy"], b["bidder"]) for b in bids["items"]] == [
        ("1000.00", False, alice.id), ("2000.00", True, alice.id)]
    # Others see masked bidders; a bidder sees itself.
    seen_by_bob = await (await bob.get(f"/v1/auctions/{aid}/bids")).json()
    assert all(b["bidder"].startswith("bidder-") for b in seen_by_bob["items"])


async def test_reserve_met_by_a_proxy(auction_house):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id, reserve="1800.00")
    alice = await auction_house.bidder(a["id"])
    r = await bid(alice, a["id"], "1000.00", "2500.00")
    state = await r.json()
    assert state["reserve_met"] is True and state["current_price"]["amount"] == "1800.00"
    assert "reserve_price" not in state


async def test_concurrent_bids_strictly_increase_with_consecutive_sequences(auction_house, client, operator):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id, inc="10.00")
    aid = a["id"]
    bidders = [await auction_house.bidder(aid) for _ in range(6)]

    async def hammer(b, k: int):
        statuses = []
        for i in range(8):
            current = await (await b.get(f"/v1/auctions/{aid}")).json()
            price = current["current_price"]["amount"] if current["current_price"] else None
            nxt = "1000.00" if price is None else f"{float(price) + 10 * (1 + (k + i) % 3):.2f}"
            statuses.append((await bid(b, aid, nxt)).status)
        return statuses

    results = await asyncio.gather(*(hammer(b, k) for k, b in enumerate(bidders)))
    assert {s for r in results for s in r} <= {201, 409}
    bids = await (await client.get(f"/v1/auctions/{aid}/bids", params={"limit": "200"}, headers=operator)).json()
    amounts = [float(b["amount"]["amount"]) for b in bids["items"]]
    assert [b["sequence"] for b in bids["items"]] == list(range(1, len(amounts) + 1))
    assert all(x < y for x, y in zip(amounts, amounts[1:]))
    assert len(amounts) == sum(r.count(201) for r in results)


async def test_a_retried_bid_with_the_same_idempotency_key_counts_once(auction_house):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id)
    alice = await auction_house.bidder(a["id"])
    key = {"Idempotency-Key": "bid-once"}
    first = await bid(alice, a["id"], "1000.00", headers=key)
    again = await bid(alice, a["id"], "1000.00", headers=key)
    assert first.status == again.status == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    state = await (await alice.get(f"/v1/auctions/{a['id']}")).json()
    assert state["bid_count"] == 1
