"""``python -m bench http``: requests/s and latency of two authenticated reads through
``psm serve`` — ``GET /v1/listings/{id}`` and ``GET /v1/catalogue/search`` — beside a bare
aiohttp server (``bench/_bare.py``, its own process like ``psm serve``) running the same
queries on the same database and index, in the same run. Closed loop, ``--concurrency``
clients, ``--seconds`` each. Target (issue 19): ≥ 0.5 × the bare server."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

import aiohttp

from bench._server import ROOT, free_port, serving, wait_ready
from bench.catalogue import percentile
from services.runtime.settings import Settings
from services.tools.demo.identifiers import application_number, uscc

TARGET_RATIO = 0.5
SEARCH = {"q": "锂电池", "mode": "transfer"}


async def load(http: aiohttp.ClientSession, url: str, headers: dict, params: dict | None, clients: int,
               seconds: float) -> tuple[float, list[float]]:
    lat: list[float] = []
    stop = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            async with http.get(url, headers=headers, params=params) as r:
                await r.read()
                assert r.status == 200, r.status
            lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(lat) / (time.perf_counter() - t0), sorted(lat)


async def run(args: argparse.Namespace) -> list[str]:
    settings = Settings()
    lines = []
    async with serving(settings) as served, aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=args.concurrency + 5)) as http:
        op = {"Authorization": f"Bearer {served.operator_key}"}
        r = await http.post(served.url + "/v1/orgs", headers=op, json={
            "kind": "institution", "sub_kind": "university", "name": "基准大学", "country": "CN", "uscc": uscc()})
        made = await r.json()
        me = {"Authorization": f"Bearer {made['api_key']}"}
        r = await http.post(served.url + "/v1/patents", headers=me, json={
            "number": application_number(), "title": "一种锂离子电池正极材料", "abstract": "高镍三元正极，循环寿命长。",
            "kind": "invention", "ipc": ["H01M 4/525"], "applicants": ["基准大学"], "inventors": ["张三"],
            "filing_date": "2021-03-01", "grant_date": "2023-05-01", "legal_status": "granted"})
        patent = await r.json()
        r = await http.post(served.url + "/v1/listings", headers=me, json={
            "kind": "supply", "title": "锂电池正极材料专利转让", "patent_ids": [patent["patent_id"]], "modes": ["transfer"],
            "price": {"amount": "880000.00", "currency": "CNY"}, "industry": "C38", "region": "310000"})
        listing = (await r.json())["listing_id"]
        await http.post(served.url + f"/v1/listings/{listing}/publish", headers=me)
        for _ in range(100):  # until the catalogue has it
            async with http.get(served.url + "/v1/catalogue/search", headers=me, params=SEARCH) as r:
                if (await r.json())["total"] >= 1:
                    break
            await asyncio.sleep(0.1)

        port = free_port()
        env = {**os.environ, "PSM_DATABASE_URL": served.database_url, "PSM_INDEX_PREFIX": served.tag}
        bare = subprocess.Popen([sys.executable, "-m", "bench._bare", "--port", str(port)], cwd=ROOT, env=env)
        try:
            bare_url = f"http://127.0.0.1:{port}"
            await wait_ready(http, bare_url, bare)
            lines.append(f"{'':<40}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
            for name, path, params in (("GET /v1/listings/{id}", f"/v1/listings/{listing}", None),
                                       ("GET /v1/catalogue/search", "/v1/catalogue/search", SEARCH)):
                await load(http, served.url + path, me, params, args.concurrency, 2)  # warm-up
                ours, ours_lat = await load(http, served.url + path, me, params, args.concurrency, args.seconds)
                await load(http, bare_url + path, {}, params, args.concurrency, 2)
                raw, raw_lat = await load(http, bare_url + path, {}, params, args.concurrency, args.seconds)
                lines.append(f"{name + ' (psm serve)':<40}{ours:>9,.0f}{percentile(ours_lat, 50):>9.1f}"
                             f"{percentile(ours_lat, 99):>9.1f}")
                lines.append(f"{'  bare aiohttp, same queries':<40}{raw:>9,.0f}{percentile(raw_lat, 50):>9.1f}"
                             f"{percentile(raw_lat, 99):>9.1f}")
                ratio = ours / raw
                lines.append(f"  ratio {ratio:.2f} (target ≥ {TARGET_RATIO}): {'met' if ratio >= TARGET_RATIO else 'MISSED'}")
        finally:
            bare.terminate()
            bare.wait(20)
    return lines


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench http", description=__doc__.split("\n\n")[0])
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    lines = asyncio.run(run(args))
    print(f"bench http — {os.cpu_count()} CPUs, one psm serve process and one bare aiohttp process, "
          f"{args.concurrency} clients, {time.monotonic() - t0:.0f}s")
    for line in lines:
        print("  " + line)
    return 0
