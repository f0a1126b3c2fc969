"""PATCH /v1/patents/{id}: the register records legal-status changes and corrections;
the market reacts through events, and the next request anywhere sees the reaction."""

from __future__ import annotations

from tests.integration.register.conftest import auction_body, declaration_body, kinds, rights


async def test_a_lapse_expires_listings_ends_declarations_and_cancels_auctions(register, auction_house):
    uni = await register()
    p1, p2 = await uni.patent(), await uni.patent()
    offer = await uni.supply([p1["patent_id"]])
    assert (await uni.post(f"/v1/listings/{offer['listing_id']}/publish")).status == 200
    r = await uni.post("/v1/open-licences", declaration_body(p1["patent_id"]))
    assert r.status == 201, await r.text()
    declaration = await r.json()
    lot = await uni.supply([p2["patent_id"]])
    assert (await uni.post(f"/v1/listings/{lot['listing_id']}/publish")).status == 200
    r = await uni.post("/v1/auctions", auction_body(lot["listing_id"]))
    assert r.status == 201, await r.text()
    auction = await r.json()
    bidder = await auction_house.bidder(auction["id"])

    r = await uni.patch(f"/v1/patents/{p1['patent_id']}", {"legal_status": "lapsed", "reason": "年费未缴"})
    assert r.status == 200, await r.text()
    assert (await r.json())["legal_status"] == "lapsed"
    assert (await (await uni.get(f"/v1/listings/{offer['listing_id']}")).json())["status"] == "expired"
    d = await (await uni.get(f"/v1/open-licences/{declaration['id']}")).json()
    assert (d["status"], d["ended_reason"]) == ("ended", "patent-lapsed")
    assert kinds(await rights(uni, p1["patent_id"])) == []

    r = await uni.patch(f"/v1/patents/{p2['patent_id']}", {"legal_status": "invalidated"})
    assert r.status == 200, await r.text()
    a = await (await bidder.get(f"/v1/auctions/{auction['id']}")).json()
    assert a["status"] == "cancelled"
    assert a["my_registration"]["deposit_status"] == "released"
    assert kinds(await rights(uni, p2["patent_id"])) == []


async def test_an_unpaid_fee_suspends_a_declaration_and_a_restoration_resumes_it(register):
    uni, taker = await register(), await register("enterprise")
    p = await uni.patent()
    r = await uni.post("/v1/open-licences", declaration_body(p["patent_id"]))
    declaration = await r.json()
    assert (await uni.patch(f"/v1/patents/{p['patent_id']}", {"legal_status": "fee_unpaid"})).status == 200
    assert (await (await uni.get(f"/v1/open-licences/{declaration['id']}")).json())["status"] == "suspended"
    r = await taker.post(f"/v1/open-licences/{declaration['id']}/acceptances", {})
    assert r.status == 409 and (await r.json())["type"].endswith("/open-licence-suspended")
    assert (await uni.patch(f"/v1/patents/{p['patent_id']}", {"legal_status": "granted"})).status == 200
    assert (await (await uni.get(f"/v1/open-licences/{declaration['id']}")).json())["status"] == "in_force"
    r = await taker.post(f"/v1/open-licences/{declaration['id']}/acceptances", {})
    assert r.status == 201, await r.text()


async def test_only_the_owner_or_operator_changes_a_patent_and_transitions_are_checked(register, client, operator):
    uni, other = await register(), await register()
    p = await uni.patent()
    assert (await other.patch(f"/v1/patents/{p['patent_id']}", {"legal_status": "lapsed"})).status == 403
    r = await uni.patch(f"/v1/patents/{p['patent_id']}", {"legal_status": "expired"})
    assert r.status == 200
    r = await uni.patch(f"/v1/patents/{p['patent_id']}", {"legal_status": "granted"})
    assert r.status == 422 and (await r.json())["type"].endswith("/legal-status-transition")
    r = await client.patch(f"/v1/patents/{p['patent_id']}", json={"title": "更正后的标题"}, headers=operator)
    assert r.status == 200 and (await r.json())["title"] == "更正后的标题"
