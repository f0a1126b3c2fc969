"""质物处置: on default the pledgee auctions the pledged patents; a priority holder wins a
tie; the proceeds are split (the pledgee first); an unsold disposal is relisted within 30
days at most 20 % lower, then offered for a fixed-price sale (变卖)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.auctions.conftest import bid, iso
from tests.integration.auctions.test_lifecycle import wait_status
from tests.integration.deals.conftest import eventually, ok
from tests.integration.financing.test_pledges import cny, in_force


async def disposal(uni, bank, *, start: str, seconds: float, priority_holders=(), loan: str = "5000000.00"):
    p = await uni.patent()
    pledge = await ok(await uni.post("/v1/pledges", {
        "pledgee_org_id": bank.id, "patent_ids": [p["patent_id"]],
        "loan": {"amount": cny(loan), "term_months": 12, "rate_percent": "4"}}), 201)
    await ok(await bank.post(f"/v1/pledges/{pledge['pledge_id']}/confirm"))
    r = await bank.post(f"/v1/pledges/{pledge['pledge_id']}/disposal", {})
    assert r.status == 422  # the terms are required
    r = await bank.post(f"/v1/pledges/{pledge['pledge_id']}/disposal", terms(start, seconds, priority_holders))
    assert r.status == 409 and (await r.json())["type"].endswith("/pledge-not-defaulted")
    await ok(await bank.post(f"/v1/pledges/{pledge['pledge_id']}/default"))
    late = {**terms(start, seconds, priority_holders), "ends_at": iso(datetime.now(UTC) - timedelta(seconds=1))}
    r = await bank.post(f"/v1/pledges/{pledge['pledge_id']}/disposal", late)
    assert r.status == 422 and "ends_at" in {e["field"] for e in (await r.json())["errors"]}
    assert (await uni.post(f"/v1/pledges/{pledge['pledge_id']}/disposal",
                           terms(start, seconds, priority_holders))).status == 403
    d = await ok(await bank.post(f"/v1/pledges/{pledge['pledge_id']}/disposal",
                                 terms(start, seconds, priority_holders)))
    assert d["status"] == "disposing"

    async def scheduled():
        got = await ok(await bank.get(f"/v1/pledges/{pledge['pledge_id']}"))
        return got["disposal"].get("auction_id") and got

    got = await eventually(scheduled, timeout=15)
    return p, pledge["pledge_id"], got["disposal"]["auction_id"]


def terms(start: str, seconds: float, priority_holders=()) -> dict:
    now = datetime.now(UTC)
    return {"starts_at": iso(now), "ends_at": iso(now + timedelta(seconds=seconds)), "start_price": cny(start),
            "increment": cny("100.00"), "deposit": cny("100.00"), "priority_holders": list(priority_holders)}


async def registered(register, client, operator, auction_id: str):
    org = await register("enterprise")
    reg = await ok(await org.post(f"/v1/auctions/{auction_id}/registrations"), 201)
    await ok(await client.post(f"/v1/auctions/{auction_id}/registrations/{reg['id']}/deposit", headers=operator))
    return org


async def test_default_auction_priority_holder_wins_a_tie_and_the_proceeds_are_split(register, client, operator):
    uni, bank = await register(), await register("financier", sub_kind=None)
    holder = await register("enterprise")  # e.g. the licensee with a right of first refusal
    p, pledge_id, auction_id = await disposal(uni, bank, start="6000000.00", seconds=4, priority_holders=[holder.id])
    a = await ok(await bank.get(f"/v1/auctions/{auction_id}"))
    assert (a["disposes"], a["beneficiary_org_id"], a["priority_holders"]) == (pledge_id, bank.id, [holder.id])
    listing = await ok(await uni.get(f"/v1/listings/{a['listing_id']}"))
    assert listing["status"] == "reserved" and listing["owner_org_id"] == uni.id  # listed on the owner's behalf

    other = await registered(register, client, operator, auction_id)
    reg = await ok(await holder.post(f"/v1/auctions/{auction_id}/registrations"), 201)
    await ok(await client.post(f"/v1/auctions/{auction_id}/registrations/{reg['id']}/deposit", headers=operator))
    assert (await bid(other, auction_id, "6000000.00")).status == 201
    # Another bidder may not match the price; the priority holder may, and leads at it.
    third = await registered(register, client, operator, auction_id)
    r = await bid(third, auction_id, "6000000.00")
    assert r.status == 409 and (await r.json())["type"].endswith("/bid-too-low")
    assert (await bid(holder, auction_id, "6000000.00")).status == 201
    assert (await ok(await holder.get(f"/v1/auctions/{auction_id}")))["leading"] is True
    await wait_status(bank, f"/v1/auctions/{auction_id}", "closed_won", timeout=10)
    settled = await ok(await client.post(f"/v1/auctions/{auction_id}/settle", headers=operator))
    assert settled["status"] == "settled" and settled["final_price"] == cny("6000000.00")

    got = await ok(await bank.get(f"/v1/pledges/{pledge_id}"))
    assert got["status"] == "disposed"
    assert got["disposal"]["statement"] == {"auction_id": auction_id, "price": cny("6000000.00"),
                                            "to_pledgee": cny("5000000.00"), "to_pledgor": cny("1000000.00")}
    rights = await ok(await holder.get(f"/v1/patents/{p['patent_id']}"))
    assert rights["owner_org_id"] == holder.id and rights["encumbrances"] == []  # the pledge is extinguished


async def test_unsold_relisted_at_most_20_percent_lower_then_sold_at_a_fixed_price(register, client, operator):
    uni, bank = await register(), await register("financier", sub_kind=None)
    p, pledge_id, first = await disposal(uni, bank, start="1000.00", seconds=2)
    await wait_status(bank, f"/v1/auctions/{first}", "closed_unsold", timeout=10)

    now = datetime.now(UTC)
    window = {"starts_at": iso(now), "ends_at": iso(now + timedelta(seconds=2))}
    r = await uni.post(f"/v1/auctions/{first}/relist", {**window, "start_price": cny("900.00")})
    assert r.status == 403  # the pledgee relists its disposal, not the owner
    r = await bank.post(f"/v1/auctions/{first}/relist", {**window, "start_price": cny("799.99")})
    assert r.status == 422 and (await r.json())["type"].endswith("/relist-too-low")
    second = await ok(await bank.post(f"/v1/auctions/{first}/relist", {**window, "start_price": cny("800.00")}), 201)
    assert (second["disposes"], second["relisted_from"]) == (pledge_id, first)
    r = await bank.post(f"/v1/auctions/{first}/sale")
    assert r.status == 409
    await wait_status(bank, f"/v1/auctions/{second['id']}", "closed_unsold", timeout=10)

    # 变卖: offered at 800.00; the first buyer takes it.
    offered = await ok(await bank.post(f"/v1/auctions/{second['id']}/sale"))
    assert offered["status"] == "for_sale"
    buyer, late = await register("enterprise"), await register("enterprise")
    bought = await ok(await buyer.post(f"/v1/auctions/{second['id']}/purchase"))
    assert (bought["status"], bought["final_price"]) == ("closed_won", cny("800.00"))
    r = await late.post(f"/v1/auctions/{second['id']}/purchase")
    assert r.status == 409 and (await r.json())["type"].endswith("/not-for-sale")
    await ok(await client.post(f"/v1/auctions/{second['id']}/settle", headers=operator))
    got = await ok(await bank.get(f"/v1/pledges/{pledge_id}"))
    assert got["status"] == "disposed" and got["disposal"]["statement"]["to_pledgee"] == cny("800.00")
    assert (await ok(await buyer.get(f"/v1/patents/{p['patent_id']}")))["owner_org_id"] == buyer.id


async def test_a_disposal_is_the_pledgees_only(register):
    uni, bank = await register(), await register("financier", sub_kind=None)
    p = await uni.patent()
    pledge = await in_force(uni, bank, [p["patent_id"]])
    await ok(await bank.post(f"/v1/pledges/{pledge['pledge_id']}/default"))
    # The owner cannot auction its pledged patent itself: the pledge bars the transfer.
    listing = await uni.supply([p["patent_id"]])
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/publish")
    assert r.status == 422 and (await r.json())["type"].endswith("/pledged-without-pledgee-consent")
