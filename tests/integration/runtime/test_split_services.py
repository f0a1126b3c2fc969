"""One service per process (``psm serve --services …``): three single-service processes
share the database and the topics, authenticate alike, and a flow that crosses them
needs no retry — the register (listings) decides a declaration made on licences."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from services.runtime.settings import Settings
from services.tools.demo.identifiers import uscc
from tests.integration.auctions.test_replicas import OPERATOR, spawn, stop, wait_ready
from tests.integration.listings.conftest import patent_body
from tests.integration.register.conftest import declaration_body


async def test_three_single_service_processes_run_a_cross_service_flow(settings: Settings, tmp_path: Path):
    procs = {name: spawn(settings, tmp_path / f"{name}.log", "--services", name)
             for name in ("platform", "listings", "licences")}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            for p in procs.values():
                await wait_ready(http, p)
            url = {name: p.url for name, p in procs.items()}

            async def call(service: str, method: str, path: str, key: str | None = None, body=None):
                headers = OPERATOR if key is None else {"Authorization": f"Bearer {key}"}
                async with http.request(method, url[service] + path, json=body, headers=headers) as r:
                    return r.status, (await r.json() if r.content_length else None)

            # Each process answers its own routes only, and says what it runs.
            status, ready = await call("licences", "GET", "/readyz")
            assert status == 200 and ready["services"] == ["licences"], ready
            assert set(ready["consumers"]) == {"licences.register", "licences.orgs", "licences.deals"}
            assert set(ready["relays"]) == {"licences"}
            status, _ = await call("listings", "GET", "/v1/open-licences")
            assert status == 404

            status, org = await call("platform", "POST", "/v1/orgs", body={
                "kind": "institution", "sub_kind": "university", "name": "同济大学", "country": "CN", "uscc": uscc()})
            assert status == 201, org
            key = org["api_key"]
            # A key issued by the platform process authenticates on every other process,
            # at once; and each step follows the one before it on another process.
            status, patent = await call("listings", "POST", "/v1/patents", key, patent_body())
            assert status == 201, patent
            status, listing = await call("listings", "POST", "/v1/listings", key, {
                "kind": "supply", "title": "独占许可", "patent_ids": [patent["patent_id"]],
                "modes": ["exclusive_licence"], "negotiable": True})
            assert status == 201, listing
            status, declared = await call("licences", "POST", "/v1/open-licences", key,
                                          declaration_body(patent["patent_id"]))
            assert (status, declared["status"]) == (201, "in_force"), declared
            status, refused = await call("listings", "POST", f"/v1/listings/{listing['listing_id']}/publish", key)
            assert status == 422 and refused["type"].endswith("/open-licence-in-force"), refused
            status, rights = await call("listings", "GET", f"/v1/patents/{patent['patent_id']}", key)
            assert [e["kind"] for e in rights["encumbrances"]] == ["open_licence"]

            # A revoked key fails at once on another process too.
            status, _ = await call("platform", "DELETE", f"/v1/orgs/{org['org']['id']}/keys/{org['key_id']}")
            assert status in (200, 204)
            status, _ = await call("licences", "GET", "/v1/licences", key)
            assert status == 401
    finally:
        for p in procs.values():
            await stop(p)
