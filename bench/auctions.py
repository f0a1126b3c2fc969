"""Accepted bids/s and bid latency over HTTP, beside raw PostgreSQL row updates.

``python -m bench auctions`` (the stack must be up; reads ``PSM_*`` like ``psm serve``).
It makes its own database, topic prefix and index prefix, starts one ``psm serve``
subprocess on a free local port (``--replicas N`` for more; bids go round robin), so the
server has its own interpreter and does not share an event loop with the load
generator here; it removes everything at the end.

* **bids**: 100 auctions × 50 bidders (registered, deposits confirmed). ``--concurrency``
  clients in a closed loop each pick an auction and one of its bidders who is not
  leading, and bid the highest price seen for it plus 1–5 increments, for ``--seconds``.
  Refusals (another bid got there first) are counted but only accepted bids make the
  rate. Latency is per request, from send to response (the client pool never queues:
  it has one connection per client).
* **baseline**: the same number of clients with raw asyncpg on the same PostgreSQL:
  one transaction per bid, ``UPDATE … RETURNING`` of one of 100 rows + ``INSERT`` of one
  row, for the same time. That is the floor of what a serialised bid costs the database.
* **ceiling**: that same transaction behind a bare aiohttp handler in a process of its own
  (``bench/_bare.py``), driven by the same number of HTTP clients: what HTTP, JSON and
  Python cost a bid on this machine before any of the service's own work (authentication,
  idempotency, validation, the auction's rules, the outbox, read-your-writes).

Targets (the auctions issue): ≥ 1,500 accepted bids/s; p99 ≤ 50 ms; ratio ≥ 0.5.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import asyncpg

from services.tools.demo.identifiers import application_number as cn_number
from services.tools.demo.identifiers import uscc
from bench._server import ROOT, free_port, profiled, serving, wait_ready
from services.runtime.settings import Settings

TARGET_P99_MS, TARGET_RATIO = 100.0, 0.5  # issue 19
INC = Decimal("10.00")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))]


def cny(amount: Decimal | str) -> dict:
    return {"amount": f"{Decimal(amount):.2f}", "currency": "CNY"}




class Api:
    def __init__(self, http: aiohttp.ClientSession, urls: list[str], operator_key: str) -> None:
        self.http, self.urls, self.operator = http, urls, operator_key
        self.turn = 0

    async def call(self, method: str, path: str, key: str | None = None, body=None,
                   expect: int | None = None) -> tuple[int, dict]:
        self.turn += 1  # round robin over the replicas
        async with self.http.request(method, self.urls[self.turn % len(self.urls)] + path, json=body,
                                     headers={"Authorization": f"Bearer {key or self.operator}"}) as r:
            data = await r.json(content_type=None)
            if expect is not None and r.status != expect:
                raise RuntimeError(f"{method} {path}: {r.status} {data}")
            return r.status, data

    async def org(self, kind: str) -> str:
        body = {"kind": kind, "name": f"基准{kind}", "country": "CN", "uscc": uscc()}
        if kind == "institution":
            body["sub_kind"] = "university"
        return (await self.call("POST", "/v1/orgs", None, body, 201))[1]["api_key"]


async def gather_bounded(n: int, coros) -> list:
    slots = asyncio.Semaphore(n)

    async def one(c):
        async with slots:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


@dataclass
class Market:
    auctions: list[str]
    bidders: dict[str, list[str]]  # auction id → bidder keys
    price: dict[str, Decimal] = field(default_factory=dict)  # highest price seen in a 201, per auction
    leader: dict[str, str] = field(default_factory=dict)  # whose bid that was
    phases: str = ""  # how long each part of the setup took


async def build(api: Api, n_auctions: int, n_bidders: int, minutes: float) -> Market:
    seller = await api.org("institution")

    async def lot(n: int) -> str:
        _, p = await api.call("POST", "/v1/patents", seller, {
            "number": cn_number(), "title": f"一种锂离子电池正极材料及其制备方法{n}", "abstract": "高镍三元正极材料",
            "kind": "invention", "ipc": ["H01M 10/0525"], "filing_date": "2021-03-01", "legal_status": "granted",
            "grant_date": "2024-01-01"}, 201)
        _, listing = await api.call("POST", "/v1/listings", seller, {
            "kind": "supply", "title": f"高镍正极材料专利转让 {n}", "patent_ids": [p["patent_id"]],
            "modes": ["transfer"], "price": cny("880000"), "industry": "C38", "stage": "pilot", "region": "310000"}, 201)
        await api.call("POST", f"/v1/listings/{listing['listing_id']}/publish", seller, None, 200)
        deadline = time.monotonic() + 30
        while True:  # until the publication has reached the auctions service
            now = datetime.now(UTC)
            status, a = await api.call("POST", "/v1/auctions", seller, {
                "listing_id": listing["listing_id"], "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(minutes=minutes)).isoformat(), "start_price": cny("1000"),
                "increment": cny(INC), "deposit": cny("5000")})
            if status == 201:
                return a["id"]
            if time.monotonic() > deadline:
                raise RuntimeError(f"auction not created: {status} {a}")
            await asyncio.sleep(0.1)

    t0 = time.perf_counter()
    auctions = await gather_bounded(20, (lot(n) for n in range(n_auctions)))
    t1 = time.perf_counter()
    # The same n_bidders organisations take part in every auction.
    keys = await gather_bounded(20, (api.org("enterprise") for _ in range(n_bidders)))
    t2 = time.perf_counter()

    async def enter(aid: str, key: str) -> None:
        _, reg = await api.call("POST", f"/v1/auctions/{aid}/registrations", key, None, 201)
        await api.call("POST", f"/v1/auctions/{aid}/registrations/{reg['id']}/deposit", None, None, 200)

    await gather_bounded(40, (enter(aid, k) for aid in auctions for k in keys))
    phases = (f"lots {t1 - t0:.0f}s, bidders {t2 - t1:.0f}s, "
              f"{len(auctions) * len(keys):,} registrations with deposits {time.perf_counter() - t2:.0f}s")
    return Market(auctions, {aid: list(keys) for aid in auctions}, phases=phases)


@dataclass
class Tally:
    accepted: int = 0
    refused: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    accepted_latencies: list[float] = field(default_factory=list)


async def bid_load(api: Api, market: Market, concurrency: int, seconds: float,
                   hot: bool = False) -> tuple[Tally, float]:
    price, leader = market.price, market.leader
    tally = Tally()
    stop = time.perf_counter() + seconds

    async def client(c: int) -> None:
        rng = random.Random(c)
        while time.perf_counter() < stop:
            aid = market.auctions[0] if hot else rng.choice(market.auctions)
            key = rng.choice([k for k in market.bidders[aid] if k != leader.get(aid)])
            amount = price.get(aid, Decimal("1000.00") - INC) + INC * rng.randint(1, 5)
            t0 = time.perf_counter()
            status, data = await api.call("POST", f"/v1/auctions/{aid}/bids", key, {"amount": cny(amount)})
            ms = (time.perf_counter() - t0) * 1000
            tally.latencies.append(ms)
            if status == 201:
                tally.accepted += 1
                tally.accepted_latencies.append(ms)
                seen = Decimal(data["current_price"]["amount"])
                if seen > price.get(aid, Decimal(0)):
                    price[aid], leader[aid] = seen, key
            elif status == 409:
                tally.refused += 1
            else:
                tally.errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(concurrency)))
    return tally, time.perf_counter() - t0


async def bench_tables(database_url: str, rows: int) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TABLE bench_rows (id int PRIMARY KEY, price numeric(16,2) NOT NULL, n int NOT NULL)")
        await conn.execute("CREATE TABLE bench_bids (row_id int, sequence int, amount numeric(16,2), "
                           "placed_at timestamptz, PRIMARY KEY (row_id, sequence))")
        await conn.executemany("INSERT INTO bench_rows VALUES ($1, 1000, 0)", [(i,) for i in range(rows)])
    finally:
        await conn.close()


async def closed_loop(concurrency: int, seconds: float, rows: int, one) -> tuple[int, float, list[float]]:
    """``concurrency`` clients each calling ``one(row)`` on a random row in turn for ``seconds``."""
    done, lat = 0, []
    stop = time.perf_counter() + seconds

    async def client(c: int) -> None:
        nonlocal done
        rng = random.Random(c)
        while time.perf_counter() < stop:
            row = rng.randrange(rows)
            t0 = time.perf_counter()
            await one(row)
            lat.append((time.perf_counter() - t0) * 1000)
            done += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(concurrency)))
    return done, time.perf_counter() - t0, sorted(lat)


async def raw_pg(database_url: str, concurrency: int, seconds: float, rows: int) -> tuple[int, float, list[float]]:
    pool = await asyncpg.create_pool(database_url, min_size=min(concurrency, 20), max_size=20)
    try:
        async def one(row: int) -> None:
            async with pool.acquire() as conn, conn.transaction():
                r = await conn.fetchrow("UPDATE bench_rows SET price = price + 10, n = n + 1 WHERE id = $1 "
                                        "RETURNING price, n", row)
                await conn.execute("INSERT INTO bench_bids VALUES ($1, $2, $3, now())", row, r["n"], r["price"])

        return await closed_loop(concurrency, seconds, rows, one)
    finally:
        await pool.close()


async def bare_http(served, concurrency: int, seconds: float, rows: int) -> tuple[int, float, list[float]]:
    """The raw baseline's transaction behind a bare aiohttp handler (``bench/_bare.py``, a
    process of its own like ``psm serve``), driven by the same kind of HTTP clients as the
    bids: what HTTP and Python cost a bid on this machine before any of our own work."""
    port = free_port()
    env = {**os.environ, "PSM_DATABASE_URL": served.database_url, "PSM_INDEX_PREFIX": served.tag}
    bare = subprocess.Popen([sys.executable, "-m", "bench._bare", "--port", str(port)], cwd=ROOT, env=env)
    try:
        connector = aiohttp.TCPConnector(limit=max(concurrency, 40))
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
            url = f"http://127.0.0.1:{port}"
            await wait_ready(http, url, bare)

            async def one(row: int) -> None:
                async with http.post(f"{url}/bare/bids/{row}", json={"amount": cny("1010.00")},
                                     headers={"Authorization": "Bearer bare"}) as r:
                    await r.json()
                    assert r.status == 201, r.status

            await closed_loop(concurrency, 2, rows, one)  # warm-up
            return await closed_loop(concurrency, seconds, rows, one)
    finally:
        bare.terminate()
        bare.wait(20)


async def check(database_url: str, market: Market) -> str:
    """The invariants still hold after the load: per auction, consecutive sequences and
    strictly increasing amounts, and bid_count matches."""
    conn = await asyncpg.connect(database_url)
    try:
        bad = await conn.fetchval(
            "SELECT count(*) FROM (SELECT auction_id, sequence, amount, "
            "lag(amount) OVER w AS prev_amount, row_number() OVER w AS rn FROM auctions.bids "
            "WINDOW w AS (PARTITION BY auction_id ORDER BY sequence)) s "
            "WHERE sequence <> rn OR amount <= prev_amount")
        mismatched = await conn.fetchval(
            "SELECT count(*) FROM auctions.auctions a WHERE bid_count <> "
            "(SELECT count(*) FROM auctions.bids b WHERE b.auction_id = a.id)")
        total = await conn.fetchval("SELECT count(*) FROM auctions.bids")
    finally:
        await conn.close()
    ok = bad == 0 and mismatched == 0
    return (f"invariants after the run: {total:,} bids stored; {bad} out of order/gapped, {mismatched} counts "
            f"mismatched — {'ok' if ok else 'BROKEN'}")


async def run(settings: Settings, args: argparse.Namespace) -> list[str]:
    out_lines: list[str] = []
    async with serving(settings, replicas=args.replicas) as served:
        url = served.database_url
        connector = aiohttp.TCPConnector(limit=max(args.concurrency, 40))
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
            api = Api(http, served.urls, served.operator_key)
            t0 = time.perf_counter()
            async with profiled(served.pids[0], args.profile and f"{args.profile}.setup"):
                market = await build(api, args.auctions, args.bidders, minutes=30)
            out_lines.append(f"setup: {args.auctions} auctions × {args.bidders} bidders registered, deposits "
                             f"confirmed, in {time.perf_counter() - t0:.0f}s ({market.phases})")
            await bid_load(api, market, args.concurrency, 2)  # warm-up: connections, prepared statements
            async with profiled(served.pids[0], args.profile):
                tally, elapsed = await bid_load(api, market, args.concurrency, args.seconds, hot=args.hot)
        rate = tally.accepted / elapsed
        lat, acc = sorted(tally.latencies), sorted(tally.accepted_latencies)
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        out_lines.append(
            f"bids      HTTP → {args.replicas} psm serve subprocess(es), {args.concurrency} clients"
            f"{', all on one auction (hot lot)' if args.hot else ''}, {args.seconds:.0f}s: "
            f"{rate:,.0f} accepted bids/s ({tally.accepted:,} accepted, {tally.refused:,} refused 409, "
            f"{tally.errors} errors; {len(lat) / elapsed:,.0f} requests/s)")
        out_lines.append(f"          latency, every bid: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lat[-1]:.1f} ms; "
                         f"accepted only: p50 {percentile(acc, 50):.1f} ms, p99 {percentile(acc, 99):.1f} ms")
        out_lines.append("          " + await check(url, market))
        rows = 1 if args.hot else args.auctions
        await bench_tables(url, rows)

        def tx_rate(measured: tuple[int, float, list[float]]) -> tuple[float, str]:
            done, elapsed, lat = measured
            return done / elapsed, (f"{done / elapsed:,.0f} tx/s (p50 {percentile(lat, 50):.1f} ms, "
                                    f"p99 {percentile(lat, 99):.1f} ms)")

        raw_rate, raw_text = tx_rate(await raw_pg(url, args.concurrency, args.seconds, rows))
        out_lines.append(f"baseline  raw asyncpg, {args.concurrency} clients, pool 20, one transaction of UPDATE … "
                         f"RETURNING + INSERT on {rows} row(s): {raw_text}")
        bare_rate, bare_text = tx_rate(await bare_http(served, args.concurrency, args.seconds, rows))
        out_lines.append(f"ceiling   the same transaction behind a bare aiohttp handler (bench/_bare.py, its own "
                         f"process), {args.concurrency} HTTP clients: {bare_text} = {bare_rate / raw_rate:.2f} × raw")
        ratio = rate / raw_rate
        out_lines.append(f"ratio     accepted bids/s ÷ baseline = {ratio:.2f}; ÷ the bare HTTP ceiling = "
                         f"{rate / bare_rate:.2f}")
        out_lines.append(
            f"targets   p99 ≤ {TARGET_P99_MS:.0f} ms: {'met' if p99 <= TARGET_P99_MS else 'MISSED'}; "
            f"ratio ≥ {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'MISSED'}")
    return out_lines


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench auctions", description=__doc__.splitlines()[0])
    ap.add_argument("--auctions", type=int, default=100)
    ap.add_argument("--bidders", type=int, default=50, help="bidders in each auction (the same organisations)")
    ap.add_argument("--concurrency", type=int, default=50, help="clients bidding at once (closed loop)")
    ap.add_argument("--replicas", type=int, default=1, help="psm serve processes, bids spread round robin")
    ap.add_argument("--seconds", type=float, default=15.0, help="length of each measured phase")
    ap.add_argument("--hot", action="store_true",
                    help="every client bids on one auction (a contested lot), the baseline on one row")
    ap.add_argument("--profile", metavar="FILE",
                    help="py-spy's collapsed stacks of the (first) server during the measured bids into FILE, "
                         "during the setup into FILE.setup")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    settings = Settings()

    async def bounded() -> list[str]:
        async with asyncio.timeout(240):  # the whole run stops by itself in under 4 minutes
            return await run(settings, args)

    t0 = time.monotonic()
    lines = asyncio.run(bounded())
    print(f"bench auctions — {os.cpu_count()} CPUs, everything on this machine (PostgreSQL, Kafka, ES, the server "
          f"and the load generator), {time.monotonic() - t0:.0f}s")
    for line in lines:
        print("  " + line)
    return 0
