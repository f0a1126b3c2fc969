"""Publish → searchable latency through the whole path, beside raw Elasticsearch.

``python -m bench catalogue`` (the stack must be up; reads ``PSM_*`` like ``psm serve``).
It makes its own database, topic prefix and index prefix, runs every service in this
process on a local HTTP port, and removes everything at the end. Two measurements:

* **whole path**: ``POST /v1/listings/{id}/publish`` → outbox → relay → Kafka →
  indexer → Elasticsearch refresh; from just before the request until a search of the
  catalogue's read alias finds the listing published.
* **raw ES**: the same documents indexed straight into an index with the same settings
  (``refresh_interval`` 1 s), from just before the index request until a search finds it.

Both are paced at ``--rate`` per second and polled every 10 ms. Target (DESIGN §6): p99 ≤ 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid

import asyncpg
from aiohttp.test_utils import TestClient, TestServer
from elasticsearch import AsyncElasticsearch
from pydantic import SecretStr

from events.topics import all_topics
from search.mappings import MAPPINGS, SETTINGS, read_alias
from services.http.app import create_app
from services.main import all_modules
from services.demo.identifiers import application_number as cn_number
from services.demo.identifiers import uscc
from services.settings import Settings

TARGET_P99_S = 2.0
POLL_S = 0.01


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))]


class Watch:
    """When each document was sent, and when a search first found it."""

    def __init__(self, es: AsyncElasticsearch, index: str, status: str | None) -> None:
        self.es, self.index, self.status = es, index, status
        self.sent: dict[str, float] = {}
        self.seen: dict[str, float] = {}

    async def poll(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            waiting = [i for i in self.sent if i not in self.seen]
            if waiting:
                filters = [{"ids": {"values": waiting}}]
                if self.status:
                    filters.append({"term": {"status": self.status}})
                r = await self.es.search(index=self.index, query={"bool": {"filter": filters}}, size=len(waiting),
                                         source=False)
                now = time.monotonic()
                for hit in r["hits"]["hits"]:
                    self.seen.setdefault(hit["_id"], now)
            await asyncio.sleep(POLL_S)

    def latencies(self) -> list[float]:
        return sorted(self.seen[i] - t for i, t in self.sent.items() if i in self.seen)

    async def until_all_seen(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.seen) < len(self.sent) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


async def paced(ids: list[str], rate: float, send) -> None:
    start = time.monotonic()
    tasks = []
    for n, doc_id in enumerate(ids):
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(send(doc_id)))
    await asyncio.gather(*tasks)






async def whole_path(client: TestClient, operator: dict, es: AsyncElasticsearch, alias: str,
                     count: int, rate: float) -> Watch:
    r = await client.post("/v1/orgs", headers=operator, json={"kind": "institution", "sub_kind": "university",
                                                                "name": "基准大学", "country": "CN", "uscc": uscc()})
    assert r.status == 201, await r.text()
    headers = {"Authorization": f"Bearer {(await r.json())['api_key']}"}

    async def draft(n: int) -> str:
        r = await client.post("/v1/patents", headers=headers, json={
            "number": cn_number(), "title": f"一种锂离子电池正极材料及其制备方法{n}", "abstract": "高镍三元正极材料",
            "kind": "invention", "ipc": ["H01M 10/0525"], "filing_date": "2022-03-01", "legal_status": "granted",
            "grant_date": "2024-01-01"})
        assert r.status == 201, await r.text()
        r = await client.post("/v1/listings", headers=headers, json={
            "kind": "supply", "title": f"高镍正极材料专利转让 {n}", "patent_ids": [(await r.json())["patent_id"]],
            "modes": ["transfer"], "price": {"amount": "880000.00", "currency": "CNY"}, "industry": "C38",
            "stage": "pilot", "region": "310000"})
        assert r.status == 201, await r.text()
        return (await r.json())["listing_id"]

    sem = asyncio.Semaphore(10)

    async def bounded(n: int) -> str:
        async with sem:
            return await draft(n)

    ids = await asyncio.gather(*(bounded(n) for n in range(count)))
    await asyncio.sleep(2)  # let the drafts' own events (and the owner's refresh) pass first
    watch = Watch(es, alias, "published")
    stop = asyncio.Event()
    poller = asyncio.create_task(watch.poll(stop))

    async def publish(listing_id: str) -> None:
        watch.sent[listing_id] = time.monotonic()
        r = await client.post(f"/v1/listings/{listing_id}/publish", headers=headers)
        assert r.status == 200, await r.text()

    try:
        await paced(ids, rate, publish)
        await watch.until_all_seen(30)
    finally:
        stop.set()
        await poller
    return watch


async def raw_es(es: AsyncElasticsearch, index: str, template: dict, count: int, rate: float) -> Watch:
    await es.indices.create(index=index, settings=SETTINGS, mappings=MAPPINGS)
    watch = Watch(es, index, None)
    stop = asyncio.Event()
    poller = asyncio.create_task(watch.poll(stop))

    async def put(doc_id: str) -> None:
        watch.sent[doc_id] = time.monotonic()
        await es.index(index=index, id=doc_id, document={**template, "id": doc_id}, version=2,
                       version_type="external")

    try:
        await paced([f"raw_{n}" for n in range(count)], rate, put)
        await watch.until_all_seen(30)
    finally:
        stop.set()
        await poller
    return watch


def row(name: str, watch: Watch) -> str:
    lat = watch.latencies()
    missing = len(watch.sent) - len(lat)
    cells = [percentile(lat, p) * 1000 for p in (50, 90, 99)] + [(lat[-1] if lat else float("nan")) * 1000]
    return (f"{name:<12}{len(lat):>6}{missing:>9}" + "".join(f"{c:>10.0f}" for c in cells))


async def run(settings: Settings, count: int, rate: float) -> tuple[list[str], bool]:
    tag = f"bench{uuid.uuid4().hex[:8]}"
    db = f"psm_bench_{tag}"
    admin = await asyncpg.connect(settings.database_url)
    await admin.execute(f'CREATE DATABASE "{db}"')
    await admin.close()
    operator_key = "op_bench_" + uuid.uuid4().hex
    s = settings.model_copy(update={
        "database_url": settings.database_url.rsplit("/", 1)[0] + "/" + db, "topic_prefix": f"{tag}.",
        "topic_partitions": 2, "index_prefix": tag, "operator_key": SecretStr(operator_key)})
    es = AsyncElasticsearch(s.elasticsearch_url, request_timeout=30)
    try:
        async with TestClient(TestServer(create_app(s, all_modules()))) as client:
            path = await whole_path(client, {"Authorization": f"Bearer {operator_key}"}, es, read_alias(tag),
                                    count, rate)
            template = (await es.get(index=read_alias(tag), id=next(iter(path.sent))))["_source"]
        raw = await raw_es(es, f"{tag}-raw", template, count, rate)
    finally:
        names = list((await es.indices.get(index=f"{tag}-*", allow_no_indices=True)).body)
        if names:
            await es.indices.delete(index=",".join(names))
        await es.close()
        await _drop_topics(s)
        admin = await asyncpg.connect(settings.database_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()
    p99 = percentile(path.latencies(), 99)
    ok = len(path.latencies()) == count and p99 <= TARGET_P99_S
    lines = [f"publish → searchable, {count} listings at {rate:g}/s, polled every {POLL_S * 1000:.0f} ms",
             f"{'':<12}{'found':>6}{'missing':>9}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}",
             row("whole path", path), row("raw ES", raw),
             f"target p99 ≤ {TARGET_P99_S * 1000:.0f} ms: {'met' if ok else 'NOT met'}"]
    return lines, ok


async def _drop_topics(s: Settings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [t for t in all_topics(s.topic_prefix) if t in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench catalogue", description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200, help="listings published (default 200)")
    ap.add_argument("--rate", type=float, default=20.0, help="publishes per second (default 20)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    lines, ok = asyncio.run(run(Settings(), args.count, args.rate))
    print("\n".join(lines))
    return 0 if ok else 1
