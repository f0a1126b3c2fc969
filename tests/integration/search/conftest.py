"""Fixtures of the catalogue tests: organisations that publish, and waiting for the indexer.

(Each test's indices are deleted by the ``settings`` fixture, with its topics.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from catalogue_helpers import ids

from services.tools.demo.identifiers import application_number as cn_number
from services.tools.demo.identifiers import uscc





class Org:
    """An organisation with its key, and the few calls the catalogue tests need."""

    def __init__(self, client, org: dict, key: str) -> None:
        self.client = client
        self.id = org["id"]
        self.headers = {"Authorization": f"Bearer {key}"}

    async def call(self, method: str, path: str, json=None, expect: int = 200, **kw) -> dict:
        r = await self.client.request(method, path, json=json, headers=self.headers, **kw)
        assert r.status == expect, f"{method} {path}: {r.status} {await r.text()}"
        return await r.json() if r.status != 204 else {}

    async def patent(self, **over) -> str:
        body = {"number": cn_number(), "title": "一种锂离子电池正极材料及其制备方法",
                "abstract": "本发明公开了一种高镍三元正极材料，循环寿命长。", "kind": "invention",
                "ipc": ["H01M 4/525", "H01M 10/0525"], "applicants": ["复旦大学"], "inventors": ["张三"],
                "filing_date": "2021-03-01", "grant_date": "2023-05-01", "legal_status": "granted", **over}
        return (await self.call("POST", "/v1/patents", body, 201))["patent_id"]

    async def supply(self, publish: bool = True, patent: dict | None = None, **over) -> str:
        body = {"kind": "supply", "title": "高镍正极材料专利转让", "patent_ids": [await self.patent(**(patent or {}))],
                "modes": ["transfer"], "price": {"amount": "880000.00", "currency": "CNY"}, "industry": "C38",
                "stage": "pilot", "region": "310000", "field": "新能源", **over}
        listing_id = (await self.call("POST", "/v1/listings", body, 201))["listing_id"]
        if publish:
            await self.publish(listing_id)
        return listing_id

    async def demand(self, publish: bool = True, **over) -> str:
        body = {"kind": "demand", "title": "求购锂电池正极材料技术", "description": "寻求高镍三元正极材料的量产技术",
                "modes": ["transfer"], "budget": {"amount": "1000000.00", "currency": "CNY"}, "industry": "C38",
                "region": "310000", **over}
        listing_id = (await self.call("POST", "/v1/listings", body, 201))["listing_id"]
        if publish:
            await self.publish(listing_id)
        return listing_id

    async def publish(self, listing_id: str) -> None:
        await self.call("POST", f"/v1/listings/{listing_id}/publish")

    async def withdraw(self, listing_id: str) -> None:
        await self.call("POST", f"/v1/listings/{listing_id}/withdraw")

    async def search(self, **params) -> dict:
        return await self.call("GET", "/v1/catalogue/search", params={k: str(v) for k, v in params.items()})

    async def search_until(self, check: Callable[[dict], bool], timeout: float = 20.0, **params) -> dict:
        """Search until ``check(result)`` holds (the indexer is asynchronous); fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            result = await self.search(**params)
            if check(result):
                return result
            if time.monotonic() > deadline:
                pytest.fail(f"after {timeout} s, search {params} still gives {ids(result)}")
            await asyncio.sleep(0.05)


@pytest.fixture
def register(client, operator):
    async def make(kind: str = "institution") -> Org:
        body = {"kind": kind, "name": f"测试{kind}", "country": "CN", "uscc": uscc()}
        if kind == "institution":
            body["sub_kind"] = "university"
        r = await client.post("/v1/orgs", json=body, headers=operator)
        assert r.status == 201, await r.text()
        data = await r.json()
        return Org(client, data["org"], data["api_key"])

    return make
