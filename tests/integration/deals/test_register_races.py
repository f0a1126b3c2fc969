"""The register decides between a deal and the other channels that want the same patent,
whatever their timing: a transfer deal racing an auction, an exclusive-licence deal
racing an open-licence declaration. Exactly one wins each round."""

from __future__ import annotations

import asyncio

from tests.integration.deals.conftest import eventually, ok, propose
from tests.integration.register.conftest import auction_body, decided, declaration_body

ROUNDS = 10


async def _deal_outcome(org, r) -> str:
    """The deal's final status after a confirmation (a 202 is followed until decided)."""
    body = await r.json()
    if r.status == 409 or r.status == 422:
        return "refused"
    assert r.status in (200, 202), body

    async def final():
        got = await (await org.get(f"/v1/deals/{body['deal_id']}")).json()
        return got["status"] if got["status"] != "agreeing" else None

    return await eventually(final, timeout=30)


async def test_a_transfer_deal_racing_an_auction(register):
    uni = await register()
    ent = await register("enterprise")
    outcomes = []
    for _ in range(ROUNDS):
        p = await uni.patent()
        listing = await uni.supply([p["patent_id"]])
        await ok(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"))
        d = await propose(uni, ent, [p["patent_id"]])
        confirm, auction = await asyncio.gather(
            ent.post(f"/v1/deals/{d['deal_id']}/confirm", {"version": 1}),
            uni.post("/v1/auctions", auction_body(listing["listing_id"])))
        deal_status = await _deal_outcome(ent, confirm)
        auction_status, auction_body_ = await decided(uni, auction, "/v1/auctions")
        won = (deal_status == "agreed", auction_status == 201)
        assert won in ((True, False), (False, True)), (deal_status, auction_status, auction_body_)
        held = [e["kind"] for e in (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"]]
        assert ("deal_transfer" in held) == won[0] and ("auction" in held) == won[1], held
        outcomes.append(won)
    # Either may win a round; the point is that never both (nor neither) do.
    assert all(sum(w) == 1 for w in outcomes)


async def test_an_exclusive_licence_deal_racing_an_open_licence(register):
    uni = await register()
    ent = await register("enterprise")
    for _ in range(ROUNDS):
        p = await uni.patent()
        d = await propose(uni, ent, [p["patent_id"]], "exclusive_licence")
        confirm, declaration = await asyncio.gather(
            ent.post(f"/v1/deals/{d['deal_id']}/confirm", {"version": 1}),
            uni.post("/v1/open-licences", declaration_body(p["patent_id"])))
        deal_status = await _deal_outcome(ent, confirm)
        declared, body = await decided(uni, declaration, "/v1/open-licences")
        won = (deal_status == "agreed", declared == 201)
        assert won in ((True, False), (False, True)), (deal_status, declared, body)
        if won[1]:
            got = await ok(await ent.get(f"/v1/deals/{d['deal_id']}"))
            assert got["refusal"]["rule"] == "open-licence-in-force"
        else:
            assert body["type"].endswith("/exclusive-licence-agreed"), body


async def test_an_exclusive_licence_granted_by_a_deal_bars_an_open_licence(register, client, operator):
    uni = await register()
    ent = await register("enterprise")
    p = await uni.patent()
    d = await propose(uni, ent, [p["patent_id"]], "sole_licence")
    assert (await ok(await ent.post(f"/v1/deals/{d['deal_id']}/confirm", {"version": 1})))["status"] == "agreed"
    await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))
    # The licences context granted the sole licence; the register holds it instead of the deal.
    (lic,) = (await ok(await uni.get("/v1/licences", params={"role": "licensor"})))["items"]
    assert (lic["kind"], lic["deal_id"]) == ("sole", d["deal_id"])
    held = [(e["kind"], e["reference_id"]) for e in
            (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"]]
    assert held == [("sole_licence", lic["id"])]
    status, body = await decided(uni, await uni.post("/v1/open-licences", declaration_body(p["patent_id"])),
                                 "/v1/open-licences")
    assert status == 422 and body["type"].endswith("/exclusive-licence-in-force")
