"""A negotiated deal through every state, the wrong party at each step, terms refused by
field, export review, licences granted by deals, and the transaction certificate."""

from __future__ import annotations

import io

import pypdf

from services.deals.sweeper import LapseSweeper
from services.runtime.storage import create_pool

from tests.integration.deals.conftest import agree, cny, licence_terms, ok, propose, transfer_terms


async def test_a_transfer_deal_through_every_state(register, client, operator):
    uni = await register()
    ent = await register("enterprise")
    stranger = await register("enterprise")
    p = await uni.patent()
    pid = p["patent_id"]

    d = await propose(uni, ent, [pid])
    deal = d["deal_id"]
    assert (d["status"], d["version"], d["confirmed_by"], d["proposed_by"]) == ("proposed", 1, ["owner"], "owner")
    assert d["history"][0]["step"] == "proposed"

    # The counterparty counters: a new version, the owner's confirmation lapses.
    c = await ok(await ent.post(f"/v1/deals/{deal}/counter", {"version": 1, "terms": transfer_terms("800000.00")}))
    assert (c["status"], c["version"], c["confirmed_by"], c["terms"]["price"]) == (
        "countered", 2, ["counterparty"], cny("800000.00"))

    # The wrong party, at each step. An outsider cannot even see the deal (404: it
    # learns nothing of it); the operator is not a party (403); a party may not take
    # the operator's steps (403); a stale version is refused (409).
    assert (await stranger.get(f"/v1/deals/{deal}")).status == 404
    assert (await stranger.post(f"/v1/deals/{deal}/confirm", {"version": 2})).status == 404
    r = await client.post(f"/v1/deals/{deal}/confirm", json={"version": 2}, headers=operator)
    assert r.status == 403 and (await r.json())["type"].endswith("/not-a-party")
    assert (await uni.post(f"/v1/deals/{deal}/payment", {})).status == 403
    assert (await ent.post(f"/v1/deals/{deal}/export-review", {"approve": True, "reasons": "x"})).status == 403
    r = await uni.post(f"/v1/deals/{deal}/confirm", {"version": 1})
    assert r.status == 409 and (await r.json())["type"].endswith("/terms-changed")
    r = await ent.post(f"/v1/deals/{deal}/confirm", {"version": 2})
    assert r.status == 409 and (await r.json())["type"].endswith("/already-confirmed")
    r = await client.post(f"/v1/deals/{deal}/payment", json={}, headers=operator)
    assert r.status == 409 and (await r.json())["type"].endswith("/deal-not-agreed")

    # The owner confirms version 2: the register reserves the patent, the deal is agreed.
    a = await ok(await uni.post(f"/v1/deals/{deal}/confirm", {"version": 2}))
    assert a["status"] == "agreed" and a["agreed_at"]
    rights = await ok(await uni.get(f"/v1/patents/{pid}"))
    assert [e["kind"] for e in rights["encumbrances"]] == ["deal_transfer"]
    r = await ent.post(f"/v1/deals/{deal}/counter", {"version": 2, "terms": transfer_terms()})
    assert r.status == 409 and (await r.json())["type"].endswith("/deal-not-open")

    # Paid: ownership moves at once; a certificate is issued.
    paid = await ok(await client.post(f"/v1/deals/{deal}/payment", json={"payment_reference": "ESC-1"},
                                      headers=operator))
    assert paid["status"] == "paid" and paid["unrecorded_patent_ids"] == [pid]
    assert paid["certificate_code"]
    rights = await ok(await ent.get(f"/v1/patents/{pid}"))
    assert rights["owner_org_id"] == ent.id and rights["encumbrances"] == []
    (t,) = rights["transfers"]
    assert (t["reference_kind"], t["reference_id"]) == ("deal", deal)
    assert (await uni.post(f"/v1/deals/{deal}/cancel", {})).status == 409

    # Recorded with CNIPA (by the new owner, at the register): the deal is recorded.
    await ok(await ent.post(f"/v1/patents/{pid}/transfers/{t['id']}/recording", {"recording_no": "BG-2026-1"}))
    recorded = await ok(await uni.get(f"/v1/deals/{deal}"))
    assert recorded["status"] == "recorded" and recorded["unrecorded_patent_ids"] == []

    # Technology-contract registration (技术合同登记), once.
    reg = await ok(await ent.post(f"/v1/deals/{deal}/contract-registration", {"registration_no": "31011-2026-9"}))
    assert reg["contract_registration_no"] == "31011-2026-9"
    assert (await uni.post(f"/v1/deals/{deal}/contract-registration", {"registration_no": "x"})).status == 409
    assert [h["step"] for h in reg["history"]] == ["proposed", "countered", "confirmed", "agreed", "paid",
                                                   "recorded", "contract_registered"]


