"""Market figures from the live channels: an open licence's fee and royalties, a deal,
and each institution's inventory (registered → listed → transacted, plan item 一)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.deals.conftest import agree, ok
from tests.integration.licences.conftest import declaration_body
from tests.integration.listings.conftest import register  # noqa: F401


async def test_open_licence_fees_royalties_and_inventory(register, client, operator):  # noqa: F811
    uni = await register()
    ent = await register("enterprise")
    p1, p2, p3 = await uni.patent(), await uni.patent(), await uni.patent()
    listing = await uni.supply([p1["patent_id"]])
    await ok(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"))
    decl = await ok(await uni.post("/v1/open-licences", declaration_body(
        p2["patent_id"], royalty={"basis": "entry_fee_plus_rate", "rate_percent": "2",
                                  "amount": {"amount": "5000.00", "currency": "CNY"}})), 201)
    lic = await ok(await ent.post(f"/v1/open-licences/{decl['id']}/acceptances", {}), 201)
    year = datetime.now(UTC).year
    await ok(await ent.post(f"/v1/licences/{lic['id']}/payments", {
        "period": year, "reported_revenue": {"amount": "100000.00", "currency": "CNY"},
        "amount": {"amount": "7000.00", "currency": "CNY"}}), 201)
    d = await agree(uni, ent, [p3["patent_id"]])
    await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))

    today = datetime.now(UTC).date().isoformat()
    s = await ok(await client.get("/v1/stats/deals", params={"from": today, "to": today, "group_by": "channel"},
                                  headers=operator))
    (period,) = s["periods"]
    by = {g["key"]: g for g in period["groups"]}
    # The open licence counts once, at its entry fee, and its royalty payment adds to royalties.
    assert (by["open_licence"]["deals"], by["open_licence"]["amount"], by["open_licence"]["royalties"]) == (
        1, "5000.00", "7000.00")
    assert (by["negotiated"]["deals"], by["negotiated"]["amount"]) == (1, "880000.00")

    m = await ok(await client.get("/v1/stats/market", params={"limit": 1000}, headers=operator))
    (mine,) = [i for i in m["institutions"] if i["org_id"] == uni.id]
    # p3 changed hands: the university holds p1 (listed) and p2 (openly licensed).
    assert (mine["patents_registered"], mine["patents_listed"], mine["patents_transacted"]) == (2, 1, 1)
    assert mine["listed_share"] == "0.5000"
    assert (m["listings_published"], m["patents_registered"], m["patents_transacted"]) == (1, 3, 2)
