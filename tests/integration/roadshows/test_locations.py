"""Every Location a create answers with resolves, for the one who created it — and only
for those who may see it."""

from __future__ import annotations

from tests.integration.roadshows.conftest import attendees, published_listing, published_roadshow


async def test_locations_of_registrations_feedback_and_subscriptions_resolve(register):
    uni, venue = await register(), await register("venue")
    a = await published_listing(uni, title="高镍正极材料")
    rs = await published_roadshow(venue, [(a, 0)])
    ent, other = await attendees(register, 2)
    r = await ent.post(f"/v1/roadshows/{rs['id']}/registrations", {})
    assert r.status == 201
    reg = await (await ent.get(r.headers["Location"])).json()
    assert (reg["org_id"], reg["status"]) == (ent.id, "registered")
    assert (await venue.get(r.headers["Location"])).status == 200  # the organiser
    assert (await other.get(r.headers["Location"])).status == 404

    r = await ent.post(f"/v1/roadshows/{rs['id']}/feedback", {
        "listing_id": a, "industrialisation_prospect": 4, "concerns": ["price"], "cooperation": "licence",
        "improvement_needs": "中试数据"})
    assert r.status == 201, await r.text()
    got = await ent.get(r.headers["Location"])
    assert got.status == 200 and (await got.json())["industrialisation_prospect"] == 4
    assert (await other.get(r.headers["Location"])).status == 404  # never another enterprise's feedback

    r = await ent.post("/v1/subscriptions", {"query": "正极材料"})
    assert r.status == 201
    got = await ent.get(r.headers["Location"])
    assert got.status == 200 and (await got.json())["query"] == "正极材料"
    assert (await other.get(r.headers["Location"])).status == 404
