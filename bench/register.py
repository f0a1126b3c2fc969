"""What a reservation by the patent register adds to a command, over HTTP.

``python -m bench register`` (the stack must be up). One ``psm serve`` subprocess on
its own database, topic prefix and index prefix; sequential requests (one client), so
each figure is the latency of one command on a quiet server:

* **declaration**: ``POST /v1/open-licences`` → 201. The licences service records a
  pending declaration and asks the register; the register decides in its consumer;
  licences applies the decision; the request answers with the outcome.
  Baseline: ``POST /v1/open-licences/{id}/acceptances`` → 201, one transaction in the
  licences service with no cross-context step (same HTTP layer, same consistency waits).
* **auction**: ``POST /v1/auctions`` → 201 (the register reserves the lot), beside
  ``POST /v1/auctions/{id}/registrations`` → 201 (one transaction in auctions).

Target (the integrity issue): the reservation adds ≤ 50 ms at p50 and ≤ 200 ms at p99.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from datetime import UTC, datetime, timedelta

import aiohttp

from bench._server import serving
from bench.auctions import cny, percentile
from services.tools.demo.identifiers import application_number as cn_number
from services.tools.demo.identifiers import uscc
from services.runtime.settings import Settings

TARGET_P50_MS, TARGET_P99_MS = 50.0, 200.0


async def timed(http: aiohttp.ClientSession, method: str, url: str, key: str, body=None,
                expect: int = 201) -> tuple[float, dict]:
    t0 = time.perf_counter()
    async with http.request(method, url, json=body, headers={"Authorization": f"Bearer {key}"}) as r:
        data = await r.json()
        assert r.status == expect, (r.status, data)
    return (time.perf_counter() - t0) * 1000, data


async def run(settings: Settings, n: int) -> list[str]:
    async with serving(settings) as served:
        base, operator = served.url, served.operator_key
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            async def org(kind: str, **extra) -> str:
                _, data = await timed(http, "POST", f"{base}/v1/orgs", operator, {
                    "kind": kind, "name": "基准", "country": "CN", "uscc": uscc(), **extra})
                return data["api_key"]

            uni = await org("institution", sub_kind="university")
            takers = [await org("enterprise") for _ in range(n)]
            patent = {"title": "一种锂离子电池正极材料", "kind": "invention", "ipc": ["H01M 4/525"],
                      "filing_date": "2021-03-01", "grant_date": "2023-05-01", "legal_status": "granted"}
            declare, accept, create, register = [], [], [], []
            now = datetime.now(UTC)
            for i in range(n + 5):  # the first five warm up connections and prepared statements
                _, p = await timed(http, "POST", f"{base}/v1/patents", uni, {**patent, "number": cn_number()})
                ms, d = await timed(http, "POST", f"{base}/v1/open-licences", uni, {
                    "patent_id": p["patent_id"], "royalty": {"basis": "percent_of_revenue", "rate_percent": "3"},
                    "payment": {"method": "bank_transfer", "schedule": "annually"}, "term_years": 5})
                ms2, _ = await timed(http, "POST", f"{base}/v1/open-licences/{d['id']}/acceptances",
                                     takers[i % n], {})
                _, lst = await timed(http, "POST", f"{base}/v1/listings", uni, {
                    "kind": "supply", "title": "转让", "patent_ids": [p["patent_id"]], "modes": ["transfer"],
                    "negotiable": True})
                await timed(http, "POST", f"{base}/v1/listings/{lst['listing_id']}/publish", uni, expect=200)
                ms3, a = await timed(http, "POST", f"{base}/v1/auctions", uni, {
                    "listing_id": lst["listing_id"], "starts_at": (now + timedelta(hours=1)).isoformat(),
                    "ends_at": (now + timedelta(hours=2)).isoformat(), "start_price": cny("1000"),
                    "increment": cny("10"), "deposit": cny("100")})
                ms4, _ = await timed(http, "POST", f"{base}/v1/auctions/{a['id']}/registrations", takers[i % n])
                if i >= 5:
                    declare.append(ms), accept.append(ms2), create.append(ms3), register.append(ms4)
    lines = []
    for name, ours, base_name, baseline in (("declaration 201", declare, "acceptance 201", accept),
                                            ("auction 201", create, "bidder registration 201", register)):
        ours, baseline = sorted(ours), sorted(baseline)
        p50, p99 = percentile(ours, 50), percentile(ours, 99)
        b50, b99 = percentile(baseline, 50), percentile(baseline, 99)
        added50, added99 = p50 - b50, p99 - b99
        lines.append(f"{name:<16} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms   baseline {base_name}: p50 {b50:6.1f} ms  "
                     f"p99 {b99:6.1f} ms   added p50 {added50:+.1f} ms (≤ {TARGET_P50_MS:.0f}: "
                     f"{'met' if added50 <= TARGET_P50_MS else 'MISSED'}), added p99 {added99:+.1f} ms "
                     f"(≤ {TARGET_P99_MS:.0f}: {'met' if added99 <= TARGET_P99_MS else 'MISSED'})")
    return lines


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench register", description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200, help="measured commands of each kind")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    settings = Settings()

    async def bounded() -> list[str]:
        async with asyncio.timeout(600):
            return await run(settings, args.requests)

    t0 = time.monotonic()
    lines = asyncio.run(bounded())
    print(f"bench register — {os.cpu_count()} CPUs, everything on this machine, sequential requests, "
          f"{time.monotonic() - t0:.0f}s")
    for line in lines:
        print("  " + line)
    return 0