async def test_the_certificate_parses_and_verifies_and_a_tampered_code_does_not(register, client, operator):
    uni = await register()
    ent = await register("enterprise")
    p = await uni.patent()
    d = await agree(uni, ent, [p["patent_id"]])
    paid = await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))
    code = paid["certificate_code"]

    v = await ok(await client.get(f"/v1/certificates/{code}"))  # no key: anyone may verify
    assert (v["subject"], v["subject_id"], v["valid"]) == ("deal", d["deal_id"], True)
    assert {x["org_id"] for x in v["parties"]} == {uni.id, ent.id}
    assert v["patents"] == [{"patent_id": p["patent_id"], "number": p["number"], "title": p["title"]}]
    assert v["terms"]["price"] == cny("880000.00")

    r = await client.get(f"/v1/certificates/{code}/pdf")
    assert r.status == 200 and r.content_type == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(await r.read()))
    text = "".join(page.extract_text() for page in pdf.pages)
    for fact in (code, p["number"], p["title"], uni.id, ent.id, "880000.00", "transferor", "paid"):
        assert fact in text, fact

    # Lower case and without hyphens is the same code; one character changed is not.
    assert (await client.get(f"/v1/certificates/{code.replace('-', '').lower()}")).status == 200
    flipped = code[:-1] + ("0" if code[-1] != "0" else "1")
    tampered = code[:2] + ("A" if code[2] != "A" else "B") + code[3:]
    for bad in (flipped, tampered, "NOT-A-CODE"):
        r = await client.get(f"/v1/certificates/{bad}")
        assert r.status == 404 and (await r.json())["type"].endswith("/certificate-not-found"), bad


async def test_terms_are_refused_naming_the_field(register):
    uni = await register()
    ent = await register("enterprise")
    p = await uni.patent()
    cases = [
        ("transfer", {"payment_method": "escrow"}, "terms.price"),
        ("transfer", {"price": cny("1.00"), "territory": "CN"}, "terms.territory"),
        ("exclusive_licence", {"price": cny("1.00"), **licence_terms()}, "terms.price"),
        ("ordinary_licence", licence_terms(territory=None), "terms.territory"),
        ("ordinary_licence", licence_terms(royalty={"basis": "percent_of_revenue"}), "terms.royalty.rate_percent"),
        ("equity", {"valuation": cny("10.00")}, "terms.equity_share_percent"),
        ("equity", {"valuation": cny("10.00"), "equity_share_percent": "5",
                    "price": {"amount": "1.00", "currency": "USD"}}, "terms.price"),
        ("transfer", {"price": {"amount": "1.00", "currency": "USD"}, "valuation": cny("1.00")},
         "terms.valuation"),
        ("exclusive_licence", licence_terms(royalty={"basis": "lump_sum", "amount": cny("1.00")}, term_years=None),
         "terms.term_years"),
    ]
    for kind, terms, field in cases:
        r = await uni.post("/v1/deals", {"kind": kind, "patent_ids": [p["patent_id"]],
                                         "counterparty_org_id": ent.id, "terms": terms})
        body = await r.json()
        assert r.status == 422, (kind, terms, body)
        assert field in [e["field"] for e in body["errors"]], (kind, field, body)
    r = await uni.post("/v1/deals", {"kind": "transfer", "patent_ids": [p["patent_id"]], "terms": transfer_terms()})
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "counterparty_org_id"
    r = await ent.post("/v1/deals", {"kind": "transfer", "patent_ids": ["pat_nope"], "terms": transfer_terms()})
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "patent_ids"
    # Nothing was half-written: neither party has a deal.
    assert (await ok(await uni.get("/v1/deals")))["items"] == []


