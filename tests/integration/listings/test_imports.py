"""Bulk NDJSON imports: accepted at once, applied in the background, valid lines kept."""

from __future__ import annotations

import json

from tests.integration.listings.conftest import cn_number, eventually, patent_body
from services.listings.imports import CHUNK

NDJSON = {"Content-Type": "application/x-ndjson"}


async def finished(org, job_id: str) -> dict:
    async def done():
        job = await (await org.get(f"/v1/patents/imports/{job_id}")).json()
        return job if job["status"] == "done" else None

    return await eventually(done, timeout=30)


async def test_keeps_valid_lines_and_reports_each_invalid_one(register):
    uni = await register()
    taken = await uni.patent()
    # More lines than a chunk (services/listings/imports.py CHUNK), so that the job goes on
    # across transactions; the invalid lines fall in the first chunk and in the last.
    lines = [json.dumps(patent_body(number=cn_number()), ensure_ascii=False) for _ in range(2100)]
    assert len(lines) > 2 * CHUNK
    lines[10] = json.dumps(patent_body(number="202310123456.1"))                 # bad check digit
    lines[20] = "{not json"
    lines[30] = json.dumps(patent_body(ipc=["nonsense"]))                         # bad IPC
    lines[40] = json.dumps(patent_body(number=taken["number"]))                   # already registered
    lines[2050] = json.dumps({**patent_body(), "colour": "blue"})                 # unknown field
    r = await uni.post("/v1/patents/imports", data="\n".join(lines).encode(), headers=NDJSON)
    assert r.status == 202, await r.text()
    job = await r.json()
    assert job["total"] == 2100 and job["status"] in ("queued", "running", "done")

    done = await finished(uni, job["id"])
    assert (done["accepted"], done["rejected"], done["processed"]) == (2095, 5, 2100)
    by_line = {e["line"]: e["errors"] for e in done["errors"]}
    assert set(by_line) == {11, 21, 31, 41, 2051}
    assert by_line[11][0]["field"] == "number"
    assert by_line[31][0]["field"] == "ipc.0"
    assert by_line[2051][0]["field"] == "colour"
    page = await (await uni.get("/v1/patents", params={"owner_org_id": uni.id, "limit": "200"})).json()
    assert len(page["items"]) == 200 and page["next_cursor"]


async def test_errors_page_with_a_cursor(register):
    uni = await register()
    lines = ["{bad"] * 7
    r = await uni.post("/v1/patents/imports", data="\n".join(lines).encode(), headers=NDJSON)
    job = await r.json()
    await finished(uni, job["id"])
    first = await (await uni.get(f"/v1/patents/imports/{job['id']}", params={"limit": "5"})).json()
    rest = await (await uni.get(f"/v1/patents/imports/{job['id']}",
                                params={"limit": "5", "cursor": first["next_errors_cursor"]})).json()
    assert [e["line"] for e in first["errors"] + rest["errors"]] == list(range(1, 8))
    assert rest["next_errors_cursor"] is None


async def test_refuses_a_body_that_is_not_ndjson(register):
    uni = await register()
    r = await uni.post("/v1/patents/imports", json=[patent_body()])
    assert r.status == 415
    assert r.content_type == "application/problem+json"


async def test_another_organisation_cannot_see_an_import(register):
    uni = await register()
    other = await register()
    r = await uni.post("/v1/patents/imports", data=json.dumps(patent_body()).encode(), headers=NDJSON)
    job = await r.json()
    assert (await other.get(f"/v1/patents/imports/{job['id']}")).status == 404


async def test_a_nul_character_is_refused_naming_its_line(register):
    uni = await register()
    body = '{"title": "ok"}\n{"title": "a\u0000b"}\n'.encode()
    r = await uni.post("/v1/patents/imports", data=body, headers=NDJSON)
    problem = await r.json()
    assert r.status == 422 and problem["errors"] == [
        {"field": "body", "message": "line 2 contains a NUL character (\\u0000)"}]
