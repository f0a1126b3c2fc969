"""Clients never retry for us: a command that follows another service's write succeeds
at once (read-your-writes, services/runtime/http/consistency.py). Every chain below is two
requests back to back, with no retry and no wait between them; each second step runs on
a service other than the first one's (or reads what another service derived from it).

The chains cover every service whose commands depend on another's facts: the last test
reads the route table and fails if one of them has no chain here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.tools.main import all_modules
from tests.integration.register.conftest import auction_body, declaration_body

NOW = datetime.now(UTC)


def at(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(days=2, minutes=minutes)).isoformat()


async def ok(r, *statuses: int) -> dict:
    assert r.status in (statuses or (200, 201)), await r.text()
    return await r.json()


async def published(org, **over) -> tuple[dict, str]:
    p = await org.patent()
    listing = await org.supply([p["patent_id"]], **over)
    await ok(await org.post(f"/v1/listings/{listing['listing_id']}/publish"))
    return p, listing["listing_id"]


def lineup_body(listing_id: str) -> dict:
    return {"title": "专利路演", "starts_at": at(0), "ends_at": at(120), "mode": "online",
            "stream_url": "https://live.example.cn/rs", "capacity": 10,
            "lineup": [{"listing_id": listing_id, "slot_starts_at": at(10)}]}


# -- platform → others -------------------------------------------------------------------
async def test_create_org_then_register_its_venue(client, operator):
    body = {"kind": "venue", "name": "技术交易所", "country": "CN", "uscc": None}
    from services.tools.demo.identifiers import uscc
    body["uscc"] = uscc()
    org = await ok(await client.post("/v1/orgs", json=body, headers=operator))
    headers = {"Authorization": f"Bearer {org['api_key']}"}
    r = await client.post("/v1/venues", json={"org_id": org["org"]["id"]}, headers=headers)
    await ok(r, 201)


async def test_create_org_then_its_first_patent_listing_and_subscription(register):
    uni = await register()
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]])
    assert (await uni.get(f"/v1/listings/{listing['listing_id']}")).status == 200
    ent = await register("enterprise")
    await ok(await ent.post("/v1/subscriptions", {"query": "锂电池"}), 201)


async def test_grant_mandate_then_act_on_behalf(register, client):
    uni, venue = await register(), await register("venue", sub_kind=None)
    await ok(await client.post(f"/v1/orgs/{uni.id}/mandates", json={"venue_id": venue.id}, headers=uni.headers), 201)
    r = await venue.post("/v1/patents", __import__("tests.integration.listings.conftest", fromlist=["x"])
                         .patent_body(), headers={"On-Behalf-Of": uni.id})
    patent = await ok(r, 201)
    assert patent["owner_org_id"] == uni.id


# -- listings → licences, auctions, roadshows, distribution ------------------------------
async def test_register_patent_then_declare_open_licence(register):
    uni = await register()
    p = await uni.patent()
    await ok(await uni.post("/v1/open-licences", declaration_body(p["patent_id"])), 201)


async def test_publish_then_create_auction(register):
    uni = await register()
    _, lid = await published(uni)
    a = await ok(await uni.post("/v1/auctions", auction_body(lid)), 201)
    assert a["status"] == "scheduled"
    assert (await (await uni.get(f"/v1/listings/{lid}")).json())["status"] == "reserved"


async def test_publish_then_roadshow_lineup(register):
    uni, venue = await register(), await register("venue", sub_kind=None)
    _, lid = await published(uni)
    await ok(await venue.post("/v1/roadshows", lineup_body(lid)), 201)


async def test_publish_then_roadshows_of_listing(register):
    uni = await register()
    _, lid = await published(uni)
    await ok(await uni.get(f"/v1/listings/{lid}/roadshows"), 200)


async def test_publish_then_the_venue_feed_has_it(register):
    uni, venue = await register(), await register("venue", sub_kind=None)
    await ok(await venue.post("/v1/venues", {"org_id": venue.id}), 201)
    _, lid = await published(uni)
    feed = await ok(await venue.get("/v1/feed", params={"limit": 1000}), 200)
    assert lid in {c["subject"] for c in feed["items"]}


async def test_withdraw_then_auction_is_refused_with_the_true_status(register):
    uni = await register()
    _, lid = await published(uni)
    await ok(await uni.post(f"/v1/listings/{lid}/withdraw"))
    r = await uni.post("/v1/auctions", auction_body(lid))
    body = await r.json()
    assert r.status == 409 and "withdrawn" in body["detail"], body  # never "is draft" for what is not


async def test_edit_then_roadshow_sees_the_new_title(register):
    uni, venue = await register(), await register("venue", sub_kind=None)
    _, lid = await published(uni)
    await ok(await uni.patch(f"/v1/listings/{lid}", {"title": "改过的标题"}))
    rs = await ok(await venue.post("/v1/roadshows", lineup_body(lid)), 201)
    assert rs["lineup"][0]["listing_title"] == "改过的标题"


# -- licences and auctions → listings (the register) -------------------------------------
async def test_declare_then_an_exclusive_offer_is_refused(register):
    uni = await register()
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]], modes=["exclusive_licence"])
    await ok(await uni.post("/v1/open-licences", declaration_body(p["patent_id"])), 201)
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/publish")
    assert r.status == 422 and (await r.json())["type"].endswith("/open-licence-in-force")


async def test_withdraw_declaration_then_an_exclusive_offer_is_published(register):
    uni = await register()
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]], modes=["exclusive_licence"])
    d = await ok(await uni.post("/v1/open-licences", declaration_body(p["patent_id"])), 201)
    await ok(await uni.post(f"/v1/open-licences/{d['id']}/withdraw", {}))
    await ok(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"))


async def test_declare_then_accept_then_file_and_pay(register):
    uni, ent = await register(), await register("enterprise")
    p = await uni.patent()
    d = await ok(await uni.post("/v1/open-licences", declaration_body(p["patent_id"])), 201)
    lic = await ok(await ent.post(f"/v1/open-licences/{d['id']}/acceptances", {}), 201)
    await ok(await ent.post(f"/v1/licences/{lic['id']}/filing", {"filing_no": "BA-1"}))
    await ok(await ent.get("/v1/licences?role=licensee"))


async def test_create_auction_then_register_and_deposit(register, client, operator):
    uni, ent = await register(), await register("enterprise")
    _, lid = await published(uni)
    a = await ok(await uni.post("/v1/auctions", auction_body(lid)), 201)
    reg = await ok(await ent.post(f"/v1/auctions/{a['id']}/registrations"), 201)
    await ok(await client.post(f"/v1/auctions/{a['id']}/registrations/{reg['id']}/deposit", headers=operator))


async def test_lapse_then_the_declaration_takes_no_licensee(register):
    uni, ent = await register(), await register("enterprise")
    p = await uni.patent()
    d = await ok(await uni.post("/v1/open-licences", declaration_body(p["patent_id"])), 201)
    await ok(await uni.patch(f"/v1/patents/{p['patent_id']}", {"legal_status": "lapsed"}))
    r = await ent.post(f"/v1/open-licences/{d['id']}/acceptances", {})
    assert r.status == 409 and (await r.json())["type"].endswith("/open-licence-ended")


async def test_publish_roadshow_then_register_a_seat(register):
    uni, venue, ent = await register(), await register("venue", sub_kind=None), await register("enterprise")
    _, lid = await published(uni)
    rs = await ok(await venue.post("/v1/roadshows", lineup_body(lid)), 201)
    await ok(await venue.post(f"/v1/roadshows/{rs['id']}/publish"))
    await ok(await ent.post(f"/v1/roadshows/{rs['id']}/registrations", {}), 201)


# -- listings and platform → deals, and deals → listings and licences ---------------------
async def test_publish_then_propose_a_deal_then_pay_then_the_licence_is_filed(register, client, operator):
    uni, ent = await register(), await register("enterprise")  # platform
    _, lid = await published(uni, modes=["ordinary_licence"])  # listings
    d = await ok(await ent.post("/v1/deals", {"kind": "ordinary_licence", "listing_id": lid, "terms": {
        "royalty": {"basis": "lump_sum", "amount": {"amount": "10.00", "currency": "CNY"}}, "territory": "CN",
        "term_years": 1}}), 201)  # deals
    await ok(await uni.post(f"/v1/deals/{d['deal_id']}/confirm", {"version": 1}))  # deals, decided by listings
    await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))  # deals
    (lic,) = (await ok(await ent.get("/v1/licences", params={"role": "licensee"})))["items"]  # licences
    await ok(await ent.post(f"/v1/licences/{lic['id']}/filing", {"filing_no": "BA-7"}))  # licences


# -- platform and listings → financing → the register --------------------------------------
async def test_register_a_patent_then_pledge_it_then_the_register_holds_it(register):
    uni, bank = await register(), await register("financier", sub_kind=None)  # platform
    p = await uni.patent()  # listings
    pledge = await ok(await uni.post("/v1/pledges", {"pledgee_org_id": bank.id, "patent_ids": [p["patent_id"]],
                                                     "loan": {"amount": {"amount": "9.00", "currency": "CNY"},
                                                              "term_months": 6, "rate_percent": "2"}}), 201)
    await ok(await bank.post(f"/v1/pledges/{pledge['pledge_id']}/confirm"))  # financing, decided by listings
    held = (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"]  # listings
    assert [e["kind"] for e in held] == ["pledge"]


CHAINED = {"listings", "licences", "auctions", "deals", "financing", "roadshows", "distribution", "platform"}


def test_every_service_with_dependent_commands_has_a_chain():
    """From the route table: every service that takes commands (POST/PATCH) and consumes
    other services' events is the second step of a chain above."""
    dependent = {m.name for m in all_modules() if m.subscriptions
                 and any(r.method in ("POST", "PATCH") for r in m.api.routes)}
    assert dependent - CHAINED == set()
