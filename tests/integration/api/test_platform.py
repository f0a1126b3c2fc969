"""DESIGN §4: organisations, API keys and mandates, through the public API."""

from __future__ import annotations

import asyncio
import time

from .helpers import fields, new_uscc, org_body, problem_of

OTHER_KINDS = ["institution", "enterprise", "venue", "agency", "financier"]


# -- registration --------------------------------------------------------------------------

async def test_registering_an_organisation_shows_its_key_once_and_the_key_works(client, operator):
    body = org_body("institution", name="复旦大学", sub_kind="university")
    r = await client.post("/v1/orgs", headers=operator, json=body)
    created = await r.json()
    assert r.status == 201, created
    org = created["org"]
    assert {k: org[k] for k in ("kind", "sub_kind", "name", "country", "uscc")} == {
        "kind": "institution", "sub_kind": "university", "name": "复旦大学", "country": "CN", "uscc": body["uscc"]}
    assert r.headers["Location"] == f"/v1/orgs/{org['id']}"
    key = created["api_key"]

    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status == 200
    assert (await me.json())["org"]["id"] == org["id"]

    keys = await client.get(f"/v1/orgs/{org['id']}/keys", headers={"Authorization": f"Bearer {key}"})
    text = await keys.text()
    assert keys.status == 200
    assert [k["key_id"] for k in (await keys.json())["items"]] == [created["key_id"]]
    assert key not in text and key.rsplit("_", 1)[1] not in text


async def test_a_uscc_already_registered_is_a_409(client, operator):
    uscc = new_uscc()
    assert (await client.post("/v1/orgs", headers=operator, json=org_body(uscc=uscc))).status == 201
    r = await client.post("/v1/orgs", headers=operator, json=org_body(uscc=uscc.lower()))
    assert fields(await problem_of(r, 409)) == {"uscc"}


async def test_concurrent_registrations_of_one_uscc_give_one_201_and_409s(client, operator, db):
    uscc = new_uscc()
    rs = await asyncio.gather(*(client.post("/v1/orgs", headers=operator, json=org_body(uscc=uscc)) for _ in range(5)))
    assert sorted(r.status for r in rs) == [201, 409, 409, 409, 409]
    for r in rs:
        if r.status == 409:
            await problem_of(r, 409)
    assert await db.fetchval("SELECT count(*) FROM platform.orgs WHERE uscc = $1", uscc) == 1


async def test_a_uscc_with_a_wrong_check_character_is_a_422_naming_uscc(client, operator, db):
    good = new_uscc()
    bad = good[:17] + next(c for c in "0123456789" if c != good[17])
    r = await client.post("/v1/orgs", headers=operator, json=org_body(uscc=bad))
    problem = await problem_of(r, 422)
    assert fields(problem) == {"uscc"}
    assert "check character" in problem["errors"][0]["message"]
    assert await db.fetchval("SELECT count(*) FROM platform.orgs WHERE uscc = $1", bad) == 0


async def test_a_foreign_organisation_registers_without_a_uscc(client, operator):
    r = await client.post("/v1/orgs", headers=operator, json=org_body("enterprise", country="DE", uscc=None))
    assert r.status == 201
    assert (await r.json())["org"]["uscc"] is None


# -- authentication ----------------------------------------------------------------------

async def test_no_or_a_bad_key_is_a_401_problem_with_www_authenticate(client):
    for authorization in (None, "Bearer psm_key_0000000000000000_nope", "Bearer nonsense", "Basic dXNlcjpwYXNz",
                          "Bearer "):
        r = await client.get("/v1/me", headers={"Authorization": authorization} if authorization else {})
        await problem_of(r, 401)
        assert r.headers["WWW-Authenticate"].startswith("Bearer"), authorization


async def test_a_key_with_a_forged_secret_is_a_401(client, register):
    org = await register()
    forged = org.key[:-4] + ("AAAA" if not org.key.endswith("AAAA") else "BBBB")
    await problem_of(await client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401)


# -- who may do what ---------------------------------------------------------------------

