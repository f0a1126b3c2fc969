"""A licence-income pledge (许可收益权质押): royalties attributed to the pledgee until the
secured amount is covered, then to the licensor again; both parties see the ledger.
Valuations, and the value-degree score from known inputs, every factor shown."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from events.schemas.distribution import PushFeedbackGiven
from events.schemas.roadshows import FeedbackSubmitted
from services.financing import domain
from tests.integration.deals.conftest import agree, eventually, ok
from tests.integration.financing.test_pledges import cny
from tests.integration.licences.conftest import declaration_body


async def test_royalties_go_to_the_pledgee_until_covered(register):
    uni, ent, bank = await register(), await register("enterprise"), await register("financier", sub_kind=None)
    p = await uni.patent()
    decl = await ok(await uni.post("/v1/open-licences", declaration_body(
        p["patent_id"], royalty={"basis": "fixed_per_year", "amount": cny("100000.00")})), 201)
    lic = await ok(await ent.post(f"/v1/open-licences/{decl['id']}/acceptances", {}), 201)
    r = await uni.post("/v1/pledges", {"kind": "licence_income", "pledgee_org_id": bank.id,
                                       "patent_ids": [p["patent_id"]],
                                       "loan": {"amount": cny("150000.00"), "term_months": 12, "rate_percent": "4"}})
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "licence_ids"
    pledge = await ok(await uni.post("/v1/pledges", {
        "kind": "licence_income", "pledgee_org_id": bank.id, "licence_ids": [lic["id"]],
        "loan": {"amount": cny("150000.00"), "term_months": 12, "rate_percent": "4"}}), 201)
    pid = pledge["pledge_id"]
    confirmed = await ok(await bank.post(f"/v1/pledges/{pid}/confirm"))
    assert confirmed["status"] == "in_force"  # no register step: the patent itself stays free
    assert (await ok(await uni.get(f"/v1/patents/{p['patent_id']}")))["encumbrances"][0]["kind"] == "open_licence"

    year = datetime.now(UTC).year
    for period, amount in ((year, "60000.00"), (year, "40000.00"), (year + 1, "70000.00"), (year + 1, "30000.00")):
        await ok(await ent.post(f"/v1/licences/{lic['id']}/payments", {"period": period, "amount": cny(amount)}), 201)
    for viewer in (uni, bank):  # both parties see the ledger
        got = await ok(await viewer.get(f"/v1/pledges/{pid}"))
        split = [(x["paid"]["amount"], x["to_pledgee"]["amount"], x["to_licensor"]["amount"]) for x in got["ledger"]]
        assert split == [("60000.00", "60000.00", "0.00"), ("40000.00", "40000.00", "0.00"),
                         ("70000.00", "50000.00", "20000.00"),  # covered here: 150,000
                         ("30000.00", "0.00", "30000.00")]  # then the licensor's again
        assert (got["attributed"], got["secured_remaining"]) == (cny("150000.00"), cny("0.00"))


async def test_a_valuation_and_the_indicators_from_known_inputs(register, client, operator, foreign_events):
    uni, ent, bank = await register(), await register("enterprise"), await register("financier", sub_kind=None)
    p = await uni.patent(filing_date="2021-03-01", ipc=["H01M 4/525"])
    for _ in range(3):  # a portfolio of four in H01M
        await uni.patent(ipc=["H01M 10/0525"])
    await uni.patent(ipc=["G06F 16/00"])  # another subclass: not in the portfolio

    r = await ent.post(f"/v1/patents/{p['patent_id']}/valuations", {
        "evaluator": "x", "method": "income", "value": cny("1.00"), "valued_on": "2026-01-01", "report_ref": "r"})
    assert r.status == 403
    v = await ok(await bank.post(f"/v1/patents/{p['patent_id']}/valuations", {
        "evaluator": "上海某资产评估有限公司", "method": "income", "value": cny("3200000.00"),
        "valued_on": "2026-06-30", "report_ref": "沪评报字〔2026〕第0123号"}), 201)

    # Two open-licence licences, with 200,000 CNY of royalties; one completed deal (a licence).
    decl = await ok(await uni.post("/v1/open-licences", declaration_body(
        p["patent_id"], royalty={"basis": "fixed_per_year", "amount": cny("100000.00")})), 201)
    year = datetime.now(UTC).year
    for taker in (ent, await register("enterprise")):
        lic = await ok(await taker.post(f"/v1/open-licences/{decl['id']}/acceptances", {}), 201)
        await ok(await taker.post(f"/v1/licences/{lic['id']}/payments", {"period": year, "amount": cny("100000.00")}),
                 201)
    buyer = await register("enterprise")
    d = await agree(uni, buyer, [p["patent_id"]], "ordinary_licence")
    await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))

    # Interest shown in a listing of it: a roadshow feedback (prospect 4) and a push answer
    # (interest 2), recorded as the roadshows and distribution contexts do.
    listing = await uni.supply([p["patent_id"]], modes=["ordinary_licence"])
    await ok(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"))
    now = datetime.now(UTC)
    await foreign_events("roadshows", "rs_fixture", FeedbackSubmitted(
        roadshow_id="rs_fixture", feedback_id="fb_1", listing_id=listing["listing_id"], owner_org_id=uni.id,
        enterprise_org_id=ent.id, revision=1, industrialisation_prospect=4, improvement_needs="", concerns=[],
        cooperation="licence", at=now))
    await foreign_events("distribution", "push_1", PushFeedbackGiven(
        push_id="push_1", listing_id=listing["listing_id"], listing_owner_org_id=uni.id, from_org_id=ent.id,
        interest_level=2, cooperation="none"))

    async def with_interest():
        got = await ok(await uni.get(f"/v1/patents/{p['patent_id']}/indicators"))
        return got if {f["name"]: f for f in got["factors"]}["market_interest"]["value"] != "0.0000" else None

    got = await eventually(with_interest, timeout=15)
    factors = {f["name"]: f for f in got["factors"]}
    assert list(factors) == list(domain.WEIGHTS)  # every factor shown, in order
    assert sum(f["weight"] for f in got["factors"]) == 100
    expires = date.fromisoformat(p["expires_on"])
    years = Decimal((expires - datetime.now(UTC).date()).days) / Decimal("365.25")
    expected = {
        "legal_status": Decimal(1),
        "remaining_term": min(years / 10, Decimal(1)),
        "portfolio": Decimal(3) / 9,  # four in H01M
        "licences": Decimal(3) / 5,  # two open-licence licences and the deal's
        "transactions": Decimal(1) / 3,  # the deal
        "royalty_income": Decimal("0.2"),  # 200,000 of 1,000,000
        "market_interest": Decimal("0.5"),  # mean of 4 and 2 is 3 → (3 − 1) / 4
        "free_of_encumbrances": Decimal(1),
    }
    for name, value in expected.items():
        assert Decimal(factors[name]["value"]) == value.quantize(Decimal("0.0001")), (name, factors[name])
        assert Decimal(factors[name]["contribution"]) == (domain.WEIGHTS[name] * value.quantize(
            Decimal("0.0001"))).quantize(Decimal("0.01")), name
        assert factors[name]["evidence"]
    assert Decimal(got["score"]) == sum(Decimal(f["contribution"]) for f in got["factors"])
    assert got["latest_valuation"]["id"] == v["id"]
    assert "4 of the owner's patents" in factors["portfolio"]["evidence"]
