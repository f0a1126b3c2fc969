"""A client generated from the OpenAPI document by a standard generator
(openapi-python-client) runs the main flow against a real ``psm serve``: organisations, a
patent, a listing, a search, an auction and a bid — every answer parsed by the generated
models, so the document describes what the API does."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from services.runtime.settings import Settings
from services.tools.demo.identifiers import uscc
from tests.conftest import OPERATOR_KEY
from tests.integration.auctions.test_replicas import spawn, stop, wait_ready
from tests.integration.listings.conftest import patent_body


def generate(base_url: str, into: Path):
    (into / "openapi.json").write_bytes(urllib.request.urlopen(base_url + "/v1/openapi.json", timeout=30).read())
    (into / "generator.json").write_text('{"post_hooks": []}')  # no formatter needed: the code is only run
    out = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path",
                          str(into / "openapi.json"), "--output-path", str(into / "psm_client"), "--meta", "none",
                          "--config", str(into / "generator.json")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    # The one endpoint a generator cannot express is the NDJSON bulk import.
    assert "Unable to" not in out.stdout.replace("Unable to parse this part of your OpenAPI document: : ", ""), \
        out.stdout
    sys.path.insert(0, str(into))
    return importlib.import_module("psm_client")


def flow(client_pkg, base_url: str) -> dict:
    api = importlib.import_module("psm_client.api")  # noqa: F841 — the package is importable whole
    m = importlib.import_module("psm_client.models")

    def call(module: str, *args, expect: int, **kw):
        fn = importlib.import_module(f"psm_client.api.{module}")
        r = fn.sync_detailed(*args, **kw)
        assert r.status_code == expect, (module, r.status_code, r.content[:500])
        assert not isinstance(r.parsed, m.Problem), (module, r.parsed)
        return r.parsed

    clients = []

    def client_for(token: str):
        c = client_pkg.AuthenticatedClient(base_url=base_url, token=token, timeout=30)
        clients.append(c)
        return c

    try:
        return _flow(m, call, client_for, base_url)
    finally:
        for c in clients:
            c.get_httpx_client().close()


def _flow(m, call, client_for, base_url: str) -> dict:
    operator = client_for(OPERATOR_KEY)

    def org(kind: str, **extra):
        body = m.OrgCreate.from_dict({"kind": kind, "name": f"客户端{kind}", "country": "CN", "uscc": uscc(), **extra})
        created = call("platform.platform_register_org", client=operator, body=body, expect=201)
        return created.org.id, client_for(created.api_key)

    uni_id, uni = org("institution", sub_kind="university")
    _, ent = org("enterprise")
    patent = call("listings.listings_register_patent", client=uni,
                  body=m.PatentCreate.from_dict(patent_body(title="一种固态锂电池电解质")), expect=201)
    assert patent.id == patent.patent_id and patent.owner_org_id == uni_id
    listing = call("listings.listings_create_listing", client=uni, body=m.ListingCreate.from_dict({
        "kind": "supply", "patent_ids": [patent.id], "modes": ["transfer"], "negotiable": True}), expect=201)
    call("listings.listings_publish_listing", listing.id, client=uni, expect=200)

    deadline = time.monotonic() + 20
    while True:  # the catalogue is eventually consistent by design
        found = call("search.search_search_catalogue", client=ent, q="固态锂电池", expect=200)
        if any(hit.id == listing.id for hit in found.items) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert any(hit.id == listing.id for hit in found.items)

    now = datetime.now(UTC)
    auction = call("auctions.auctions_create_auction", client=uni, body=m.AuctionCreate.from_dict({
        "listing_id": listing.id, "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat(),
        "start_price": {"amount": "1000.00", "currency": "CNY"}, "increment": {"amount": "100.00", "currency": "CNY"},
        "deposit": {"amount": "100.00", "currency": "CNY"}}), expect=201)
    reg = call("auctions.auctions_register", auction.id, client=ent, expect=201)
    call("auctions.auctions_confirm_deposit", auction.id, reg.id, client=operator, expect=200)
    bid = call("auctions.auctions_place_bid", auction.id, client=ent, body=m.BidCreate.from_dict({
        "amount": {"amount": "1000.00", "currency": "CNY"}}), expect=201)
    return {"auction": auction.id, "bid": bid.to_dict()}


async def test_a_generated_client_runs_the_main_flow(settings: Settings, tmp_path: Path):
    p = spawn(settings, tmp_path / "serve.log")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            await wait_ready(http, p)
        pkg = await asyncio.to_thread(generate, p.url, tmp_path)
        result = await asyncio.to_thread(flow, pkg, p.url)
    finally:
        await stop(p)
        sys.modules.pop("psm_client", None)
    # The bid's answer is the auction as the bidder now sees it.
    assert result["bid"]["current_price"] == {"amount": "1000.00", "currency": "CNY"}, json.dumps(result)
    assert result["bid"]["leading"] is True
