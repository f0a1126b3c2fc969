"""Two ``psm serve`` processes (real OS processes) share one database and one set of
topics: bids through both are serialised, the auction closes exactly once even when
one replica is killed, a viewer that reconnects to the survivor misses nothing, and
the end is exact (a bid just after it is refused; soft close keeps moving it)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from tests.ports import unused_port
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from services.tools.demo.identifiers import uscc
from services.runtime.settings import Settings
from tests.conftest import OPERATOR_KEY
from tests.integration.auctions.conftest import cny, iso
from tests.integration.listings.conftest import patent_body

ROOT = Path(__file__).resolve().parents[3]
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
BIDDERS, BIDS_EACH = 200, 20


def free_port() -> int:
    return unused_port()  # not from the ephemeral range: see tests/ports.py


@dataclass
class Replica:
    process: subprocess.Popen
    url: str
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def spawn(settings: Settings, log: Path, *args: str, log_level: str = "WARNING") -> Replica:
    """``psm serve`` (every service, or ``--services …`` in ``args``) on a free port."""
    port = free_port()
    # The child reads its settings from the environment, as in production; os.environ
    # itself is left alone (a copy is handed over).
    env = {**os.environ, "PSM_DATABASE_URL": settings.database_url, "PSM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "PSM_ELASTICSEARCH_URL": settings.elasticsearch_url, "PSM_TOPIC_PREFIX": settings.topic_prefix,
           "PSM_TOPIC_PARTITIONS": "2", "PSM_INDEX_PREFIX": settings.index_prefix,
           "PSM_OPERATOR_KEY": OPERATOR_KEY, "PSM_LOG_LEVEL": log_level}
    out = log.open("wb")
    try:
        process = subprocess.Popen([sys.executable, "-m", "services.tools.cli", "serve", "--port", str(port), *args],
                                   cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        out.close()  # the child holds its own descriptor
    return Replica(process, f"http://127.0.0.1:{port}", log)


async def wait_ready(http: aiohttp.ClientSession, r: Replica, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if r.process.poll() is not None:
            pytest.fail(f"psm serve exited with {r.process.returncode}:\n{r.tail()}")
        try:
            async with http.get(f"{r.url}/readyz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    pytest.fail(f"psm serve at {r.url} not ready within {timeout}s:\n{r.tail()}")


async def stop(r: Replica, timeout: float = 15.0) -> int | None:
    """SIGTERM, then wait; SIGKILL if it hangs. Returns the exit code after SIGTERM, or None if it hung."""
    if r.process.poll() is not None:
        return r.process.returncode
    r.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while r.process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if r.process.poll() is None:
        r.process.kill()
        r.process.wait()
        return None
    return r.process.returncode


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # Bounded: 200 bidders share 64 connections, as a browser fleet behind a proxy would.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64),
                                     timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture
async def replicas(settings: Settings, http: aiohttp.ClientSession, tmp_path: Path) -> AsyncIterator[list[Replica]]:
    started = [spawn(settings, tmp_path / f"replica-{i}.log") for i in range(2)]
    exits: list[int | None] = []
    try:
        for r in started:
            await wait_ready(http, r)
        yield started
    finally:
        for r in started:
            killed = r.process.returncode == -signal.SIGKILL
            code = await stop(r)
            if not killed:
                exits.append(code)
    # A replica stops cleanly on SIGTERM (run_app's graceful shutdown): exit code 0, in time.
    assert all(code == 0 for code in exits), f"exit codes after SIGTERM: {exits}\n" + "\n".join(
        r.tail() for r in started)


class Market:
    """Just enough of the API, over HTTP, to run auctions on the replicas."""

    def __init__(self, http: aiohttp.ClientSession, replicas: list[Replica]) -> None:
        self.http, self.replicas = http, replicas

    def url(self, i: int, path: str) -> str:
        return self.replicas[i % len(self.replicas)].url + path

    async def call(self, method: str, path: str, key: str | None = None, body=None, *, via: int = 0,
                   expect: int | tuple[int, ...] | None = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {key}"} if key else OPERATOR
        async with self.http.request(method, self.url(via, path), json=body, headers=headers) as r:
            data = await r.json(content_type=None)
            if expect is not None:
                assert r.status in (expect if isinstance(expect, tuple) else (expect,)), (r.status, data)
            return r.status, data

    async def org(self, kind: str = "enterprise", via: int = 0) -> str:
        body = {"kind": kind, "name": f"测试{kind}", "country": "CN", "uscc": uscc()}
        if kind == "institution":
            body["sub_kind"] = "university"
        _, data = await self.call("POST", "/v1/orgs", None, body, via=via, expect=201)
        return data["api_key"]

    async def auction(self, *, seconds: float, inc: str = "10.00", window_s: int = 0, extend_s: int = 0) -> dict:
        seller = await self.org("institution")
        _, p = await self.call("POST", "/v1/patents", seller, patent_body(), expect=201)
        _, listing = await self.call("POST", "/v1/listings", seller, {
            "kind": "supply", "title": "高镍正极材料专利转让", "patent_ids": [p["patent_id"]], "modes": ["transfer"],
            "price": cny("880000.00"), "industry": "C38", "stage": "pilot", "region": "310000"}, expect=201)
        await self.call("POST", f"/v1/listings/{listing['listing_id']}/publish", seller, expect=200)
        deadline = time.monotonic() + 15
        while True:
            # The auction's clock starts once the listing has reached the auctions service.
            now = datetime.now(UTC)
            status, data = await self.call("POST", "/v1/auctions", seller, {
                "listing_id": listing["listing_id"], "starts_at": iso(now), "ends_at": iso(now + timedelta(seconds=seconds)),
                "start_price": cny("1000.00"), "increment": cny(inc), "deposit": cny("5000.00"),
                "extension": {"window_s": window_s, "extend_s": extend_s}})
            if status == 201:
                return data
            assert status in (404, 409) and time.monotonic() < deadline, (status, data)
            await asyncio.sleep(0.1)

    async def bidder(self, auction_id: str, n: int) -> str:
        key = await self.org(via=n)
        _, reg = await self.call("POST", f"/v1/auctions/{auction_id}/registrations", key, via=n, expect=201)
        await self.call("POST", f"/v1/auctions/{auction_id}/registrations/{reg['id']}/deposit", via=n + 1,
                        expect=200)
        return key

    async def bid(self, auction_id: str, key: str, amount: Decimal, *, via: int) -> tuple[int, dict]:
        return await self.call("POST", f"/v1/auctions/{auction_id}/bids", key, {"amount": cny(f"{amount:.2f}")},
                               via=via)

    async def history(self, auction_id: str) -> list[dict]:
        items, cursor = [], None
        while True:
            path = f"/v1/auctions/{auction_id}/bids?limit=200" + (f"&cursor={cursor}" if cursor else "")
            _, page = await self.call("GET", path, expect=200)
            items.extend(page["items"])
            if not (cursor := page["next_cursor"]):
                return items


@pytest.fixture
def market(http: aiohttp.ClientSession, replicas: list[Replica]) -> Market:
    return Market(http, replicas)


def rule(data: dict) -> str:
    return data["type"].rsplit("/", 1)[1]


async def test_concurrent_bidders_on_two_replicas_keep_one_strictly_increasing_history(market: Market):
    a = await market.auction(seconds=600)
    aid, inc = a["id"], Decimal("10.00")
    keys = await asyncio.gather(*(market.bidder(aid, n) for n in range(BIDDERS)))
    highest_seen = Decimal("1000.00") - inc  # what bidders learn from the answers (like the live feed)
    accepted: list[Decimal] = []
    statuses: dict[int, int] = {}

    async def bidder(n: int, key: str) -> None:
        nonlocal highest_seen
        for i in range(BIDS_EACH):
            amount = highest_seen + inc * random.randint(1, 10)
            status, data = await market.bid(aid, key, amount, via=n + i)  # alternate replicas
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                accepted.append(amount)
                highest_seen = max(highest_seen, Decimal(data["current_price"]["amount"]))
            else:
                assert status == 409 and rule(data) in ("bid-too-low", "already-leading"), (status, data)

    t0 = time.monotonic()
    async with asyncio.timeout(90):
        await asyncio.gather(*(bidder(n, k) for n, k in enumerate(keys)))
    elapsed = time.monotonic() - t0
    print(f"{BIDDERS}×{BIDS_EACH} bids in {elapsed:.1f}s over 2 replicas: {statuses}")

    history = await market.history(aid)
    amounts = [Decimal(b["amount"]["amount"]) for b in history]
    assert [b["sequence"] for b in history] == list(range(1, len(history) + 1))  # no gap, no duplicate
    assert all(x < y for x, y in zip(amounts, amounts[1:]))
    assert sorted(accepted) == amounts  # every 201 is in the history, and nothing else is
    assert len(accepted) == len(set(accepted)) == statuses[201] > BIDDERS // 2
    _, state = await market.call("GET", f"/v1/auctions/{aid}", via=1, expect=200)
    assert Decimal(state["current_price"]["amount"]) == max(accepted)
    assert state["bid_count"] == len(history)


async def test_killing_a_replica_mid_auction_still_closes_once_and_the_survivor_replays(
        market: Market, replicas: list[Replica], settings: Settings):
    a = await market.auction(seconds=8)
    aid = a["id"]
    keys = await asyncio.gather(*(market.bidder(aid, n) for n in range(4)))
    survivor = replicas[1]
    ws_url = survivor.url.replace("http", "ws", 1) + f"/v1/auctions/{aid}/live"
    seen: list[dict] = []
    price = Decimal("1000.00")

    async def bid_round(n: int) -> None:
        nonlocal price
        for i in range(n):
            status, data = await market.bid(aid, keys[i % len(keys)], price, via=i)
            assert status == 201, data
            price += Decimal("10.00")

    async with market.http.ws_connect(ws_url, headers={"Authorization": f"Bearer {keys[0]}"}) as ws:
        assert (await ws.receive_json(timeout=5))["type"] == "state"
        await bid_round(3)
        async with asyncio.timeout(10):
            while len([m for m in seen if m["type"] == "bid_accepted"]) < 3:
                seen.append(await ws.receive_json())
    last = seen[-1]["sequence"]

    # While the viewer is away: more bids through both replicas, then one of them dies
    # (SIGKILL: no shutdown, its connections and any open transaction simply vanish).
    await bid_round(4)
    replicas[0].process.kill()
    replicas[0].process.wait()
    survivor_only = Market(market.http, [survivor])
    for i in range(3):
        status, data = await survivor_only.bid(aid, keys[i], price, via=0)
        assert status == 201, data
        price += Decimal("10.00")
    ends_at = datetime.fromisoformat((await survivor_only.call("GET", f"/v1/auctions/{aid}", expect=200))[1]["ends_at"])

    replay: list[dict] = []
    async with market.http.ws_connect(f"{ws_url}?after={last}", headers={"Authorization": f"Bearer {keys[0]}"}) as ws:
        state = await ws.receive_json(timeout=5)
        assert state["type"] == "state"
        async with asyncio.timeout(20):
            while not replay or replay[-1]["type"] != "closed":
                replay.append(await ws.receive_json())

    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT sequence, event->>'type' AS type FROM auctions.outbox WHERE subject = $1 "
                                "AND sequence > $2 ORDER BY sequence", aid, last)
        closed = await conn.fetchval("SELECT count(*) FROM auctions.outbox WHERE subject = $1 "
                                     "AND event->>'type' = 'psm.auction.closed.v1'", aid)
        auction = await conn.fetchrow("SELECT status, ends_at, closed_at FROM auctions.auctions WHERE id = $1", aid)
    finally:
        await conn.close()
    live = [r["sequence"] for r in rows if r["type"] in (
        "psm.auction.bid_accepted.v1", "psm.auction.extended.v1", "psm.auction.opened.v1", "psm.auction.closed.v1")]
    assert [m["sequence"] for m in replay] == live  # everything missed, in order, nothing twice
    assert [m["type"] for m in replay].count("bid_accepted") == 7
    assert replay[-1]["type"] == "closed" and replay[-1]["data"]["outcome"] == "closed_won"
    assert closed == 1
    assert auction["status"] == "closed_won" and auction["ends_at"] == ends_at
    # On time: the survivor's scheduler closes within a couple of its 0.2 s ticks.
    assert timedelta(0) <= auction["closed_at"] - auction["ends_at"] < timedelta(seconds=2)


async def test_a_bid_just_after_the_end_is_refused_and_soft_close_keeps_extending(market: Market):
    a = await market.auction(seconds=3, window_s=5, extend_s=3)
    aid = a["id"]
    keys = await asyncio.gather(*(market.bidder(aid, n) for n in range(2)))
    ends = [datetime.fromisoformat(a["ends_at"])]
    price = Decimal("1000.00")
    for i in range(4):  # every bid lands inside the window, so each moves the end on
        status, data = await market.bid(aid, keys[i % 2], price, via=i)
        assert status == 201, data
        ends.append(datetime.fromisoformat(data["ends_at"]))
        price += Decimal("10.00")
        await asyncio.sleep(0.3)
    assert all(x < y for x, y in zip(ends, ends[1:])), ends

    # One millisecond after the (last) end: refused, whichever replica is asked, and
    # whether or not the scheduler has got to it yet.
    await asyncio.sleep(max(0.0, (ends[-1] - datetime.now(UTC)).total_seconds() + 0.001))
    status, data = await market.bid(aid, keys[0], price, via=1)
    assert status == 409 and rule(data) == "auction-not-open", (status, data)
    _, state = await market.call("GET", f"/v1/auctions/{aid}", expect=200)
    assert state["bid_count"] == 4