async def test_only_the_operator_registers_and_lists_organisations(client, register, db):
    orgs = await asyncio.gather(*(register(kind) for kind in OTHER_KINDS))
    before = await db.fetchval("SELECT count(*) FROM platform.orgs")
    for org in orgs:
        r = await client.post("/v1/orgs", headers=org.headers, json=org_body())
        assert (await problem_of(r, 403))["type"].endswith("/kind-not-allowed"), org.kind
        await problem_of(await client.get("/v1/orgs", headers=org.headers), 403)
    assert await db.fetchval("SELECT count(*) FROM platform.orgs") == before


async def test_an_organisation_cannot_issue_or_revoke_another_organisations_keys(client, register):
    a, b = await register(), await register()
    await problem_of(await client.post(f"/v1/orgs/{b.id}/keys", headers=a.headers), 403)
    await problem_of(await client.delete(f"/v1/orgs/{b.id}/keys/{b.key_id}", headers=a.headers), 403)
    await problem_of(await client.get(f"/v1/orgs/{b.id}/keys", headers=a.headers), 403)
    assert (await client.get("/v1/me", headers=b.headers)).status == 200


async def test_keys_of_an_unknown_organisation_are_a_404(client, operator):
    await problem_of(await client.post("/v1/orgs/org_nope/keys", headers=operator), 404)


async def test_rotation_revoked_key_fails_at_once_and_the_new_one_works(client, register):
    org = await register()
    r = await client.post(f"/v1/orgs/{org.id}/keys", headers=org.headers)
    second = await r.json()
    assert r.status == 201, second
    new = {"Authorization": f"Bearer {second['api_key']}"}
    assert (await client.get("/v1/me", headers=new)).status == 200

    assert (await client.delete(f"/v1/orgs/{org.id}/keys/{org.key_id}", headers=new)).status == 204
    await problem_of(await client.get("/v1/me", headers=org.headers), 401)
    me = await client.get("/v1/me", headers=new)
    assert me.status == 200 and (await me.json())["key_id"] == second["key_id"]

    keys = (await (await client.get(f"/v1/orgs/{org.id}/keys", headers=new)).json())["items"]
    assert {k["key_id"]: k["revoked_at"] is not None for k in keys} == {org.key_id: True, second["key_id"]: False}


async def test_revoking_a_key_the_organisation_does_not_have_is_a_404(client, register):
    a, b = await register(), await register()
    await problem_of(await client.delete(f"/v1/orgs/{a.id}/keys/{b.key_id}", headers=a.headers), 404)
    assert (await client.get("/v1/me", headers=b.headers)).status == 200


# -- mandates (On-Behalf-Of) -------------------------------------------------------------

async def grant(client, institution, venue_id: str):
    return await client.post(f"/v1/orgs/{institution.id}/mandates", headers=institution.headers,
                             json={"venue_id": venue_id})


async def test_a_mandated_venue_acts_for_the_institution(client, register):
    inst, venue = await register("institution"), await register("venue")
    r = await grant(client, inst, venue.id)
    assert r.status == 201, await r.text()
    me = await client.get("/v1/me", headers=venue.acting_for(inst.id))
    body = await me.json()
    assert me.status == 200, body
    assert (body["org"]["id"], body["acting_for"]) == (venue.id, inst.id)


async def test_a_venue_without_a_mandate_cannot_act_for_an_institution(client, register):
    inst, venue = await register("institution"), await register("venue")
    problem = await problem_of(await client.get("/v1/me", headers=venue.acting_for(inst.id)), 403)
    assert problem["type"].endswith("/no-mandate")


async def test_only_a_venue_may_use_on_behalf_of(client, register):
    inst = await register("institution")
    for kind in ("enterprise", "agency", "financier", "institution"):
        other = await register(kind)
        problem = await problem_of(await client.get("/v1/me", headers=other.acting_for(inst.id)), 403)
        assert problem["type"].endswith("/not-a-venue"), kind


