"""Export review and certificates in every channel: a negotiated deal, an auction, an
open-licence acceptance (知识产权对外转让审查, plan item 二十一; 交易鉴证, item 十八)."""

from __future__ import annotations

from tests.integration.auctions.conftest import bid
from tests.integration.auctions.test_lifecycle import wait_status
from tests.integration.deals.conftest import agree, eventually, ok, propose
from tests.integration.licences.conftest import declaration_body


async def test_a_transfer_abroad_waits_for_export_review(register, client, operator):
    uni = await register()
    foreign = await register("enterprise", country="US")
    p, q = await uni.patent(), await uni.patent()

    # Refused: the deal ends and the patent is free again.
    d = await agree(uni, foreign, [p["patent_id"]])
    assert (d["status"], d["export_review"]) == ("pending_export_review", "pending")
    r = await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator)
    assert r.status == 409 and (await r.json())["type"].endswith("/export-review-pending")
    refused = await ok(await client.post(f"/v1/deals/{d['deal_id']}/export-review", json={
        "approve": False, "reasons": "核心技术出口限制", "documents": ["商务部意见 2026-17"]}, headers=operator))
    assert (refused["status"], refused["export_review"]) == ("export_refused", "refused")
    assert (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"] == []

    # Approved: paid, and the patent changes hands.
    d = await agree(uni, foreign, [q["patent_id"]])
    approved = await ok(await client.post(f"/v1/deals/{d['deal_id']}/export-review", json={
        "approve": True, "reasons": "自由出口技术", "documents": ["登记证书 2026-3"]}, headers=operator))
    assert (approved["status"], approved["export_review"]) == ("agreed", "approved")
    await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))
    assert (await ok(await foreign.get(f"/v1/patents/{q['patent_id']}")))["owner_org_id"] == foreign.id
    steps = [h["step"] for h in (await ok(await uni.get(f"/v1/deals/{d['deal_id']}")))["history"]]
    assert steps == ["proposed", "confirmed", "agreed", "export_review_requested", "export_approved", "paid"]


async def test_a_licence_abroad_is_flagged_for_export_registration_not_reviewed(register, client, operator):
    uni = await register()
    foreign = await register("enterprise", country="JP")
    p = await uni.patent()
    d = await propose(uni, foreign, [p["patent_id"]], "ordinary_licence")
    assert d["technology_export_registration"] is True
    a = await ok(await foreign.post(f"/v1/deals/{d['deal_id']}/confirm", {"version": 1}))
    assert (a["status"], a["export_review"]) == ("agreed", "not_required")
    await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))
    (lic,) = (await ok(await foreign.get("/v1/licences")))["items"]
    assert lic["technology_export_registration"] is True


async def test_an_open_licence_abroad_is_flagged_and_certified(register, client):
    uni = await register()
    foreign = await register("enterprise", country="US")
    domestic = await register("enterprise")
    p = await uni.patent()
    decl = await ok(await uni.post("/v1/open-licences", declaration_body(p["patent_id"])), 201)
    abroad = await ok(await foreign.post(f"/v1/open-licences/{decl['id']}/acceptances", {}), 201)
    home = await ok(await domestic.post(f"/v1/open-licences/{decl['id']}/acceptances", {}), 201)
    assert (abroad["technology_export_registration"], home["technology_export_registration"]) == (True, False)

    # Each licence has its certificate; the licensee finds it, anyone verifies it.
    got = await ok(await foreign.get("/v1/certificates", params={"subject": "open_licence_licence",
                                                                  "subject_id": abroad["id"]}))
    (c,) = got["items"]
    assert {x["org_id"] for x in c["parties"]} == {uni.id, foreign.id}
    assert c["patents"][0]["number"] == p["number"] and c["terms"]["open_licence_id"] == decl["id"]
    assert (await ok(await client.get(f"/v1/certificates/{c['code']}")))["subject_id"] == abroad["id"]
    # Someone not a party sees no certificate of it.
    assert (await ok(await domestic.get("/v1/certificates", params={
        "subject": "open_licence_licence", "subject_id": abroad["id"]})))["items"] == []

    # Registered as a technology contract once filed (plan item 九), not before.
    r = await foreign.post(f"/v1/licences/{abroad['id']}/contract-registration", {"registration_no": "J-1"})
    assert r.status == 409 and (await r.json())["type"].endswith("/licence-not-filed")
    await ok(await foreign.post(f"/v1/licences/{abroad['id']}/filing", {"filing_no": "BA-9"}))
    reg = await ok(await foreign.post(f"/v1/licences/{abroad['id']}/contract-registration", {"registration_no": "J-1"}))
    assert reg["contract_registration_no"] == "J-1"


async def test_a_sold_auction_is_certified(auction_house, client, operator):
    seller, listing_id = await auction_house.lot()
    a = await auction_house.auction(seller, listing_id, seconds=2.5)
    buyer = await auction_house.bidder(a["id"])
    assert (await bid(buyer, a["id"], "1000.00")).status == 201
    await wait_status(seller, f"/v1/auctions/{a['id']}", "closed_won", timeout=10)
    await ok(await client.post(f"/v1/auctions/{a['id']}/settle", headers=operator))
    (c,) = (await ok(await buyer.get("/v1/certificates", params={"subject": "auction", "subject_id": a["id"]})))[
        "items"]
    assert [(x["role"], x["org_id"]) for x in c["parties"]] == [("seller", seller.id), ("buyer", buyer.id)]
    assert c["terms"]["price"] == {"amount": "1000.00", "currency": "CNY"}
    assert len(c["patents"]) == 1


async def test_a_paid_licence_deal_is_granted_even_before_its_patent_reaches_licences(register, foreign_events):
    """Events of two topics arrive in any order (a fresh start replays both): the licence
    is granted from the deal's own snapshot of its patents, not from a copy that may lag."""
    from datetime import UTC, date, datetime

    from events.schemas.common import Money
    from events.schemas.deals import DealPaid, DealSnapshot, DealTerms
    from events.schemas.listings import PatentSnapshot

    uni, ent = await register(), await register("enterprise")
    now = datetime.now(UTC)
    patent = PatentSnapshot(patent_id="pat_unseen_" + uni.id[-6:], number="ZL202010000001.X", title="t",
                            kind="invention", ipc=["H01M 4/525"], filing_date=date(2020, 1, 1),
                            legal_status="granted", expires_on=date(2040, 1, 1), owner_org_id=uni.id)
    deal_id = "dl_unseen_" + uni.id[-6:]
    await foreign_events("deals", deal_id, DealPaid(deal=DealSnapshot(
        deal_id=deal_id, kind="ordinary_licence", status="paid", owner_org_id=uni.id, counterparty_org_id=ent.id,
        counterparty_country="CN", proposed_by="owner", patent_ids=[patent.patent_id], patents=[patent],
        terms=DealTerms(royalty={"basis": "lump_sum", "amount": Money(amount="10.00")}, territory="CN", term_years=2),
        version=1, created_at=now, expires_at=now, paid_at=now)))

    async def granted():
        items = (await ok(await ent.get("/v1/licences", params={"role": "licensee"})))["items"]
        return items or None

    (lic,) = await eventually(granted, timeout=15)
    assert (lic["deal_id"], lic["patent_id"], lic["kind"]) == (deal_id, patent.patent_id, "ordinary")
