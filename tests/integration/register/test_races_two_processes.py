"""The register's races through two ``psm serve`` processes: each request of a pair goes
to another process, and the register's consumer group is split between the two, so the
decision is made by whichever holds the partition. Still exactly one wins, every time.
50 trials of each race; either winner is correct (the scheduler picks the order)."""

from __future__ import annotations

import asyncio

import aiohttp

from services.tools.demo.identifiers import uscc
from tests.integration.auctions.test_replicas import OPERATOR, Replica, http, replicas  # noqa: F401
from tests.integration.listings.conftest import patent_body
from tests.integration.register.conftest import auction_body, declaration_body

TRIALS = 50


class Client:
    def __init__(self, http: aiohttp.ClientSession, replicas: list[Replica], key: str) -> None:
        self.http, self.urls, self.auth = http, [r.url for r in replicas], {"Authorization": f"Bearer {key}"}

    async def call(self, replica: int, method: str, path: str, body=None) -> tuple[int, dict]:
        async with self.http.request(method, self.urls[replica] + path, json=body, headers=self.auth) as r:
            status, data = r.status, await r.json()
        if status != 202:
            return status, data
        # Accepted, undecided within the saga bound (a loaded machine): follow the
        # resource until the register's decision arrives, and report that.
        for _ in range(300):
            async with self.http.get(self.urls[replica] + r.headers["Location"], headers=self.auth) as got:
                data = await got.json()
            if data["status"] == "refused":
                return data["refusal"]["status"], {"type": "/" + data["refusal"]["rule"]}
            if data["status"] != "pending":
                return 201, data
            await asyncio.sleep(0.1)
        raise AssertionError(f"{path} stayed pending")


async def institution(http: aiohttp.ClientSession, replicas: list[Replica]) -> Client:
    async with http.post(f"{replicas[0].url}/v1/orgs", headers=OPERATOR, json={
            "kind": "institution", "sub_kind": "university", "name": "上海交通大学", "country": "CN",
            "uscc": uscc()}) as r:
        assert r.status == 201, await r.text()
        return Client(http, replicas, (await r.json())["api_key"])


async def draft(c: Client, patent_id: str, modes: list[str]) -> str:
    status, body = await c.call(0, "POST", "/v1/listings", {"kind": "supply", "title": "挂牌",
                                                           "patent_ids": [patent_id], "modes": modes,
                                                           "negotiable": True})
    assert status == 201, body
    return body["listing_id"]


async def kinds(c: Client, patent_id: str, replica: int) -> list[str]:
    status, body = await c.call(replica, "GET", f"/v1/patents/{patent_id}")
    assert status == 200, body
    return sorted(e["kind"] for e in body["encumbrances"])


async def test_declaration_and_exclusive_offer_through_two_processes(http, replicas):
    c = await institution(http, replicas)
    for i in range(TRIALS):
        _, p = await c.call(i % 2, "POST", "/v1/patents", patent_body())
        listing = await draft(c, p["patent_id"], ["exclusive_licence"])
        (d_status, d), (l_status, l_body) = await asyncio.gather(
            c.call(i % 2, "POST", "/v1/open-licences", declaration_body(p["patent_id"])),
            c.call(1 - i % 2, "POST", f"/v1/listings/{listing}/publish"))
        if d_status == 201:
            assert (l_status, l_body["type"].rsplit("/", 1)[-1]) == (422, "open-licence-in-force")
            assert await kinds(c, p["patent_id"], 1 - i % 2) == ["open_licence"]
        else:
            assert l_status == 200, l_body
            assert (d_status, d["type"].rsplit("/", 1)[-1]) == (422, "exclusive-licence-offered")
            assert await kinds(c, p["patent_id"], i % 2) == ["exclusive_offer"]


async def test_two_transfer_offers_and_an_auction_through_two_processes(http, replicas):
    c = await institution(http, replicas)
    for i in range(TRIALS):
        _, p = await c.call(0, "POST", "/v1/patents", patent_body())
        a, b = await draft(c, p["patent_id"], ["transfer"]), await draft(c, p["patent_id"], ["transfer"])
        (sa, _), (sb, _) = await asyncio.gather(c.call(0, "POST", f"/v1/listings/{a}/publish"),
                                                c.call(1, "POST", f"/v1/listings/{b}/publish"))
        assert sorted([sa, sb]) == [200, 422]
        winner = a if sa == 200 else b
        # The auction of the winner races its withdrawal, each on another process.
        (sc, created), (sw, _) = await asyncio.gather(
            c.call(i % 2, "POST", "/v1/auctions", auction_body(winner)),
            c.call(1 - i % 2, "POST", f"/v1/listings/{winner}/withdraw"))
        _, listing = await c.call(0, "GET", f"/v1/listings/{winner}")
        if sc == 201:
            assert (sw, listing["status"]) == (409, "reserved")
            assert await kinds(c, p["patent_id"], 1) == ["auction", "transfer_offer"]
        else:
            assert (sc, created["type"].rsplit("/", 1)[-1], sw) == (409, "listing-not-published", 200)
            assert listing["status"] == "withdrawn" and await kinds(c, p["patent_id"], 1) == []