async def test_revoking_a_mandate_stops_the_venue_at_once(client, register):
    inst, venue = await register("institution"), await register("venue")
    assert (await grant(client, inst, venue.id)).status == 201
    assert (await client.get("/v1/me", headers=venue.acting_for(inst.id))).status == 200
    r = await client.delete(f"/v1/orgs/{inst.id}/mandates/{venue.id}", headers=inst.headers)
    assert r.status == 204
    await problem_of(await client.get("/v1/me", headers=venue.acting_for(inst.id)), 403)
    listed = await (await client.get(f"/v1/orgs/{inst.id}/mandates", headers=inst.headers)).json()
    assert listed["items"] == []


async def test_a_mandate_granted_to_a_non_venue_is_a_422(client, register, db):
    inst = await register("institution")
    for kind in ("enterprise", "agency", "financier", "institution"):
        other = await register(kind)
        problem = await problem_of(await grant(client, inst, other.id), 422)
        assert fields(problem) == {"venue_id"}, kind
    assert await db.fetchval("SELECT count(*) FROM platform.mandates") == 0


async def test_a_mandate_to_an_unknown_venue_is_a_404(client, register):
    inst = await register("institution")
    await problem_of(await grant(client, inst, "org_nope"), 404)


async def test_a_venue_acting_for_an_institution_cannot_grant_its_mandates(client, register, db):
    inst, venue, other_venue = await register("institution"), await register("venue"), await register("venue")
    assert (await grant(client, inst, venue.id)).status == 201
    r = await client.post(f"/v1/orgs/{inst.id}/mandates", headers=venue.acting_for(inst.id),
                          json={"venue_id": other_venue.id})
    await problem_of(r, 403)
    assert await db.fetchval("SELECT count(*) FROM platform.mandates WHERE venue_id = $1", other_venue.id) == 0


async def test_a_venue_acting_for_an_institution_cannot_revoke_another_venues_mandate(client, register):
    inst, venue, rival = await register("institution"), await register("venue"), await register("venue")
    assert (await grant(client, inst, venue.id)).status == 201
    assert (await grant(client, inst, rival.id)).status == 201
    r = await client.delete(f"/v1/orgs/{inst.id}/mandates/{rival.id}", headers=venue.acting_for(inst.id))
    await problem_of(r, 403)
    assert (await client.get("/v1/me", headers=rival.acting_for(inst.id))).status == 200


async def test_a_venue_acting_for_an_institution_cannot_mint_or_revoke_its_keys(client, register):
    # A key minted under the mandate would outlive the mandate's revocation.
    inst, venue = await register("institution"), await register("venue")
    assert (await grant(client, inst, venue.id)).status == 201
    await problem_of(await client.post(f"/v1/orgs/{inst.id}/keys", headers=venue.acting_for(inst.id)), 403)
    r = await client.delete(f"/v1/orgs/{inst.id}/keys/{inst.key_id}", headers=venue.acting_for(inst.id))
    await problem_of(r, 403)
    assert (await client.get("/v1/me", headers=inst.headers)).status == 200


# -- events ------------------------------------------------------------------------------

async def test_registration_records_two_events_in_order_and_the_relay_publishes_them(client, register, db):
    org = await register("venue")
    rows = await db.fetch("SELECT sequence, event FROM platform.outbox WHERE subject = $1 ORDER BY sequence", org.id)
    assert [(r["sequence"], r["event"]["type"]) for r in rows] == [
        (1, "psm.org.registered.v1"), (2, "psm.org.key_issued.v1")]
    assert rows[0]["event"]["data"]["org_id"] == org.id
    assert rows[1]["event"]["data"]["key_id"] == org.key_id
    deadline = time.monotonic() + 5
    while True:
        unpublished = await db.fetchval(
            "SELECT count(*) FROM platform.outbox WHERE subject = $1 AND published_at IS NULL", org.id)
        if unpublished == 0:
            break
        assert time.monotonic() < deadline, f"{unpublished} events of {org.id} not published after 5 s"
        await asyncio.sleep(0.05)


async def test_the_event_carries_the_requests_trace(client, operator, db):
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    r = await client.post("/v1/orgs", json=org_body(),
                          headers=operator | {"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"})
    org_id = (await r.json())["org"]["id"]
    events = await db.fetch("SELECT event FROM platform.outbox WHERE subject = $1", org_id)
    assert {e["event"]["traceparent"].split("-")[1] for e in events} == {trace_id}