async def test_a_counterparty_proposes_from_a_listing(register, client, operator):
    uni = await register()
    ent = await register("enterprise")
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]], modes=["transfer", "ordinary_licence"])
    await ok(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"))
    r = await ent.post("/v1/deals", {"kind": "equity", "listing_id": listing["listing_id"], "terms": {}})
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "kind"
    d = await ok(await ent.post("/v1/deals", {"kind": "ordinary_licence", "listing_id": listing["listing_id"],
                                              "terms": licence_terms()}), 201)
    assert (d["owner_org_id"], d["counterparty_org_id"], d["proposed_by"], d["patent_ids"]) == (
        uni.id, ent.id, "counterparty", [p["patent_id"]])
    a = await ok(await uni.post(f"/v1/deals/{d['deal_id']}/confirm", {"version": 1}))
    assert a["status"] == "agreed"
    # An ordinary licence holds nothing on the patent: it excludes no one.
    held = [e["kind"] for e in (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"]]
    assert not {"deal_transfer", "deal_exclusive"} & set(held), held
    paid = await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))
    (lic,) = (await ok(await ent.get("/v1/licences", params={"role": "licensee"})))["items"]
    assert (lic["kind"], lic["deal_id"], lic["open_licence_id"], lic["territory"]) == (
        "ordinary", d["deal_id"], None, "中国大陆")
    assert lic["terms"]["basis"] == "entry_fee_plus_rate" and lic["filing_status"] == "filing_due"
    # The licence's filing (备案) records the deal.
    await ok(await ent.post(f"/v1/licences/{lic['id']}/filing", {"filing_no": "BA-1"}))
    assert (await ok(await ent.get(f"/v1/deals/{paid['deal_id']}")))["status"] == "recorded"
    # Royalties are paid on the deal's terms: the entry fee plus 2.5 % of revenue.
    year = int(lic["effective_date"][:4])
    pay = await ok(await ent.post(f"/v1/licences/{lic['id']}/payments", {
        "period": year, "reported_revenue": cny("1000000.00"), "amount": cny("125000.00")}), 201)
    assert pay["balance"]["outstanding"] == cny("0.00")


async def test_cancel_releases_and_a_proposal_lapses(register, client, operator, settings):
    uni = await register()
    ent = await register("enterprise")
    p = await uni.patent()
    d = await agree(uni, ent, [p["patent_id"]])
    assert [e["kind"] for e in (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"]] == [
        "deal_transfer"]
    c = await ok(await ent.post(f"/v1/deals/{d['deal_id']}/cancel", {"reason": "financing fell through"}))
    assert c["status"] == "cancelled"
    assert (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"] == []
    # The patent is free again: a new deal is agreed.
    assert (await agree(uni, ent, [p["patent_id"]]))["status"] == "agreed"

    # A proposal not agreed within its window lapses (the sweeper), and takes no answer.
    q = await uni.patent()
    lapsing = await propose(uni, ent, [q["patent_id"]], negotiation_days=1)
    pool = await create_pool(settings, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("UPDATE deals.deals SET expires_at = now() - interval '1 second' WHERE id = $1",
                               lapsing["deal_id"])
        r = await ent.post(f"/v1/deals/{lapsing['deal_id']}/confirm", {"version": 1})
        assert r.status == 409 and (await r.json())["type"].endswith("/deal-expired")
        assert await LapseSweeper(pool).step() == 1
    finally:
        await pool.close()
    got = await ok(await ent.get(f"/v1/deals/{lapsing['deal_id']}"))
    assert (got["status"], got["history"][-1]["step"]) == ("expired", "expired")


async def test_a_patent_leaving_force_cancels_its_open_deals(register):
    uni = await register()
    ent = await register("enterprise")
    p = await uni.patent()
    agreed = await agree(uni, ent, [p["patent_id"]])
    proposed = await propose(uni, ent, [p["patent_id"]], "ordinary_licence")
    await ok(await uni.patch(f"/v1/patents/{p['patent_id']}", {"legal_status": "invalidated"}))
    for d in (agreed, proposed):
        got = await ok(await ent.get(f"/v1/deals/{d['deal_id']}"))
        assert got["status"] == "cancelled" and got["history"][-1]["step"] == "cancelled"
    assert (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"] == []
