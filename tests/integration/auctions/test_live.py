"""The live stream: state on connect, then every bid, extension and the close, in order;
a reconnect with ?after= misses nothing."""

from __future__ import annotations

import asyncio

from tests.integration.auctions.conftest import bid


async def receive(ws, n: int, timeout: float = 5.0) -> list[dict]:
    out = []
    async with asyncio.timeout(timeout):
        while len(out) < n:
            out.append(await ws.receive_json())
    return out


async def test_streams_bids_in_order_and_resumes_after_a_reconnect(auction_house, client, operator):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id, seconds=4)
    aid = a["id"]
    alice = await auction_house.bidder(aid)
    bob = await auction_house.bidder(aid)
    async with client.ws_connect(f"/v1/auctions/{aid}/live", headers=alice.headers) as ws:
        state = await ws.receive_json()
        assert state["type"] == "state" and state["data"]["bid_count"] == 0
        assert (await bid(alice, aid, "1000.00")).status == 201
        assert (await bid(bob, aid, "1100.00")).status == 201
        got = [m for m in await receive(ws, 3) if m["type"] == "bid_accepted"][:2]
        while len(got) < 2:
            m = await ws.receive_json()
            if m["type"] == "bid_accepted":
                got.append(m)
        assert [m["data"]["amount"]["amount"] for m in got] == ["1000.00", "1100.00"]
        assert [m["data"]["you"] for m in got] == [True, False]
        assert got[0]["sequence"] < got[1]["sequence"]
        assert all(m["data"]["bidder"].startswith("bidder-") for m in got)
        last_seen = got[0]["sequence"]
    # Reconnect as if the second bid had been missed: it comes again, then the close.
    async with client.ws_connect(f"/v1/auctions/{aid}/live?after={last_seen}", headers=bob.headers) as ws:
        assert (await ws.receive_json())["type"] == "state"
        replay = await ws.receive_json()
        assert replay["type"] == "bid_accepted" and replay["data"]["amount"]["amount"] == "1100.00"
        assert replay["data"]["you"] is True
        async with asyncio.timeout(10):
            while True:
                m = await ws.receive_json()
                if m["type"] == "closed":
                    break
        assert m["data"]["outcome"] == "closed_won" and m["data"]["you"] is True
        assert m["data"]["price"] == {"amount": "1100.00", "currency": "CNY"}  # money as REST has it
        # The settlement reaches the viewers too, naming no organisation.
        assert (await client.post(f"/v1/auctions/{aid}/settle", headers=operator)).status == 200
        async with asyncio.timeout(10):
            while (m := await ws.receive_json())["type"] != "settled":
                pass
        assert m["data"]["price"] == {"amount": "1100.00", "currency": "CNY"}
        assert "winner_org_id" not in m["data"] and "seller_org_id" not in m["data"]
    async with client.ws_connect(f"/v1/auctions/{aid}/live", headers=bob.headers) as ws:
        state = (await ws.receive_json())["data"]
        assert state["current_price"] == {"amount": "1100.00", "currency": "CNY"} and state["status"] == "settled"


async def test_the_stream_needs_an_api_key(auction_house, client):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id)
    r = await client.get(f"/v1/auctions/{a['id']}/live")
    assert r.status == 401


async def test_a_browser_offers_its_key_as_a_subprotocol(auction_house, client):
    """Browsers cannot set headers on a WebSocket: the key comes as ``psm.bearer.<key>``
    beside ``psm.v1``, and the server selects ``psm.v1`` (never echoing the key)."""
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id)
    alice = await auction_house.bidder(a["id"])
    key = alice.headers["Authorization"].removeprefix("Bearer ")
    async with client.ws_connect(f"/v1/auctions/{a['id']}/live", protocols=("psm.v1", f"psm.bearer.{key}")) as ws:
        assert ws.protocol == "psm.v1"
        state = await ws.receive_json()
        assert state["type"] == "state" and state["data"]["id"] == a["id"]
    # A wrong key offered that way is refused like a wrong header.
    r = await client.get(f"/v1/auctions/{a['id']}/live", headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "psm.v1, psm.bearer.psm_nobody_x"})
    assert r.status == 401 and (await r.json())["status"] == 401
