"""Bodies as DESIGN describes them: an action whose fields are all optional takes no body
at all; a supply listing's title defaults to its first patent's (DESIGN §5)."""

from __future__ import annotations

from tests.integration.register.conftest import declaration_body


async def test_actions_with_only_optional_fields_take_no_body(register):
    uni, ent = await register(), await register("enterprise")
    p = await uni.patent()
    r = await uni.post("/v1/open-licences", declaration_body(p["patent_id"]))
    d = await r.json()
    r = await ent.client.post(f"/v1/open-licences/{d['id']}/acceptances", headers=ent.headers)
    assert r.status == 201, await r.text()
    r = await uni.client.post(f"/v1/open-licences/{d['id']}/withdraw", headers=uni.headers)
    assert r.status == 200 and (await r.json())["status"] == "withdrawn"
    # A body that is sent must still be JSON.
    r = await uni.client.post(f"/v1/open-licences/{d['id']}/withdraw", data=b"x", headers=uni.headers)
    assert r.status == 415


async def test_a_supply_listing_without_a_title_takes_its_first_patents(register):
    uni, ent = await register(), await register("enterprise")
    first, second = await uni.patent(title="一种固态电解质及其制备方法"), await uni.patent()
    r = await uni.post("/v1/listings", {"kind": "supply", "patent_ids": [first["patent_id"], second["patent_id"]],
                                        "modes": ["transfer"], "negotiable": True})
    assert r.status == 201, await r.text()
    assert (await r.json())["title"] == "一种固态电解质及其制备方法"
    r = await ent.post("/v1/listings", {"kind": "demand", "description": "需要固态电池技术"})
    assert r.status == 422 and [e["field"] for e in (await r.json())["errors"]] == ["title"]


async def test_money_sent_as_a_json_number_is_refused_naming_the_field(register):
    uni = await register()
    p = await uni.patent()
    for amount in (5.5, 880000, 1e3):
        r = await uni.post("/v1/listings", {"kind": "supply", "patent_ids": [p["patent_id"]], "modes": ["transfer"],
                                            "price": {"amount": amount, "currency": "CNY"}})
        body = await r.json()
        assert r.status == 422 and [e["field"] for e in body["errors"]] == ["price.amount"], body
    r = await uni.post("/v1/listings", {"kind": "supply", "patent_ids": [p["patent_id"]], "modes": ["transfer"],
                                        "price": {"amount": "880000.00", "currency": "CNY"}})
    assert r.status == 201 and (await r.json())["price"] == {"amount": "880000.00", "currency": "CNY"}
