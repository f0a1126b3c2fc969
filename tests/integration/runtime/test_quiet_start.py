"""A healthy start and a few requests log nothing at warning level or above, and no
client library chatters at INFO (the Elasticsearch client used to log every request)."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from services.runtime.settings import Settings
from tests.integration.auctions.test_replicas import OPERATOR, OPERATOR_KEY, spawn, stop, wait_ready


async def test_a_healthy_start_is_quiet(settings: Settings, tmp_path: Path):
    log = tmp_path / "serve.log"
    p = spawn(settings, log, log_level="INFO")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            await wait_ready(http, p)
            for path in ("/v1/orgs", "/v1/auctions", "/v1/catalogue/search?q=battery"):
                async with http.get(p.url + path, headers=OPERATOR) as r:
                    assert r.status == 200, await r.text()
    finally:
        await stop(p)
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert entries, "the server logged nothing at all (is PSM_LOG_LEVEL=INFO taken?)"
    loud = [e for e in entries if e["level"] in ("warning", "error", "critical")]
    assert loud == [], loud[:5]
    assert not [e for e in entries if e["logger"].startswith(("elastic_transport", "aiokafka"))]

    # One access line a request (the probes aside), and the operator key nowhere in the log.
    access = [e["message"] for e in entries if e["logger"] == "psm.access"]
    for path in ("/v1/orgs", "/v1/auctions", "/v1/catalogue/search"):
        assert any(m.startswith(f"GET {path} 200 ") and m.endswith("org=operator") for m in access), (path, access)
    assert not any("/readyz" in m for m in access)
    assert OPERATOR_KEY not in log.read_text()
