"""DESIGN §5 rules over HTTP: each refusal is a 4xx problem naming its field or rule."""

from __future__ import annotations


from tests.integration.licences.conftest import declaration_body
from tests.integration.listings.conftest import cn_number, patent_body


async def problem(r, status: int) -> dict:
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    return await r.json()


async def test_refuses_a_number_with_a_bad_check_digit(register):
    uni = await register()
    body = await problem(await uni.post("/v1/patents", patent_body(number="202310123456.1")), 422)
    assert [e["field"] for e in body["errors"]] == ["number"]


async def test_refuses_a_malformed_ipc_symbol_naming_it(register):
    uni = await register()
    body = await problem(await uni.post("/v1/patents", patent_body(ipc=["H01M 10/0525", "X99"])), 422)
    assert [e["field"] for e in body["errors"]] == ["ipc.1"]


async def test_refuses_a_patent_registered_twice(register):
    uni = await register()
    p = await uni.patent()
    body = await problem(await uni.post("/v1/patents", patent_body(number=p["number"])), 409)
    assert body["type"].endswith("patent-already-registered")


async def test_a_lapsed_patent_cannot_be_published(register):
    uni = await register()
    p = await uni.patent(legal_status="lapsed")
    listing = await uni.supply([p["patent_id"]])
    body = await problem(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"), 422)
    assert body["type"].endswith("patent-not-in-force")
    again = await uni.get(f"/v1/listings/{listing['listing_id']}")
    assert (await again.json())["status"] == "draft"


async def test_a_patent_is_offered_for_transfer_in_one_active_listing_only(register):
    uni = await register()
    p = await uni.patent()
    first = await uni.supply([p["patent_id"]])
    assert (await uni.post(f"/v1/listings/{first['listing_id']}/publish")).status == 200
    second = await uni.supply([p["patent_id"]], title="同一专利再次挂牌")
    body = await problem(await uni.post(f"/v1/listings/{second['listing_id']}/publish"), 422)
    assert body["type"].endswith("patent-already-offered-for-transfer")
    # Once the first is withdrawn, the second may go.
    await uni.post(f"/v1/listings/{first['listing_id']}/withdraw")
    assert (await uni.post(f"/v1/listings/{second['listing_id']}/publish")).status == 200


async def test_exclusive_licence_is_blocked_while_an_open_licence_is_in_force(register):
    uni = await register()
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]], modes=["exclusive_licence"])
    r = await uni.post("/v1/open-licences", declaration_body(p["patent_id"]))
    assert r.status == 201, await r.text()
    declaration = await r.json()
    # The register recorded the declaration in the transaction that granted it: the
    # listing shows it, and publishing an exclusive licence is refused, at once.
    assert (await (await uni.get(f"/v1/listings/{listing['listing_id']}")).json())["open_licence"] is True
    body = await problem(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"), 422)
    assert body["type"].endswith("open-licence-in-force")
    assert [e["field"] for e in body["errors"]] == ["modes"]

    r = await uni.post(f"/v1/open-licences/{declaration['id']}/withdraw", {})
    assert r.status == 200, await r.text()
    assert (await uni.post(f"/v1/listings/{listing['listing_id']}/publish")).status == 200


async def test_only_the_owner_changes_a_listing(register):
    uni = await register()
    other = await register()
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]])
    await problem(await other.post(f"/v1/listings/{listing['listing_id']}/publish"), 403)
    await problem(await other.patch(f"/v1/listings/{listing['listing_id']}", {"title": "改名"}), 403)


async def test_a_listing_offers_only_its_publishers_patents(register):
    uni = await register()
    other = await register()
    theirs = await other.patent()
    r = await uni.post("/v1/listings", {"kind": "supply", "title": "别人的专利", "patent_ids": [theirs["patent_id"]],
                                        "modes": ["transfer"], "negotiable": True})
    body = await problem(r, 422)
    assert body["errors"][0]["field"] == "patent_ids.0"


async def test_supply_needs_a_price_or_negotiable(register):
    uni = await register()
    p = await uni.patent()
    r = await uni.post("/v1/listings", {"kind": "supply", "title": "无价", "patent_ids": [p["patent_id"]],
                                        "modes": ["transfer"]})
    assert (await problem(r, 422))["errors"][0]["field"] == "price"


async def test_price_is_kept_to_the_fen(register):
    uni = await register()
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]], price={"amount": "123456.78", "currency": "CNY"})
    assert listing["price"] == {"amount": "123456.78", "currency": "CNY"}
    r = await uni.post("/v1/listings", {"kind": "supply", "title": "x", "patent_ids": [p["patent_id"]],
                                        "modes": ["transfer"], "price": {"amount": "1.234", "currency": "CNY"}})
    assert (await problem(r, 422))["errors"][0]["field"].startswith("price")


async def test_demands_come_from_enterprises(register):
    uni = await register()
    ent = await register("enterprise")
    r = await uni.post("/v1/listings", {"kind": "demand", "title": "需求", "industry": "C38"})
    await problem(r, 403)
    r = await ent.post("/v1/listings", {"kind": "demand", "title": "寻求动力电池快充技术", "industry": "C38",
                                        "budget": {"amount": "500000.00", "currency": "CNY"}, "modes": ["transfer"]})
    assert r.status == 201, await r.text()


async def test_editing_a_published_listing_checks_the_rules_again(register):
    uni = await register()
    p = await uni.patent()
    q = await uni.patent(legal_status="lapsed")
    listing = await uni.supply([p["patent_id"]])
    await uni.post(f"/v1/listings/{listing['listing_id']}/publish")
    r = await uni.patch(f"/v1/listings/{listing['listing_id']}", {"patent_ids": [p["patent_id"], q["patent_id"]]})
    await problem(r, 422)
    r = await uni.patch(f"/v1/listings/{listing['listing_id']}", {"title": "新标题", "stage": "mass_production"})
    body = await r.json()
    assert r.status == 200 and body["title"] == "新标题" and body["stage"] == "mass_production"
    assert [x["patent_id"] for x in body["patents"]] == [p["patent_id"]]


async def test_a_venue_with_a_mandate_publishes_for_an_institution(register):
    uni = await register()
    venue = await register("venue", country="US")
    assert (await uni.post(f"/v1/orgs/{uni.id}/mandates", {"venue_id": venue.id})).status == 201
    acting = {"On-Behalf-Of": uni.id}
    r = await venue.post("/v1/patents", patent_body(number=cn_number()), headers=acting)
    assert r.status == 201, await r.text()
    patent = await r.json()
    assert patent["owner_org_id"] == uni.id
    r = await venue.post("/v1/listings", {"kind": "supply", "title": "经场馆发布", "patent_ids": [patent["patent_id"]],
                                          "modes": ["transfer"], "negotiable": True}, headers=acting)
    listing = await r.json()
    assert r.status == 201 and listing["owner_org_id"] == uni.id and listing["acted_by_org_id"] == venue.id
    r = await venue.post(f"/v1/listings/{listing['listing_id']}/publish", headers=acting)
    assert r.status == 200
    # Without the header the venue is itself, and owns nothing.
    await problem(await venue.post(f"/v1/listings/{listing['listing_id']}/withdraw"), 403)
