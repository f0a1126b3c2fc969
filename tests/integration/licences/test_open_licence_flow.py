"""The whole of an open licence: declaration → catalogue → acceptance → filing →
royalties; withdrawal keeps granted licences; listings' exclusive-licence block."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg

from tests.integration.licences.conftest import accept, catalogue, cny, declare, eventually


async def test_declaration_to_catalogue_to_licence_to_filing_to_royalties(register):
    uni, ent = await register(), await register("enterprise")
    p = await uni.patent(title="一种固态锂电池电解质膜", ipc=["H01M 10/0562"])
    d = await declare(uni, p["patent_id"], royalty={"basis": "entry_fee_plus_rate", "rate_percent": "3.5",
                                                    "amount": cny("50000.00")})
    assert d["terms"] == {"basis": "entry_fee_plus_rate", "rate_percent": "3.5", "amount": cny("50000.00"),
                          "payment_method": "bank_transfer",
                          "payment_schedule": "annually, within 30 days of the year's end", "term_years": 5}
    assert (await (await ent.get(f"/v1/open-licences/{d['id']}")).json())["status"] == "in_force"
    listed = await (await ent.get("/v1/open-licences", params={"patent_id": p["patent_id"]})).json()
    assert [x["id"] for x in listed["items"]] == [d["id"]]

    # The catalogue shows it, with its terms, to anyone searching.
    async def found():
        items = await catalogue(ent, q="固态电解质", ipc="H01M")
        return [i for i in items if i["id"] == d["id"]]

    [item] = await eventually(found, timeout=5)
    assert item["type"] == "open_licence" and item["status"] == "published" and item["open_licence"]
    assert item["title"] == "一种固态锂电池电解质膜" and item["ipc"] == ["H01M 10/0562"]
    assert item["open_licence_terms"]["basis"] == "entry_fee_plus_rate"
    assert item["open_licence_terms"]["rate_percent"] == "3.5" and item["open_licence_terms"]["amount"] == "50000.00"

    # Any organisation accepts and holds an ordinary licence at once; the owner cannot.
    r = await accept(ent, d["id"])
    assert r.status == 201, await r.text()
    lic = await r.json()
    today = datetime.now(UTC).date()
    assert lic["kind"] == "ordinary" and lic["open_licence_id"] == d["id"] and lic["licensee_org_id"] == ent.id
    assert lic["effective_date"] == today.isoformat() and lic["filing_status"] == "filing_due"
    assert date.fromisoformat(lic["filing_due_on"]) > today and lic["terms"] == d["terms"]
    r = await accept(uni, d["id"])
    assert r.status == 422 and (await r.json())["type"].endswith("licensor-cannot-accept")
    r = await accept(ent, d["id"])
    assert r.status == 409 and (await r.json())["type"].endswith("already-licensed")

    # Both parties see it (and its filing due), nobody else does.
    for org, role in ((uni, "licensor"), (ent, "licensee")):
        page = await (await org.get("/v1/licences", params={"status": "filing_due", "role": role})).json()
        assert [x["id"] for x in page["items"]] == [lic["id"]]
    assert (await (await ent.get("/v1/licences", params={"role": "licensor"})).json())["items"] == []
    stranger = await register("enterprise")
    assert (await stranger.get(f"/v1/licences/{lic['id']}")).status == 404
    page = await (await uni.get(f"/v1/open-licences/{d['id']}/licences")).json()
    assert [x["id"] for x in page["items"]] == [lic["id"]]

    # Filing (备案).
    r = await uni.post(f"/v1/licences/{lic['id']}/filing", {"filing_no": "2025990000123"})
    assert r.status == 200, await r.text()
    filed = await r.json()
    assert filed["filing_status"] == "filed" and filed["filing_no"] == "2025990000123"
    assert (await uni.post(f"/v1/licences/{lic['id']}/filing", {"filing_no": "x"})).status == 409
    page = await (await ent.get("/v1/licences", params={"status": "filed"})).json()
    assert [x["id"] for x in page["items"]] == [lic["id"]]

    # Royalties: entry fee 50 000.00 + 3.5 % of 1 234 567.89 (43 209.876… → 43 209.88).
    year = today.year
    r = await ent.post(f"/v1/licences/{lic['id']}/payments",
                       {"period": year, "reported_revenue": cny("1234567.89"), "amount": cny("90000.00")})
    assert r.status == 201, await r.text()
    receipt = await r.json()
    assert receipt["balance"] == {"period": year, "reported_revenue": cny("1234567.89"), "due": cny("93209.88"),
                                  "paid": cny("90000.00"), "outstanding": cny("3209.88")}
    r = await ent.post(f"/v1/licences/{lic['id']}/payments", {"period": year, "amount": cny("3209.89")})
    assert r.status == 422 and (await r.json())["type"].endswith("payment-exceeds-outstanding")
    r = await ent.post(f"/v1/licences/{lic['id']}/payments",
                       {"period": year, "reported_revenue": cny("1.00"), "amount": cny("1.00")})
    assert r.status == 422 and (await r.json())["type"].endswith("revenue-already-reported")
    r = await uni.post(f"/v1/licences/{lic['id']}/payments", {"period": year, "amount": cny("1.00")})
    assert r.status == 403
    r = await ent.post(f"/v1/licences/{lic['id']}/payments", {"period": year, "amount": cny("3209.88")})
    assert r.status == 201 and (await r.json())["balance"]["outstanding"] == cny("0.00")
    # The next year: the rate alone.
    r = await ent.post(f"/v1/licences/{lic['id']}/payments",
                       {"period": year + 1, "reported_revenue": cny("100000.00"), "amount": cny("1000.00")})
    assert (await r.json())["balance"]["due"] == cny("3500.00")
    seen = await (await uni.get(f"/v1/licences/{lic['id']}")).json()
    assert seen["paid"] == cny("94209.88") and len(seen["payments"]) == 3
    assert [(b["period"], b["outstanding"]["amount"]) for b in seen["royalties"]] == [(year, "0.00"),
                                                                                     (year + 1, "2500.00")]


async def test_an_overdue_filing_is_visible_to_both_parties(register, settings):
    uni, ent = await register(), await register("enterprise")
    p = await uni.patent()
    d = await declare(uni, p["patent_id"], royalty={"basis": "fixed_per_year", "amount": cny("10000.00")})
    lic = await (await accept(ent, d["id"])).json()
    # Time cannot be made to pass over HTTP: move this licence's dates back four months.
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("UPDATE licences.licences SET effective_date = effective_date - 122, "
                           "filing_due_on = filing_due_on - 122 WHERE id = $1", lic["id"])
    finally:
        await conn.close()
    for org in (uni, ent):
        page = await (await org.get("/v1/licences", params={"status": "filing_overdue"})).json()
        assert [(x["id"], x["filing_status"]) for x in page["items"]] == [(lic["id"], "filing_overdue")]
        assert (await (await org.get("/v1/licences", params={"status": "filing_due"})).json())["items"] == []


async def test_withdrawal_stops_acceptances_and_keeps_granted_licences(register):
    uni, first, late = await register(), await register("enterprise"), await register("enterprise")
    p = await uni.patent(title="一种钠离子电池负极材料")
    d = await declare(uni, p["patent_id"])
    lic = await (await accept(first, d["id"])).json()
    assert (await first.post(f"/v1/open-licences/{d['id']}/withdraw", {})).status == 422  # not the declarer
    r = await uni.post(f"/v1/open-licences/{d['id']}/withdraw", {})
    assert r.status == 200 and (await r.json())["status"] == "withdrawn"
    r = await accept(late, d["id"])
    assert r.status == 409 and (await r.json())["type"].endswith("open-licence-withdrawn")
    assert (await uni.post(f"/v1/open-licences/{d['id']}/withdraw", {})).status == 409
    kept = await (await first.get(f"/v1/licences/{lic['id']}")).json()
    assert kept["status"] == "active"
    page = await (await uni.get(f"/v1/open-licences/{d['id']}/licences")).json()
    assert [x["id"] for x in page["items"]] == [lic["id"]]

    # The catalogue document is withdrawn: out of default searches, found when asked for.
    async def withdrawn():
        items = await catalogue(late, status="withdrawn")
        return [i for i in items if i["id"] == d["id"]]

    await eventually(withdrawn, timeout=5)
    assert [i for i in await catalogue(late) if i["id"] == d["id"]] == []
    # Declared again (terms are never edited): a new declaration.
    again = await declare(uni, p["patent_id"], term_years=3)
    assert again["id"] != d["id"] and again["terms"]["term_years"] == 3


async def test_the_exclusive_licence_block_follows_the_declaration_in_listings(register):
    uni = await register()
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]], modes=["exclusive_licence"])
    d = await declare(uni, p["patent_id"])

    async def marked():
        return (await (await uni.get(f"/v1/listings/{listing['listing_id']}")).json())["open_licence"]

    await eventually(marked, timeout=15.0, interval=0.02)
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/publish")
    assert r.status == 422 and (await r.json())["type"].endswith("open-licence-in-force")

    assert (await uni.post(f"/v1/open-licences/{d['id']}/withdraw", {})).status == 200

    async def lifted():
        return (await uni.post(f"/v1/listings/{listing['listing_id']}/publish")).status == 200

    await eventually(lifted, timeout=15.0, interval=0.02)
