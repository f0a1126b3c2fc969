"""A pledge's whole life, each step by the wrong party, and the pledgee's consents: a
transfer and an open-licence declaration are refused without them and allowed with them."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.deals.conftest import agree, ok
from tests.integration.licences.conftest import declaration_body
from tests.integration.register.conftest import decided


def cny(x: str) -> dict:
    return {"amount": x, "currency": "CNY"}


def pledge_body(pledgee, patent_ids: list[str], **over) -> dict:
    body = {"pledgee_org_id": pledgee.id, "patent_ids": patent_ids,
            "loan": {"amount": cny("5000000.00"), "term_months": 24, "rate_percent": "3.45"}, "guaranteed": True}
    body.update(over)
    return body


async def in_force(uni, bank, patent_ids: list[str]) -> dict:
    p = await ok(await uni.post("/v1/pledges", pledge_body(bank, patent_ids)), 201)
    return await ok(await bank.post(f"/v1/pledges/{p['pledge_id']}/confirm"))


async def test_a_pledge_through_its_life_with_the_wrong_party_at_each_step(register, client, operator):
    uni, bank = await register(), await register("financier", sub_kind=None)
    other_bank, stranger = await register("financier", sub_kind=None), await register("enterprise")
    p1, p2 = await uni.patent(), await uni.patent()
    ids = [p1["patent_id"], p2["patent_id"]]

    r = await stranger.post("/v1/pledges", pledge_body(bank, ids))
    assert r.status == 403 and (await r.json())["type"].endswith("/not-the-holder")
    r = await uni.post("/v1/pledges", pledge_body(stranger, ids))
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "pledgee_org_id"
    r = await uni.post("/v1/pledges", pledge_body(bank, ids, loan={"amount": cny("0.00"), "term_months": 0,
                                                                  "rate_percent": "3"}))
    assert r.status == 422 and {e["field"] for e in (await r.json())["errors"]} >= {"loan.term_months"}

    p = await ok(await uni.post("/v1/pledges", pledge_body(bank, ids)), 201)
    pid = p["pledge_id"]
    assert (p["status"], p["kind"], p["patent_ids"]) == ("proposed", "patent", sorted(ids))
    # Only the financier confirms; an outsider does not even see the pledge.
    assert (await stranger.post(f"/v1/pledges/{pid}/confirm")).status == 404
    assert (await other_bank.get(f"/v1/pledges/{pid}")).status == 404
    r = await uni.post(f"/v1/pledges/{pid}/confirm")
    assert r.status == 403 and (await r.json())["type"].endswith("/not-pledgee")
    assert (await client.post(f"/v1/pledges/{pid}/confirm", headers=operator)).status == 403
    confirmed = await ok(await bank.post(f"/v1/pledges/{pid}/confirm"))
    assert confirmed["status"] == "in_force" and confirmed["effective_at"]
    for patent_id in ids:
        held = (await ok(await uni.get(f"/v1/patents/{patent_id}")))["encumbrances"]
        assert [(e["kind"], e["reference_id"], e["holder_org_id"]) for e in held] == [("pledge", pid, bank.id)]

    # CNIPA registration (质押登记), by either party.
    reg = await ok(await uni.post(f"/v1/pledges/{pid}/registration", {"registration_no": "Y2026980001234"}))
    assert reg["registration_no"] == "Y2026980001234"

    # Only the financier releases or declares a default.
    for step in ("release", "default"):
        r = await uni.post(f"/v1/pledges/{pid}/{step}")
        assert r.status == 403, step
    released = await ok(await bank.post(f"/v1/pledges/{pid}/release"))
    assert released["status"] == "released"
    assert (await ok(await uni.get(f"/v1/patents/{ids[0]}")))["encumbrances"] == []
    assert [h["step"] for h in released["history"]] == ["proposed", "confirmed", "in_force", "registered", "released"]
    r = await bank.post(f"/v1/pledges/{pid}/release")
    assert r.status == 409 and (await r.json())["type"].endswith("/pledge-not-in-force")


async def test_the_register_refuses_a_second_pledge_and_a_pledge_of_an_offered_patent(register):
    uni, bank = await register(), await register("financier", sub_kind=None)
    p = await uni.patent()
    await in_force(uni, bank, [p["patent_id"]])
    second = await ok(await uni.post("/v1/pledges", pledge_body(bank, [p["patent_id"]])), 201)
    r = await bank.post(f"/v1/pledges/{second['pledge_id']}/confirm")
    status, body = await decided(bank, r, "/v1/pledges")
    assert status == 409 and body["type"].endswith("/patent-already-pledged"), body
    got = await ok(await uni.get(f"/v1/pledges/{second['pledge_id']}"))
    assert got["status"] == "refused" and got["refusal"]["rule"] == "patent-already-pledged"


async def test_consents_open_the_way_to_a_transfer_and_an_open_licence(register):
    uni, bank = await register(), await register("financier", sub_kind=None)
    p = await uni.patent()
    pledge = await in_force(uni, bank, [p["patent_id"]])
    pid = pledge["pledge_id"]

    # Without the pledgee's consent: no open licence (Implementing Regulations art. 86 (4)),
    # no transfer offer (Civil Code art. 444) — even if the declarer claims one.
    status, body = await decided(uni, await uni.post("/v1/open-licences", declaration_body(
        p["patent_id"], pledgee_consents=[bank.id])), "/v1/open-licences")
    assert status == 422 and body["type"].endswith("/pledged-without-pledgee-consent"), body
    listing = await uni.supply([p["patent_id"]])
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/publish")
    assert r.status == 422 and (await r.json())["type"].endswith("/pledged-without-pledgee-consent")

    # Only the pledgee consents.
    r = await uni.post(f"/v1/pledges/{pid}/consents", {"scope": "transfer"})
    assert r.status == 403
    given = await ok(await bank.post(f"/v1/pledges/{pid}/consents", {"scope": "transfer"}))
    assert given["consents"] == ["transfer"]
    await ok(await uni.post(f"/v1/listings/{listing['listing_id']}/publish"))  # the transfer offer, now

    # The open-licence consent is a separate one; revoked, it no longer opens the way.
    await ok(await bank.post(f"/v1/pledges/{pid}/consents", {"scope": "open_licence"}))
    revoked = await ok(await bank.delete(f"/v1/pledges/{pid}/consents/open_licence"))
    assert revoked["consents"] == ["transfer"]
    status, body = await decided(uni, await uni.post("/v1/open-licences", declaration_body(p["patent_id"])),
                                 "/v1/open-licences")
    assert status == 422, body
    await ok(await bank.post(f"/v1/pledges/{pid}/consents", {"scope": "open_licence"}))
    status, body = await decided(uni, await uni.post("/v1/open-licences", declaration_body(p["patent_id"])),
                                 "/v1/open-licences")
    assert status == 201 and body["status"] == "in_force", body
    # Revoking now does not undo the declaration made with it (not retroactive).
    await ok(await bank.delete(f"/v1/pledges/{pid}/consents/open_licence"))
    assert (await ok(await uni.get(f"/v1/open-licences/{body['id']}")))["status"] == "in_force"
    assert [h["step"] for h in (await ok(await bank.get(f"/v1/pledges/{pid}")))["history"]][-1] == \
        "consent_revoked:open_licence"


async def test_pledge_statistics(register, client, operator):
    uni, sme, bank = await register(), await register("enterprise"), await register("financier", sub_kind=None)
    p1 = await uni.patent()
    released = await in_force(uni, bank, [p1["patent_id"]])
    await ok(await bank.post(f"/v1/pledges/{released['pledge_id']}/release"))
    # An enterprise's own patent (bought at a deal) pledged: an SME served.
    p2 = await uni.patent()
    d = await agree(uni, sme, [p2["patent_id"]])
    await ok(await client.post(f"/v1/deals/{d['deal_id']}/payment", json={}, headers=operator))
    body = pledge_body(bank, [p2["patent_id"]], loan={"amount": cny("2000000.00"), "term_months": 12,
                                                       "rate_percent": "3"})
    p = await ok(await sme.post("/v1/pledges", body), 201)
    await ok(await bank.post(f"/v1/pledges/{p['pledge_id']}/confirm"))

    today = datetime.now(UTC).date().isoformat()
    s = await ok(await client.get("/v1/stats/pledges", params={"from": today, "to": today}, headers=operator))
    assert (s["pledges"], s["amount"], s["smes"], s["outstanding"]) == (2, "7000000.00", 1, "2000000.00")
    (period,) = s["periods"]
    assert (period["pledges"], period["amount"], period["smes"]) == (2, "7000000.00", 1)
    assert (s["amount_target"], s["sme_target"]) == ("30000000000.00", 2000)
