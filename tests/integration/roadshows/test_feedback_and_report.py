"""Feedback (DESIGN §9, 计划第八条): validation, the report against a hand-computed
fixture, leads, and who may see what."""

from __future__ import annotations

from tests.integration.roadshows.conftest import attendees, problem, published_listing, published_roadshow

NO_CONCERNS = {"too_early": 0, "benefit_unclear": 0, "commercial_route_unclear": 0, "description_unclear": 0,
               "price": 0}
NO_COOPERATION = {"none": 0, "licence": 0, "transfer": 0, "joint_development": 0, "investment": 0}


def fb(listing_id: str, score: int, concerns: list[str], cooperation: str, needs: str = "") -> dict:
    return {"listing_id": listing_id, "industrialisation_prospect": score, "concerns": concerns,
            "cooperation": cooperation, "improvement_needs": needs}


async def test_feedback_rules_report_numbers_and_visibility(register):
    uni, uni2, venue = await register(), await register(), await register("venue")
    a, b = await published_listing(uni, title="高镍正极材料"), await published_listing(uni2, title="钠离子电池负极")
    rs = await published_roadshow(venue, [(a, 0), (b, 60)])
    e1, e2, e3, outsider = await attendees(register, 4)
    agency = await register("agency")
    for org in (e1, e2, e3, agency):
        assert (await org.post(f"/v1/roadshows/{rs['id']}/registrations", {})).status == 201
    url = f"/v1/roadshows/{rs['id']}/feedback"

    # Validation: each refusal names its field or rule, and nothing is written.
    for body, field in ((fb(a, 6, [], "none"), "industrialisation_prospect"),
                        (fb(a, 0, [], "none"), "industrialisation_prospect"),
                        (fb(a, 3, ["expensive"], "none"), "concerns.0"),
                        (fb(a, 3, [], "marriage"), "cooperation"),
                        (fb(a, 3, ["price", "price"], "none"), "concerns")):
        err = await problem(await e1.post(url, body), 422)
        assert [e["field"] for e in err["errors"]] == [field], err
    for org, rule in ((outsider, "not-registered"), (agency, "not-an-enterprise")):
        assert (await problem(await org.post(url, fb(a, 3, [], "none")), 422))["type"].endswith(rule)
    other = await published_listing(uni)
    err = await problem(await e1.post(url, fb(other, 3, [], "none")), 422)
    assert err["type"].endswith("listing-not-in-lineup") and err["errors"][0]["field"] == "listing_id"

    # The fixture. Listing a: 5, 4, 4→3 (edited); listing b: 2.
    r = await e1.post(url, fb(a, 5, ["price"], "licence", "希望提供中试数据"))
    assert r.status == 201, await r.text()
    assert (await e2.post(url, fb(a, 4, ["too_early", "price"], "transfer"))).status == 201
    r = await e3.post(url, fb(a, 4, [], "none"))
    assert r.status == 201
    e3_feedback = await r.json()
    assert (await e1.post(url, fb(b, 2, ["description_unclear"], "none"))).status == 201
    dup = await problem(await e1.post(url, fb(a, 1, [], "none")), 422)
    assert dup["type"].endswith("feedback-duplicate") and dup["errors"][0]["field"] == "listing_id"
    r = await e3.patch(f"{url}/{e3_feedback['id']}", {"industrialisation_prospect": 3, "concerns": ["benefit_unclear"]})
    assert r.status == 200, await r.text()
    assert (await r.json())["revision"] == 2
    # Another enterprise cannot touch (or even find) it.
    assert (await e1.patch(f"{url}/{e3_feedback['id']}", {"industrialisation_prospect": 1})).status == 404
    # 举手: a lead for the owner; raising it twice is the same lead.
    r = await e1.post(f"/v1/roadshows/{rs['id']}/interest", {"listing_id": a, "note": "想谈独占许可"})
    assert r.status == 201, await r.text()
    lead = await r.json()
    assert lead["owner_org_id"] == uni.id and lead["enterprise_org_id"] == e1.id
    again = await e1.post(f"/v1/roadshows/{rs['id']}/interest", {"listing_id": a})
    assert again.status == 200 and (await again.json())["id"] == lead["id"]

    r = await venue.get(f"/v1/roadshows/{rs['id']}/report")
    assert r.status == 200, await r.text()
    report = await r.json()
    assert report["registered"] == 4 and not report["closed"]
    ra, rb = report["listings"]
    assert ra["listing_id"] == a and ra["feedback_count"] == 3
    assert ra["prospect_mean"] == "4.00"  # (5 + 4 + 3) / 3
    assert ra["prospect_distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert ra["concerns"] == {**NO_CONCERNS, "price": 2, "too_early": 1, "benefit_unclear": 1}
    assert ra["cooperation"] == {**NO_COOPERATION, "licence": 1, "transfer": 1, "none": 1}
    assert [x["id"] for x in ra["leads"]] == [lead["id"]]
    assert rb["listing_id"] == b and rb["feedback_count"] == 1 and rb["prospect_mean"] == "2.00"
    assert rb["concerns"] == {**NO_CONCERNS, "description_unclear": 1} and rb["leads"] == []

    # A presenting owner sees its own listing's row; enterprises see no report.
    own = await (await uni.get(f"/v1/roadshows/{rs['id']}/report")).json()
    assert [x["listing_id"] for x in own["listings"]] == [a]
    await problem(await e1.get(f"/v1/roadshows/{rs['id']}/report"), 403)

    # The owner sees every piece of feedback on its listing, with the monthly trend.
    r = await uni.get(f"/v1/listings/{a}/feedback")
    assert r.status == 200, await r.text()
    mine = await r.json()
    assert sorted(x["enterprise_org_id"] for x in mine["items"]) == sorted([e1.id, e2.id, e3.id])
    assert mine["overall"]["prospect_mean"] == "4.00" and mine["overall"]["feedback_count"] == 3
    [month] = mine["trend"]
    assert month["feedback_count"] == 3 and month["prospect_mean"] == "4.00" and len(month["month"]) == 7
    assert [x["id"] for x in mine["leads"]] == [lead["id"]]
    # … nobody else does: not another owner, not an enterprise (not even one that gave feedback).
    for org in (uni2, e1, outsider):
        await problem(await org.get(f"/v1/listings/{a}/feedback"), 403)
    # An enterprise sees only its own feedback at the roadshow.
    seen = (await (await e2.get(url)).json())["items"]
    assert [x["enterprise_org_id"] for x in seen] == [e2.id]
    # A venue acting under the owner's mandate sees it too.
    r = await uni.post(f"/v1/orgs/{uni.id}/mandates", {"venue_id": venue.id})
    assert r.status in (200, 201), await r.text()
    r = await venue.client.get(f"/v1/listings/{a}/feedback", headers={**venue.headers, "On-Behalf-Of": uni.id})
    assert r.status == 200, await r.text()

    # Closing the report ends feedback and edits.
    assert (await e1.post(f"/v1/roadshows/{rs['id']}/report/close")).status == 403
    r = await venue.post(f"/v1/roadshows/{rs['id']}/report/close")
    assert r.status == 200 and (await r.json())["closed"]
    err = await problem(await e2.post(url, fb(b, 3, [], "none")), 422)
    assert err["type"].endswith("report-closed")
    err = await problem(await e3.patch(f"{url}/{e3_feedback['id']}", {"industrialisation_prospect": 5}), 422)
    assert err["type"].endswith("report-closed")
    assert (await (await venue.get(f"/v1/roadshows/{rs['id']}/report")).json())["listings"][0]["prospect_mean"] == "4.00"
