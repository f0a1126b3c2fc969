"""DESIGN §3: the conventions every endpoint follows (errors, idempotency, lists, ops)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import uuid


from .helpers import fields, org_body, problem_of

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def count_orgs(db) -> int:
    return await db.fetchval("SELECT count(*) FROM platform.orgs")


async def count_outbox(db) -> int:
    return await db.fetchval("SELECT count(*) FROM platform.outbox")


# -- errors ------------------------------------------------------------------------------

async def test_malformed_or_too_deeply_nested_json_is_a_400_problem(client, operator, db):
    before = await count_orgs(db)
    json_headers = operator | {"Content-Type": "application/json"}
    problem = await problem_of(await client.post("/v1/orgs", headers=json_headers, data=b'{"kind": '), 400)
    assert problem["type"].endswith("/malformed-json")
    # Valid-looking JSON that would exhaust the parser's stack: refused, not a crash.
    deep = b"[" * 100_000 + b"]" * 100_000
    await problem_of(await client.post("/v1/orgs", headers=json_headers, data=deep), 400)
    assert await count_orgs(db) == before


async def test_a_body_that_is_not_json_typed_is_a_415(client, operator):
    r = await client.post("/v1/orgs", headers=operator | {"Content-Type": "text/plain"},
                          data=json.dumps(org_body()).encode())
    problem = await problem_of(r, 415)
    assert "text/plain" in problem["detail"]


async def test_a_body_over_the_limit_is_a_413_problem_however_it_is_sent(client, operator, settings, db):
    before = await count_orgs(db)
    json_headers = operator | {"Content-Type": "application/json"}
    body = io.BytesIO(json.dumps(org_body(name="x" * settings.max_body_bytes)).encode())
    await problem_of(await client.post("/v1/orgs", headers=json_headers, data=body), 413)

    async def chunks():  # no Content-Length: the server must count as it reads
        yield b'{"name": "'
        for _ in range(settings.max_body_bytes // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    await problem_of(await client.post("/v1/orgs", headers=json_headers, data=chunks()), 413)
    assert await count_orgs(db) == before

    just_under = org_body()
    just_under["name"] = "x" * (settings.max_body_bytes - len(json.dumps(just_under | {"name": ""})) - 10)
    r = await client.post("/v1/orgs", headers=operator, json=just_under)
    assert fields(await problem_of(r, 422)) == {"name"}  # judged on its content (too long a name), not its size


async def test_an_unknown_or_missing_field_is_a_422_naming_it(client, operator, db):
    before = await count_orgs(db)
    r = await client.post("/v1/orgs", headers=operator, json=org_body(colour="red"))
    assert (await problem_of(r, 422))["errors"] == [{"field": "colour", "message": "unknown field"}]
    body = org_body()
    del body["name"]
    assert fields(await problem_of(await client.post("/v1/orgs", headers=operator, json=body), 422)) == {"name"}
    assert fields(await problem_of(await client.post("/v1/orgs", headers=operator, json=[1, 2]), 422)) == {"body"}
    assert await count_orgs(db) == before


async def test_text_postgresql_cannot_store_is_a_422_or_404_not_a_crash(client, operator, db):
    before = await count_orgs(db)
    for name in ("nul \u0000 inside", "lone \ud800 surrogate"):
        data = json.dumps(org_body(name=name)).encode()  # ensure_ascii keeps the lone surrogate as \ud800
        r = await client.post("/v1/orgs", headers=operator | {"Content-Type": "application/json"}, data=data)
        assert fields(await problem_of(r, 422)) == {"name"}, name
    assert fields(await problem_of(await client.get("/v1/orgs?kind=%00", headers=operator), 422)) == {"query.kind"}
    await problem_of(await client.get("/v1/orgs/org%00x", headers=operator), 404)
    r = await client.post("/v1/orgs", headers=operator | {"Idempotency-Key": "k\u00e9"}, json=org_body())
    assert r.status == 201  # not ASCII, but text: only what PostgreSQL cannot hold is refused
    assert await count_orgs(db) == before + 1


async def test_an_unknown_route_is_a_404_and_a_wrong_method_a_405_problem(client, operator):
    problem = await problem_of(await client.get("/v1/no-such-thing", headers=operator), 404)
    assert problem["type"].endswith("/not-found")
    r = await client.put("/v1/orgs", headers=operator, json={})
    await problem_of(r, 405)
    assert set(r.headers["Allow"].split(",")) >= {"GET", "POST"}


async def test_an_anonymous_request_is_refused_before_its_body_is_judged(client):
    r = await client.post("/v1/orgs", json={"nonsense": True})
    await problem_of(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_conflict_leaves_nothing_half_written(client, operator, db):
    body = org_body()
    assert (await client.post("/v1/orgs", headers=operator, json=body)).status == 201
    orgs, events, keys = await count_orgs(db), await count_outbox(db), await db.fetchval(
        "SELECT count(*) FROM platform.api_keys")
    await problem_of(await client.post("/v1/orgs", headers=operator, json=org_body(uscc=body["uscc"])), 409)
    assert (await count_orgs(db), await count_outbox(db),
            await db.fetchval("SELECT count(*) FROM platform.api_keys")) == (orgs, events, keys)


# -- Idempotency-Key ---------------------------------------------------------------------

async def test_a_replay_returns_the_first_response_and_has_one_effect(client, operator, db):
    headers = operator | {"Idempotency-Key": str(uuid.uuid4())}
    body = org_body()
    first = await client.post("/v1/orgs", headers=headers, json=body)
    first_body = await first.read()
    assert first.status == 201, first_body
    assert "Idempotent-Replayed" not in first.headers
    events = await count_outbox(db)

    again = await client.post("/v1/orgs", headers=headers, json=body)
    assert (again.status, await again.read()) == (201, first_body)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.content_type == "application/json"
    assert await db.fetchval("SELECT count(*) FROM platform.orgs WHERE uscc = $1", body["uscc"]) == 1
    assert await count_outbox(db) == events


async def test_the_same_key_with_another_body_is_a_422(client, operator, db):
    headers = operator | {"Idempotency-Key": str(uuid.uuid4())}
    assert (await client.post("/v1/orgs", headers=headers, json=org_body())).status == 201
    before = await count_orgs(db)
    r = await client.post("/v1/orgs", headers=headers, json=org_body())
    assert fields(await problem_of(r, 422)) == {"Idempotency-Key"}
    assert await count_orgs(db) == before


async def test_concurrent_duplicates_have_exactly_one_effect_and_one_answer(client, operator, db):
    headers = operator | {"Idempotency-Key": str(uuid.uuid4())}
    body = org_body()
    before = await count_orgs(db)

    async def post() -> tuple[int, bytes]:
        r = await client.post("/v1/orgs", headers=headers, json=body)
        return r.status, await r.read()

    answers = await asyncio.gather(*(post() for _ in range(20)))
    assert len(set(answers)) == 1, answers
    assert answers[0][0] == 201
    assert await count_orgs(db) == before + 1


async def test_keys_of_different_organisations_do_not_collide(client, register):
    a, b = await register(), await register()
    key = {"Idempotency-Key": "same-key"}
    ra = await client.post(f"/v1/orgs/{a.id}/keys", headers=a.headers | key)
    rb = await client.post(f"/v1/orgs/{b.id}/keys", headers=b.headers | key)
    assert (ra.status, rb.status) == (201, 201)
    assert (await ra.json())["key_id"] != (await rb.json())["key_id"]
    assert "Idempotent-Replayed" not in rb.headers


async def test_an_idempotency_key_over_255_characters_is_a_422(client, operator):
    r = await client.post("/v1/orgs", headers=operator | {"Idempotency-Key": "k" * 256}, json=org_body())
    assert fields(await problem_of(r, 422)) == {"Idempotency-Key"}


# -- lists -------------------------------------------------------------------------------

async def test_cursor_pagination_returns_every_item_exactly_once(client, operator, register, db):
    await asyncio.gather(*(register() for _ in range(25)))
    expected = {r["id"] for r in await db.fetch("SELECT id FROM platform.orgs")}
    assert len(expected) >= 25
    seen: list[str] = []
    url, pages = "/v1/orgs?limit=10", 0
    while url:
        r = await client.get(url, headers=operator)
        page = await r.json()
        assert r.status == 200, page
        assert len(page["items"]) <= 10
        seen += [o["id"] for o in page["items"]]
        pages += 1
        url = f"/v1/orgs?limit=10&cursor={page['next_cursor']}" if page["next_cursor"] else None
    assert sorted(seen) == sorted(expected)
    assert pages == -(-len(expected) // 10)


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def test_a_cursor_the_api_did_not_issue_is_refused_on_query_cursor(client, operator):
    for cursor in ["!!!", "bm90IGpzb24", _cursor({"a": 1}), _cursor(["yesterday", "org_x"]), _cursor([1]),
                   _cursor([None, None, None]), _cursor(["2024-01-01T00:00:00", "org_x"]),
                   _cursor(["0001-01-01T00:00:00+14:00", "org_x"])]:
        r = await client.get(f"/v1/orgs?cursor={cursor}", headers=operator)
        assert r.status in (400, 422), cursor
        assert fields(await problem_of(r, r.status)) == {"query.cursor"}, cursor


async def test_a_limit_outside_1_to_200_is_a_422(client, operator):
    for limit in ["201", "0", "-1", "ten"]:
        r = await client.get(f"/v1/orgs?limit={limit}", headers=operator)
        assert fields(await problem_of(r, 422)) == {"query.limit"}, limit
    assert (await client.get("/v1/orgs?limit=200", headers=operator)).status == 200


async def test_an_unknown_query_parameter_is_a_422_naming_it(client, operator):
    r = await client.get("/v1/orgs?colour=red", headers=operator)
    assert fields(await problem_of(r, 422)) == {"query.colour"}


# -- OpenAPI -----------------------------------------------------------------------------

async def test_openapi_document_lists_every_route_with_its_schemas(client):
    r = await client.get("/v1/openapi.json")
    assert r.status == 200
    doc = await r.json()
    assert doc["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    served = {(route.method, route.resource.canonical) for route in client.app.router.routes()
              if route.resource is not None and route.method != "HEAD"}
    assert documented == served  # /v1 and the operations endpoints alike

    schemas = doc["components"]["schemas"]

    def resolves(schema: dict) -> bool:
        ref = schema.get("$ref", "")
        return ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas

    create = doc["paths"]["/v1/orgs"]["post"]
    assert resolves(create["requestBody"]["content"]["application/json"]["schema"])
    assert resolves(create["responses"]["201"]["content"]["application/json"]["schema"])
    assert {"401", "403", "409", "422"} <= create["responses"].keys()
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert set(schemas["OrgCreate"]["required"]) == {"kind", "name", "country"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            ok = [s for s in op["responses"] if s.startswith("2") or s == "101"]  # 101: a WebSocket
            assert ok, (method, path)
            content = op["responses"][ok[0]].get("content")
            if ok[0] not in ("101", "204"):
                # JSON, or a file format the route declares (text/calendar for a roadshow's .ics).
                assert content and resolves(next(iter(content.values()))["schema"]), (method, path)


# -- ops ---------------------------------------------------------------------------------

async def test_metrics_count_requests_by_route_and_show_the_outbox(client, operator, register):
    org = await register()
    assert (await client.get(f"/v1/orgs/{org.id}", headers=operator)).status == 200
    r = await client.get("/metrics")
    assert r.status == 200
    text = await r.text()
    assert re.search(r'^psm_http_requests_total\{method="GET",route="/v1/orgs/\{id\}",status="200"\} 1\.0$',
                     text, re.M), text
    assert re.search(r'^psm_http_requests_total\{method="POST",route="/v1/orgs",status="201"\} 1\.0$', text, re.M)
    assert re.search(r'^psm_outbox_unpublished\{schema="platform"\} \d+(\.\d+)?$', text, re.M)


async def test_unmatched_paths_share_one_metrics_label(client):
    for i in range(3):
        await client.get(f"/v1/nothing-{i}")
    text = await (await client.get("/metrics")).text()
    assert "nothing-" not in text
    assert 'route="unmatched",status="404"} 3.0' in text


async def test_healthz_answers_and_readyz_reports_all_three_servers_ok(client):
    assert (await client.get("/healthz")).status == 200
    for _ in range(300):  # "starting" (503) while the app's consumers first join their groups
        r = await client.get("/readyz")
        body = await r.json()
        if body["status"] != "starting":
            break
        await asyncio.sleep(0.1)
    assert r.status == 200, body
    assert body["checks"] == {"postgresql": "ok", "kafka": "ok", "elasticsearch": "ok"}


async def test_a_response_continues_the_callers_trace_or_starts_one(client, operator):
    incoming = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    r = await client.get("/v1/me", headers=operator | {"traceparent": incoming})
    version, trace_id, parent_id, flags = r.headers["traceparent"].split("-")
    assert (version, trace_id) == ("00", TRACE_ID)
    assert parent_id != "00f067aa0ba902b7" and re.fullmatch(r"[0-9a-f]{16}", parent_id)

    for sent in (None, "garbage", f"00-{'0' * 32}-00f067aa0ba902b7-01"):
        r = await client.get("/v1/nothing", headers={"traceparent": sent} if sent else {})
        assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", r.headers["traceparent"])
        assert r.headers["traceparent"].split("-")[1] not in (TRACE_ID, "0" * 32)
