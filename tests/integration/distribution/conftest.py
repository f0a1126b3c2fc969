"""The marketplace with short delivery retries, webhook receivers on 127.0.0.1, and
organisations (venues register themselves)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from standardwebhooks import Webhook

from services.distribution import distribution_module
from services.distribution.domain import DeliveryPolicy
from services.runtime.http.app import create_app
from services.tools.main import all_modules
from tests.integration.listings.conftest import Org, eventually, patent_body  # noqa: F401

# Enough tries that a venue failing for a few seconds recovers (the minimum back-off over
# 11 retries is 4.7 s); the dead-letter test waits for all of them.
FAST = DeliveryPolicy(max_attempts=12, backoff_base_s=0.2, backoff_cap_s=1.0, request_timeout_s=2.0,
                      pause_after_failures=1000, poll_s=0.05)


def modules(policy: DeliveryPolicy):
    return [distribution_module(policy) if m.name == "distribution" else m for m in all_modules()]


@pytest.fixture
async def client(settings, operator) -> AsyncIterator[TestClient]:
    key = operator["Authorization"].removeprefix("Bearer ")
    app = create_app(settings.model_copy(update={"operator_key": SecretStr(key)}), modules(FAST))
    async with TestClient(TestServer(app)) as c:
        yield c


async def make_org(client: TestClient, operator: dict, kind: str = "institution",
                   sub_kind: str | None = "university") -> Org:
    """An organisation registered through ``client`` (an app of the test's own, or the fixture's)."""
    from services.tools.demo.identifiers import uscc

    body = {"kind": kind, "name": f"测试{kind}", "country": "CN", "uscc": uscc()}
    if kind == "institution":
        body["sub_kind"] = sub_kind
    r = await client.post("/v1/orgs", json=body, headers=operator)
    assert r.status == 201, await r.text()
    data = await r.json()
    return Org(client, data["org"], data["api_key"])


@pytest.fixture
def register(client, operator):
    async def make(kind: str = "institution", sub_kind: str | None = "university") -> Org:
        return await make_org(client, operator, kind, sub_kind)

    return make


class Receiver:
    """A venue's webhook endpoint: verifies every request with ``standardwebhooks`` and
    keeps what it accepted; answers 500 while ``failing``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.secret: str | None = None
        self.failing_until = 0.0
        self.accepted: list[dict] = []  # {"id", "body", "at"}
        self.refused = 0
        self.bad_signatures = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if time.monotonic() < self.failing_until:
            self.refused += 1
            return web.Response(status=500, text="down for maintenance")
        try:
            body = Webhook(self.secret).verify(raw, dict(request.headers))
        except Exception:  # noqa: BLE001 — counted, and the test asserts there were none
            self.bad_signatures += 1
            return web.Response(status=401)
        self.accepted.append({"id": request.headers["webhook-id"], "body": body, "at": time.monotonic()})
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def changes(self) -> list[tuple[str, str]]:
        """(subject, type) of each distinct delivery accepted, in arrival order."""
        seen, out = set(), []
        for a in self.accepted:
            if a["id"] not in seen:
                seen.add(a["id"])
                out.append((a["body"]["data"]["subject"], a["body"]["type"]))
        return out


@pytest.fixture
async def receivers() -> AsyncIterator[callable]:
    made: list[Receiver] = []

    async def make(name: str) -> Receiver:
        r = Receiver(name)
        await r.start()
        made.append(r)
        return r

    yield make
    for r in made:
        await r.stop()


async def venue(register, receiver: Receiver | None, filter: dict) -> tuple[Org, dict]:
    org = await register("venue")
    body = {"org_id": org.id, "filter": filter}
    if receiver is not None:
        body["webhook_url"] = receiver.url
    r = await org.post("/v1/venues", body)
    assert r.status == 201, await r.text()
    v = await r.json()
    assert v["secret"].startswith("whsec_")
    if receiver is not None:
        receiver.secret = v["secret"]
    return org, v


async def published(owner: Org, headers: dict | None = None, patent: dict | None = None, **listing) -> dict:
    h = headers or {}
    r = await owner.post("/v1/patents", patent_body(**(patent or {})), headers=h)
    assert r.status == 201, await r.text()
    p = await r.json()
    body = {"kind": "supply", "title": "高镍正极材料专利转让", "patent_ids": [p["patent_id"]], "modes": ["transfer"],
            "price": {"amount": "880000.00", "currency": "CNY"}, "industry": "C38", "stage": "pilot",
            "region": "310000", "field": "新能源"}
    body.update(listing)
    r = await owner.post("/v1/listings", body, headers=h)
    assert r.status == 201, await r.text()
    lst = await r.json()
    r = await owner.post(f"/v1/listings/{lst['listing_id']}/publish", headers=h)
    assert r.status == 200, await r.text()
    return await r.json()


def dumps(x) -> str:
    return json.dumps(x, ensure_ascii=False)


__all__ = ["Receiver", "venue", "published", "eventually", "asyncio", "make_org"]
