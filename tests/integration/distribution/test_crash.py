"""Kill the marketplace mid-fan-out (SIGKILL of a real ``psm serve``), start another on
the same database, topics and indices: every change reaches every venue it matches,
a change sent again carries the same ``webhook-id``, and no later change of a listing
arrives before an earlier one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from services.tools.demo.identifiers import uscc
from services.runtime.settings import Settings
from tests.conftest import OPERATOR_KEY
from tests.integration.auctions.test_replicas import Replica, free_port, stop, wait_ready
from tests.integration.distribution.conftest import Receiver, eventually
from tests.integration.listings.conftest import patent_body

ROOT = Path(__file__).resolve().parents[3]
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
SLOW_S = 0.8  # the slow venue's answer time: its deliveries are in flight when the kill comes
# Short enough for a test: a killed process's endpoints are taken over after the lease.
DELIVERY_ENV = {"PSM_DELIVERY_REQUEST_TIMEOUT_S": "2", "PSM_DELIVERY_LEASE_S": "3",
                "PSM_DELIVERY_BACKOFF_BASE_S": "0.2", "PSM_DELIVERY_BACKOFF_CAP_S": "1",
                "PSM_WEBHOOKS_ALLOW_PRIVATE": "true"}  # the receivers run on 127.0.0.1
PUB, UPD, WD = "psm.listing.published.v1", "psm.listing.updated.v1", "psm.listing.withdrawn.v1"


class SlowReceiver(Receiver):
    """Takes ``delay`` seconds before it answers, and keeps what it accepted even when the
    sender is gone by then (aiohttp does not cancel a handler when its client vanishes),
    as a real venue that committed the change would."""

    def __init__(self, name: str, delay: float) -> None:
        super().__init__(name)
        self.delay = delay
        self.in_flight = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        try:
            await request.read()  # kept by the request: still there if the sender dies meanwhile
            await asyncio.sleep(self.delay)
            return await super().handle(request)
        finally:
            self.in_flight -= 1


def spawn(settings: Settings, log: Path) -> Replica:
    port = free_port()
    env = {**os.environ, "PSM_DATABASE_URL": settings.database_url, "PSM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "PSM_ELASTICSEARCH_URL": settings.elasticsearch_url, "PSM_TOPIC_PREFIX": settings.topic_prefix,
           "PSM_TOPIC_PARTITIONS": "2", "PSM_INDEX_PREFIX": settings.index_prefix,
           "PSM_OPERATOR_KEY": OPERATOR_KEY, "PSM_LOG_LEVEL": "WARNING", **DELIVERY_ENV}
    out = log.open("ab")  # both lives of the marketplace in one log
    try:
        process = subprocess.Popen([sys.executable, "-m", "services.tools.cli", "serve", "--port", str(port)], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        out.close()
    return Replica(process, f"http://127.0.0.1:{port}", log)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture
async def marketplace(settings: Settings, http: aiohttp.ClientSession,
                      tmp_path: Path) -> AsyncIterator[Callable[[], asyncio.Future]]:
    """``await start()`` runs a ``psm serve`` on the test's database and prefixes; every
    process started is stopped at the end, whatever happened."""
    started: list[Replica] = []

    async def start() -> Replica:
        r = spawn(settings, tmp_path / "psm.log")
        started.append(r)
        await wait_ready(http, r)
        return r

    try:
        yield start
    finally:
        for r in started:
            await stop(r)


class Api:
    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def call(self, method: str, path: str, key: str | None = None, body=None, expect: int = 200) -> dict:
        headers = {"Authorization": f"Bearer {key}"} if key else OPERATOR
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            data = await r.json(content_type=None)
            assert r.status == expect, (method, path, r.status, data)
            return data

    async def org(self, kind: str) -> tuple[str, str]:
        body = {"kind": kind, "name": f"测试{kind}", "country": "CN", "uscc": uscc()}
        if kind == "institution":
            body["sub_kind"] = "university"
        data = await self.call("POST", "/v1/orgs", None, body, expect=201)
        return data["org"]["id"], data["api_key"]

    async def venue(self, receiver: Receiver, filter: dict) -> None:
        org_id, key = await self.org("venue")
        deadline = time.monotonic() + 15
        while True:  # the new organisation reaches distribution through its event
            async with self.http.post(self.base + "/v1/venues", headers={"Authorization": f"Bearer {key}"},
                                      json={"org_id": org_id, "filter": filter, "webhook_url": receiver.url}) as r:
                data = await r.json(content_type=None)
                if r.status == 201:
                    receiver.secret = data["secret"]
                    return
                assert r.status == 422 and time.monotonic() < deadline, (r.status, data)
            await asyncio.sleep(0.2)

    async def publish(self, key: str, **listing) -> str:
        p = await self.call("POST", "/v1/patents", key, patent_body(), expect=201)
        body = {"kind": "supply", "title": "高镍正极材料专利转让", "patent_ids": [p["patent_id"]], "modes": ["transfer"],
                "price": {"amount": "880000.00", "currency": "CNY"}, "industry": "C38", "stage": "pilot",
                "region": "310000", **listing}
        lst = await self.call("POST", "/v1/listings", key, body, expect=201)
        await self.call("POST", f"/v1/listings/{lst['listing_id']}/publish", key)
        return lst["listing_id"]


async def test_killing_the_marketplace_mid_fan_out_loses_nothing_and_resends_under_the_same_webhook_id(
        marketplace, http: aiohttp.ClientSession, receivers, settings: Settings):
    fast, slow, shanghai = await receivers("fast"), SlowReceiver("slow", SLOW_S), await receivers("sh")
    await slow.start()
    try:
        first = await marketplace()
        api = Api(http, first.url)
        await api.venue(fast, {})
        await api.venue(slow, {})
        await api.venue(shanghai, {"regions": ["310000"]})
        _, uni = await api.org("institution")

        # Six listings, each published, updated and (half of them) withdrawn: several
        # changes per listing, so that order per listing is at stake at the restart.
        regions = ["310115", "320500", "310104", "330100", "310000", "110000"]
        ids = list(await asyncio.gather(*(api.publish(uni, title=f"固态电池电解质 {n}", region=region)
                                          for n, region in enumerate(regions))))
        for n, listing_id in enumerate(ids):
            await api.call("PATCH", f"/v1/listings/{listing_id}", uni,
                           {"price": {"amount": f"{900000 + n}.00", "currency": "CNY"}})
        for listing_id in ids[::2]:
            await api.call("POST", f"/v1/listings/{listing_id}/withdraw", uni)

        # Mid-fan-out: the slow venue has taken some changes, holds others in flight,
        # and more are queued behind them.
        async def mid_fan_out() -> bool:
            return slow.in_flight > 0 and len(slow.accepted) >= len(ids)

        await eventually(mid_fan_out, timeout=20, interval=0.01)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        before = len(slow.accepted)

        second = await marketplace()
        api = Api(http, second.url)
        log = (await api.call("GET", "/v1/feed?limit=1000"))["items"]
        expected_total = 6 + 6 + 3
        assert len([c for c in log if c["type"] in (PUB, UPD, WD)]) >= expected_total
        wanted = {"fast": lambda c: True, "slow": lambda c: True,
                  "sh": lambda c: c["snapshot"]["region"].startswith("31")}

        async def everything_arrived() -> bool:
            nonlocal log
            log = (await api.call("GET", "/v1/feed?limit=1000"))["items"]
            return all(sorted(r.changes()) == sorted((c["subject"], c["type"]) for c in log if wanted[r.name](c))
                       for r in (fast, slow, shanghai))

        await eventually(everything_arrived, timeout=30, interval=0.1)
    finally:
        await slow.stop()

    seq_of = {(c["subject"], c["type"]): c["seq"] for c in log}
    assert all((listing_id, PUB) in seq_of and (listing_id, UPD) in seq_of for listing_id in ids)
    assert len(slow.accepted) > before  # the slow venue's queue was finished by the second process
    duplicates = 0
    for r in (fast, slow, shanghai):
        assert r.bad_signatures == 0, r.name
        # At least once, one id: every arrival of one change carries one webhook-id.
        ids_of: dict[int, set[str]] = defaultdict(set)
        for a in r.accepted:
            ids_of[a["body"]["data"]["seq"]].add(a["id"])
        assert all(len(x) == 1 for x in ids_of.values()), (r.name, ids_of)
        duplicates += len(r.accepted) - len(ids_of)
        # In order per listing: a change's first arrival is never before an earlier one's.
        firsts: dict[str, list[int]] = defaultdict(list)
        seen: set[str] = set()
        for a in r.accepted:
            if a["id"] not in seen:
                seen.add(a["id"])
                firsts[a["body"]["data"]["subject"]].append(a["body"]["data"]["seq"])
        assert all(s == sorted(s) for s in firsts.values()), (r.name, firsts)
    # The kill caught deliveries the slow venue had taken but not yet answered: sent again.
    assert duplicates > 0
