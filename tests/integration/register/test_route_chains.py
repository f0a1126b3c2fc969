"""Read-your-writes, route by route: generated from the route table.

Every route of every service that keeps read models of other services' events is listed
in ``CHAINS``: either with a recipe — a write on another service (or a change the
register makes), then this route at once, with no retry and no wait, which must answer
2xx and show the effect — or with the reason it depends on its own service's writes
only. A new route of such a service fails ``test_every_route_is_accounted_for`` until it
is given one or the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from services.tools.main import all_modules
from tests.integration.auctions.conftest import bid
from tests.integration.auctions.test_lifecycle import wait_status
from tests.integration.listings.conftest import patent_body
from tests.integration.register.conftest import auction_body, declaration_body


async def ok(r, *statuses: int) -> dict:
    assert r.status in (statuses or (200, 201)), await r.text()
    return await r.json()


class World:
    """What the recipes set up, through the public API."""

    def __init__(self, register, client, operator, auction_house) -> None:
        self.register, self.client, self.operator, self.house = register, client, operator, auction_house

    async def published(self, org=None, **over) -> tuple[object, str, str]:
        org = org or await self.register()
        p = await org.patent()
        listing = await org.supply([p["patent_id"]], **over)
        await ok(await org.post(f"/v1/listings/{listing['listing_id']}/publish"))
        return org, p["patent_id"], listing["listing_id"]

    async def sold(self):
        """A lot sold at auction and settled: (seller, buyer, patent id, listing id). The
        settlement (auctions) is the write the recipes follow."""
        seller, listing_id = await self.house.lot()
        a = await self.house.auction(seller, listing_id, seconds=2.5)
        buyer = await self.house.bidder(a["id"])
        assert (await bid(buyer, a["id"], "1000.00")).status == 201
        await wait_status(seller, f"/v1/auctions/{a['id']}", "closed_won", timeout=10)
        listing = await (await seller.get(f"/v1/listings/{listing_id}")).json()
        await ok(await self.client.post(f"/v1/auctions/{a['id']}/settle", headers=self.operator))
        return seller, buyer, listing["patents"][0]["patent_id"], listing_id

    async def declared(self):
        uni = await self.register()
        p = await uni.patent()
        d = await ok(await uni.post("/v1/open-licences", declaration_body(p["patent_id"])), 201)
        return uni, p["patent_id"], d


Recipe = Callable[[World], Awaitable[None]]


# -- listings (the register) -------------------------------------------------------------
async def org_then_register_patent(w: World) -> None:
    org = await w.register()  # platform
    await ok(await org.post("/v1/patents", patent_body()), 201)


async def org_then_list_patents(w: World) -> None:
    org = await w.register()
    await ok(await org.get("/v1/patents", params={"owner_org_id": org.id}))


async def settle_then_patent_shows_new_owner(w: World) -> None:
    _, buyer, patent_id, _ = await w.sold()
    assert (await ok(await buyer.get(f"/v1/patents/{patent_id}")))["owner_org_id"] == buyer.id


async def settle_then_new_owner_patches_patent(w: World) -> None:
    _, buyer, patent_id, _ = await w.sold()
    await ok(await buyer.patch(f"/v1/patents/{patent_id}", {"legal_status": "fee_unpaid"}))


async def settle_then_new_owner_records_the_transfer(w: World) -> None:
    _, buyer, patent_id, _ = await w.sold()
    t = (await ok(await buyer.get(f"/v1/patents/{patent_id}")))["transfers"][0]
    await ok(await buyer.post(f"/v1/patents/{patent_id}/transfers/{t['id']}/recording", {"recording_no": "BG-1"}))


async def org_then_import_patents(w: World) -> None:
    org = await w.register()
    import json
    body = (json.dumps(patent_body(), ensure_ascii=False) + "\n").encode()
    await ok(await org.post("/v1/patents/imports", data=body, headers={"Content-Type": "application/x-ndjson"}), 202)


async def settle_then_new_owner_creates_listing(w: World) -> None:
    _, buyer, patent_id, _ = await w.sold()
    await ok(await buyer.post("/v1/listings", {"kind": "supply", "title": "转让", "patent_ids": [patent_id],
                                               "modes": ["transfer"], "negotiable": True}), 201)


async def settle_then_listing_is_sold(w: World) -> None:
    seller, _, _, listing_id = await w.sold()
    assert (await ok(await seller.get(f"/v1/listings/{listing_id}")))["status"] == "sold"


async def withdraw_declaration_then_patch_listing_to_exclusive(w: World) -> None:
    uni, patent_id, d = await w.declared()
    listing = await uni.supply([patent_id], modes=["ordinary_licence"])
    await ok(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"))
    await ok(await uni.post(f"/v1/open-licences/{d['id']}/withdraw", {}))  # licences
    await ok(await uni.patch(f"/v1/listings/{listing['listing_id']}", {"modes": ["exclusive_licence"]}))


async def withdraw_declaration_then_publish_exclusive(w: World) -> None:
    uni, patent_id, d = await w.declared()
    listing = await uni.supply([patent_id], modes=["sole_licence"])
    await ok(await uni.post(f"/v1/open-licences/{d['id']}/withdraw", {}))  # licences
    await ok(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"))


async def cancelled_auction_then_withdraw_listing(w: World) -> None:
    uni, _, listing_id = await w.published()
    a = await ok(await uni.post("/v1/auctions", auction_body(listing_id)), 201)
    ent = await w.register("enterprise")
    reg = await ok(await ent.post(f"/v1/auctions/{a['id']}/registrations"), 201)
    await ok(await w.client.post(f"/v1/auctions/{a['id']}/registrations/{reg['id']}/deposit", headers=w.operator))
    # A won auction whose winner defaults (auctions) releases the lot in the register.
    seller, lot = await w.house.lot()
    short = await w.house.auction(seller, lot, seconds=2.5)
    buyer = await w.house.bidder(short["id"])
    assert (await bid(buyer, short["id"], "1000.00")).status == 201
    await wait_status(seller, f"/v1/auctions/{short['id']}", "closed_won", timeout=10)
    await ok(await w.client.post(f"/v1/auctions/{short['id']}/default", headers=w.operator))
    await ok(await seller.post(f"/v1/listings/{lot}/withdraw"))


# -- licences ----------------------------------------------------------------------------
async def register_patent_then_declare(w: World) -> None:
    uni = await w.register()
    p = await uni.patent()  # listings
    await ok(await uni.post("/v1/open-licences", declaration_body(p["patent_id"])), 201)


async def settle_then_declarations_show_ended(w: World) -> None:
    seller, listing_id = await w.house.lot()
    patent_id = (await (await seller.get(f"/v1/listings/{listing_id}")).json())["patents"][0]["patent_id"]
    d = await ok(await seller.post("/v1/open-licences", declaration_body(patent_id)), 201)
    a = await w.house.auction(seller, listing_id, seconds=2.5)
    buyer = await w.house.bidder(a["id"])
    assert (await bid(buyer, a["id"], "1000.00")).status == 201
    await wait_status(seller, f"/v1/auctions/{a['id']}", "closed_won", timeout=10)
    await ok(await w.client.post(f"/v1/auctions/{a['id']}/settle", headers=w.operator))  # auctions → register
    items = (await ok(await seller.get("/v1/open-licences", params={"patent_id": patent_id})))["items"]
    assert [(x["id"], x["status"]) for x in items] == [(d["id"], "ended")]


async def lapse_then_declaration_shows_ended(w: World) -> None:
    uni, patent_id, d = await w.declared()
    await ok(await uni.patch(f"/v1/patents/{patent_id}", {"legal_status": "lapsed"}))  # listings
    assert (await ok(await uni.get(f"/v1/open-licences/{d['id']}")))["status"] == "ended"


async def fee_unpaid_then_withdraw_suspended_declaration(w: World) -> None:
    uni, patent_id, d = await w.declared()
    await ok(await uni.patch(f"/v1/patents/{patent_id}", {"legal_status": "fee_unpaid"}))  # listings
    assert (await ok(await uni.post(f"/v1/open-licences/{d['id']}/withdraw", {})))["status"] == "withdrawn"


async def restored_then_accept(w: World) -> None:
    uni, patent_id, d = await w.declared()
    ent = await w.register("enterprise")
    await ok(await uni.patch(f"/v1/patents/{patent_id}", {"legal_status": "fee_unpaid"}))
    await ok(await uni.patch(f"/v1/patents/{patent_id}", {"legal_status": "granted"}))  # listings
    await ok(await ent.post(f"/v1/open-licences/{d['id']}/acceptances", {}), 201)


# -- auctions ----------------------------------------------------------------------------
async def publish_then_create_auction(w: World) -> None:
    uni, _, listing_id = await w.published()  # listings
    assert (await ok(await uni.post("/v1/auctions", auction_body(listing_id)), 201))["status"] == "scheduled"


async def closed_unsold_then_relist(w: World) -> None:
    seller, listing_id = await w.house.lot()
    a = await w.house.auction(seller, listing_id, seconds=1.5, reserve="9000.00")
    await wait_status(seller, f"/v1/auctions/{a['id']}", "closed_unsold", timeout=10)
    # Straight away: the register may not have seen the close yet; the relisting says
    # which reservation it replaces.
    body = auction_body(listing_id)
    again = await ok(await seller.post(f"/v1/auctions/{a['id']}/relist",
                                       {"starts_at": body["starts_at"], "ends_at": body["ends_at"]}), 201)
    assert again["status"] == "scheduled"


async def invalidate_then_auction_shows_cancelled(w: World) -> None:
    uni, patent_id, listing_id = await w.published()
    a = await ok(await uni.post("/v1/auctions", auction_body(listing_id)), 201)
    await ok(await uni.patch(f"/v1/patents/{patent_id}", {"legal_status": "invalidated"}))  # listings
    assert (await ok(await uni.get(f"/v1/auctions/{a['id']}")))["status"] == "cancelled"


async def org_then_register_as_bidder(w: World) -> None:
    uni, _, listing_id = await w.published()
    a = await ok(await uni.post("/v1/auctions", auction_body(listing_id)), 201)
    ent = await w.register("enterprise")  # platform
    await ok(await ent.post(f"/v1/auctions/{a['id']}/registrations"), 201)


# -- roadshows ---------------------------------------------------------------------------
def lineup(listing_id: str) -> dict:
    from datetime import UTC, datetime, timedelta

    def at(m: int) -> str:
        return (datetime.now(UTC) + timedelta(days=2, minutes=m)).isoformat()

    return {"title": "专利路演", "starts_at": at(0), "ends_at": at(120), "mode": "online",
            "stream_url": "https://live.example.cn/rs", "capacity": 10,
            "lineup": [{"listing_id": listing_id, "slot_starts_at": at(10)}]}


async def publish_then_roadshow(w: World) -> None:
    _, _, listing_id = await w.published()  # listings
    venue = await w.register("venue", sub_kind=None)
    await ok(await venue.post("/v1/roadshows", lineup(listing_id)), 201)


async def publish_then_roadshows_of_listing(w: World) -> None:
    org, _, listing_id = await w.published()
    await ok(await org.get(f"/v1/listings/{listing_id}/roadshows"))


# -- distribution ------------------------------------------------------------------------
async def org_then_register_venue(w: World) -> None:
    venue = await w.register("venue", sub_kind=None)  # platform
    await ok(await venue.post("/v1/venues", {"org_id": venue.id}), 201)


async def publish_then_deliveries(w: World) -> None:
    venue = await w.register("venue", sub_kind=None)
    v = await ok(await venue.post("/v1/venues", {"org_id": venue.id, "webhook_url": "http://127.0.0.1:9/hook"}), 201)
    _, _, listing_id = await w.published()  # listings
    items = (await ok(await venue.get(f"/v1/venues/{v['id']}/deliveries")))["items"]
    assert listing_id in str(items)


async def publish_then_feed(w: World) -> None:
    venue = await w.register("venue", sub_kind=None)
    await ok(await venue.post("/v1/venues", {"org_id": venue.id}), 201)
    _, _, listing_id = await w.published()  # listings
    assert listing_id in {c["subject"] for c in (await ok(await venue.get("/v1/feed", params={"limit": 1000})))["items"]}


async def org_then_subscribe(w: World) -> None:
    ent = await w.register("enterprise")  # platform
    await ok(await ent.post("/v1/subscriptions", {"query": "锂电池"}), 201)


async def register_then_propose_deal(w: World) -> None:
    uni, ent = await w.register(), await w.register("enterprise")  # platform
    p = await uni.patent()  # listings
    await ok(await uni.post("/v1/deals", {"kind": "transfer", "patent_ids": [p["patent_id"]],
                                          "counterparty_org_id": ent.id,
                                          "terms": {"price": {"amount": "1.00", "currency": "CNY"}}}), 201)


async def _paid_deal(w: World, kind: str, terms: dict):
    uni, ent = await w.register(), await w.register("enterprise")
    p = await uni.patent()
    d = await ok(await uni.post("/v1/deals", {"kind": kind, "patent_ids": [p["patent_id"]],
                                              "counterparty_org_id": ent.id, "terms": terms}), 201)
    await ok(await ent.post(f"/v1/deals/{d['deal_id']}/confirm", {"version": 1}))
    await ok(await w.client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=w.operator))  # deals
    return uni, ent, p["patent_id"], d["deal_id"]


async def recording_then_deal_shows_recorded(w: World) -> None:
    _, ent, patent_id, deal_id = await _paid_deal(w, "transfer", {"price": {"amount": "1.00", "currency": "CNY"}})
    t = (await ok(await ent.get(f"/v1/patents/{patent_id}")))["transfers"][0]
    await ok(await ent.post(f"/v1/patents/{patent_id}/transfers/{t['id']}/recording", {"recording_no": "B"}))  # listings
    assert (await ok(await ent.get(f"/v1/deals/{deal_id}")))["status"] == "recorded"


async def deal_paid_then_licence_listed(w: World) -> None:
    _, ent, _, deal_id = await _paid_deal(w, "ordinary_licence", {
        "royalty": {"basis": "lump_sum", "amount": {"amount": "1.00", "currency": "CNY"}}, "territory": "CN",
        "term_years": 1})
    assert [x["deal_id"] for x in (await ok(await ent.get("/v1/licences")))["items"]] == [deal_id]


async def accept_then_certificate(w: World) -> None:
    _, patent_id, d = await w.declared()
    ent = await w.register("enterprise")
    lic = await ok(await ent.post(f"/v1/open-licences/{d['id']}/acceptances", {}), 201)  # licences
    got = await ok(await ent.get("/v1/certificates", params={"subject": "open_licence_licence", "subject_id": lic["id"]}))
    assert len(got["items"]) == 1


async def deal_paid_then_stats(w: World) -> None:
    await _paid_deal(w, "transfer", {"price": {"amount": "7.00", "currency": "CNY"}})  # deals
    today = datetime.now(UTC).date().isoformat()
    s = await ok(await w.client.get("/v1/stats/deals", params={"from": today, "to": today}, headers=w.operator))
    assert s["periods"][0]["total"]["deals"] == 1


async def publish_then_market_stats(w: World) -> None:
    await w.published()  # listings
    m = await ok(await w.client.get("/v1/stats/market", headers=w.operator))
    assert m["listings_published"] == 1


async def register_patent_then_pledge(w: World) -> None:
    uni, bank = await w.register(), await w.register("financier", sub_kind=None)  # platform
    p = await uni.patent()  # listings
    await ok(await uni.post("/v1/pledges", {"pledgee_org_id": bank.id, "patent_ids": [p["patent_id"]], "loan": {
        "amount": {"amount": "1.00", "currency": "CNY"}, "term_months": 1, "rate_percent": "1"}}), 201)


async def _income_pledge(w: World):
    uni, patent_id, d = await w.declared()
    ent, bank = await w.register("enterprise"), await w.register("financier", sub_kind=None)
    lic = await ok(await ent.post(f"/v1/open-licences/{d['id']}/acceptances", {}), 201)
    p = await ok(await uni.post("/v1/pledges", {"kind": "licence_income", "pledgee_org_id": bank.id,
                                                "licence_ids": [lic["id"]], "loan": {
        "amount": {"amount": "1.00", "currency": "CNY"}, "term_months": 1, "rate_percent": "1"}}), 201)
    return uni, ent, bank, lic, p


async def royalty_then_pledge_ledger(w: World) -> None:
    uni, ent, bank, lic, p = await _income_pledge(w)
    await ok(await bank.post(f"/v1/pledges/{p['pledge_id']}/confirm"))
    await ok(await ent.post(f"/v1/licences/{lic['id']}/payments", {  # licences
        "period": datetime.now(UTC).year, "reported_revenue": {"amount": "100.00", "currency": "CNY"},
        "amount": {"amount": "3.50", "currency": "CNY"}}), 201)
    assert len((await ok(await bank.get(f"/v1/pledges/{p['pledge_id']}")))["ledger"]) == 1


async def register_patent_then_value(w: World) -> None:
    uni = await w.register()
    p = await uni.patent()  # listings
    await ok(await uni.post(f"/v1/patents/{p['patent_id']}/valuations", {
        "evaluator": "e", "method": "cost", "value": {"amount": "1.00", "currency": "CNY"},
        "valued_on": "2026-01-01", "report_ref": "r"}), 201)


async def accept_then_indicators(w: World) -> None:
    _, patent_id, d = await w.declared()
    ent = await w.register("enterprise")
    await ok(await ent.post(f"/v1/open-licences/{d['id']}/acceptances", {}), 201)  # licences
    factors = {f["name"]: f for f in (await ok(await ent.get(f"/v1/patents/{patent_id}/indicators")))["factors"]}
    assert factors["licences"]["evidence"].startswith("1 licences")


async def pledge_then_stats(w: World) -> None:
    _, _, bank, _, p = await _income_pledge(w)
    await ok(await bank.post(f"/v1/pledges/{p['pledge_id']}/confirm"))  # financing
    today = datetime.now(UTC).date().isoformat()
    s = await ok(await w.client.get("/v1/stats/pledges", params={"from": today, "to": today}, headers=w.operator))
    assert s["pledges"] == 1


OWN = "depends on its own service's writes only"

CHAINS: dict[str, Recipe | str] = {
    "POST /v1/patents": org_then_register_patent,
    "GET /v1/patents": org_then_list_patents,
    "GET /v1/patents/{id}": settle_then_patent_shows_new_owner,
    "PATCH /v1/patents/{id}": settle_then_new_owner_patches_patent,
    "POST /v1/patents/{id}/transfers/{tid}/recording": settle_then_new_owner_records_the_transfer,
    "POST /v1/patents/imports": org_then_import_patents,
    "GET /v1/patents/imports/{id}": OWN,
    "POST /v1/listings": settle_then_new_owner_creates_listing,
    "GET /v1/listings": OWN,
    "GET /v1/listings/{id}": settle_then_listing_is_sold,
    "PATCH /v1/listings/{id}": withdraw_declaration_then_patch_listing_to_exclusive,
    "POST /v1/listings/{id}/publish": withdraw_declaration_then_publish_exclusive,
    "POST /v1/listings/{id}/withdraw": cancelled_auction_then_withdraw_listing,
    "POST /v1/open-licences": register_patent_then_declare,
    "GET /v1/open-licences": settle_then_declarations_show_ended,
    "GET /v1/open-licences/{id}": lapse_then_declaration_shows_ended,
    "POST /v1/open-licences/{id}/withdraw": fee_unpaid_then_withdraw_suspended_declaration,
    "POST /v1/open-licences/{id}/acceptances": restored_then_accept,
    "GET /v1/open-licences/{id}/licences": OWN,
    "GET /v1/licences": deal_paid_then_licence_listed,
    "POST /v1/licences/{id}/contract-registration": OWN,
    "POST /v1/deals": register_then_propose_deal,
    "GET /v1/deals": OWN,
    "GET /v1/deals/{id}": recording_then_deal_shows_recorded,
    "POST /v1/deals/{id}/counter": OWN,
    "POST /v1/deals/{id}/confirm": OWN + " (the register's answer is the saga's, awaited by the route)",
    "POST /v1/deals/{id}/export-review": OWN,
    "POST /v1/deals/{id}/payment": OWN,
    "POST /v1/deals/{id}/payment-callback": OWN,
    "POST /v1/deals/{id}/cancel": OWN,
    "POST /v1/deals/{id}/contract-registration": OWN,
    "GET /v1/certificates": accept_then_certificate,
    "GET /v1/stats/deals": deal_paid_then_stats,
    "GET /v1/stats/market": publish_then_market_stats,
    "GET /v1/stats/pledges": pledge_then_stats,
    "POST /v1/pledges": register_patent_then_pledge,
    "GET /v1/pledges": OWN,
    "GET /v1/pledges/{id}": royalty_then_pledge_ledger,
    "POST /v1/pledges/{id}/confirm": OWN + " (the register's answer is the saga's, awaited by the route)",
    "POST /v1/pledges/{id}/registration": OWN,
    "POST /v1/pledges/{id}/consents": OWN,
    "DELETE /v1/pledges/{id}/consents/{scope}": OWN,
    "POST /v1/pledges/{id}/release": OWN,
    "POST /v1/pledges/{id}/default": OWN,
    "POST /v1/pledges/{id}/cancel": OWN,
    "POST /v1/pledges/{id}/disposal": OWN + " (the auction follows from its event: see tests/integration/financing)",
    "POST /v1/auctions/{id}/sale": OWN,
    "POST /v1/auctions/{id}/purchase": OWN,
    "POST /v1/patents/{id}/valuations": register_patent_then_value,
    "GET /v1/patents/{id}/valuations": OWN,
    "GET /v1/patents/{id}/indicators": accept_then_indicators,
    "GET /v1/certificates/{code}": OWN + " (its code is learned from GET /v1/certificates)",
    "GET /v1/certificates/{code}/pdf": OWN + " (as GET /v1/certificates/{code})",
    "GET /v1/licences/{id}": OWN,
    "POST /v1/licences/{id}/filing": OWN,
    "POST /v1/licences/{id}/payments": OWN,
    "POST /v1/auctions": publish_then_create_auction,
    "POST /v1/auctions/{id}/relist": closed_unsold_then_relist,
    "GET /v1/auctions": OWN + " (a lot's cancellation from another service: see GET /v1/auctions/{id})",
    "GET /v1/auctions/{id}": invalidate_then_auction_shows_cancelled,
    "GET /v1/auctions/{id}/registrations": OWN,
    "POST /v1/auctions/{id}/registrations": org_then_register_as_bidder,
    "POST /v1/auctions/{id}/registrations/{rid}/deposit": OWN,
    "POST /v1/auctions/{id}/bids": OWN,
    "GET /v1/auctions/{id}/bids": OWN,
    "POST /v1/auctions/{id}/settle": OWN,
    "POST /v1/auctions/{id}/export-review": OWN,
    "POST /v1/auctions/{id}/default": OWN,
    "GET /v1/auctions/{id}/live": OWN + " (and replays from its outbox)",
    "POST /v1/roadshows": publish_then_roadshow,
    "GET /v1/roadshows/{id}.ics": OWN,
    "GET /v1/roadshows": OWN,
    "GET /v1/roadshows/{id}": OWN,
    "POST /v1/roadshows/{id}/publish": OWN,
    "POST /v1/roadshows/{id}/reschedule": OWN,
    "POST /v1/roadshows/{id}/cancel": OWN,
    "POST /v1/roadshows/{id}/registrations": OWN,
    "GET /v1/roadshows/{id}/registrations": OWN,
    "GET /v1/roadshows/{id}/registrations/{rid}": OWN,
    "POST /v1/roadshows/{id}/registrations/{rid}/cancel": OWN,
    "POST /v1/roadshows/{id}/interest": OWN,
    "POST /v1/roadshows/{id}/feedback": OWN,
    "GET /v1/roadshows/{id}/feedback": OWN,
    "GET /v1/roadshows/{id}/feedback/{fid}": OWN,
    "PATCH /v1/roadshows/{id}/feedback/{fid}": OWN,
    "GET /v1/roadshows/{id}/report": OWN,
    "POST /v1/roadshows/{id}/report/close": OWN,
    "GET /v1/listings/{id}/feedback": OWN,
    "GET /v1/listings/{id}/roadshows": publish_then_roadshows_of_listing,
    "POST /v1/venues": org_then_register_venue,
    "GET /v1/venues": OWN,
    "GET /v1/venues/{id}": OWN,
    "POST /v1/venues/{id}/secret": OWN,
    "POST /v1/venues/{id}/resume": OWN,
    "PATCH /v1/venues/{id}": OWN,
    "DELETE /v1/venues/{id}": OWN,
    "POST /v1/venues/{id}/recover": OWN,
    "GET /v1/event-types": "a fixed catalogue generated from the event schemas (fresh=False)",
    "GET /v1/venues/{id}/deliveries": publish_then_deliveries,
    "POST /v1/venues/{id}/deliveries/{did}/retry": OWN,
    "POST /v1/venues/{id}/replay": OWN,
    "GET /v1/feed": publish_then_feed,
    "POST /v1/subscriptions": org_then_subscribe,
    "GET /v1/subscriptions": OWN,
    "GET /v1/subscriptions/{id}": OWN,
    "PATCH /v1/subscriptions/{id}": OWN,
    "DELETE /v1/subscriptions/{id}": OWN,
    "GET /v1/inbox": "filled by push matching against the catalogue index (eventually consistent by design)",
    "POST /v1/inbox/{id}/read": OWN,
    "POST /v1/inbox/{id}/feedback": OWN,
    "GET /v1/listings/{id}/push-feedback": OWN,
}


def consuming_routes() -> set[str]:
    return {f"{r.method} {r.path}" for m in all_modules() if m.subscriptions and m.name != "search"
            for r in m.api.routes}


def test_every_route_is_accounted_for():
    assert consuming_routes() - set(CHAINS) == set(), "give each new route a recipe, or say why it needs none"
    assert set(CHAINS) - consuming_routes() == set(), "a listed route no longer exists"
    assert sum(callable(v) for v in CHAINS.values()) >= 25


@pytest.mark.parametrize("route", sorted(k for k, v in CHAINS.items() if callable(v)))
async def test_the_route_sees_the_write_before_it(route, register, client, operator, auction_house):
    await CHAINS[route](World(register, client, operator, auction_house))
