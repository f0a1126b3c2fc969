"""Precise push (精准推送): match each newly published supply listing against every
enterprise subscription, and push it once per (enterprise, listing).

Why not the Elasticsearch percolator: DESIGN §10 asks for percolation, but the server
this project runs (the integ-test-zip distribution) has no percolator module. The same
shape is built from plain queries, which scales the same way (one query per listing,
not one per subscription):

1. **Subscriptions are documents** in a distribution-owned index
   (``{prefix}-distribution-subscriptions``): keyword arrays for the structured filter
   (``"*"`` standing for an empty dimension) and, for a free-text query, its distinct
   analysed terms (``query_terms``, via ``_analyze`` with ``psm_cjk``, the catalogue's
   analyser) and their count.
2. **Candidates, one query per listing**: ``terms`` on each dimension with the
   listing's codes expanded to every prefix (so a subscription's prefix is an exact
   term), and ``terms_set`` on ``query_terms`` requiring *all* of a subscription's
   terms among the listing's analysed terms. That is already the exact rule.
3. **Exact verification** of every candidate all the same: the structured filter in
   Python (``domain.Filter.matches``), and each distinct query text by a ``match``
   (operator ``and``) restricted to the listing's own document in a probe index
   (``{prefix}-distribution-probe``), batched with ``_msearch``. A candidate that
   fails here is not pushed (no false push); none should, and tests check both.

The work is driven by ``match_jobs`` rows, written by the consumer in the change's
transaction: a crash mid-match re-runs the job, and pushes are unique per
(enterprise, listing), so nothing is pushed twice or lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence

import asyncpg
from elasticsearch import AsyncElasticsearch, BadRequestError

from events.schemas.distribution import PushDelivered
from events.tracing import new_traceparent, traced
from services.distribution import domain
from services.distribution import repository as repo
from services.distribution.handlers import NOTIFY_CHANNEL, OUTBOX, new_id
from services.distribution.consumers import listing_attributes

log = logging.getLogger("psm.distribution.push")

ANY = "*"
ANALYZER = "psm_cjk"
TEXT = {"type": "text", "analyzer": ANALYZER}
SUBSCRIPTIONS_MAPPING = {"dynamic": "strict", "properties": {
    "org_id": {"type": "keyword"}, "channel": {"type": "keyword"}, "types": {"type": "keyword"},
    "industries": {"type": "keyword"}, "regions": {"type": "keyword"}, "stages": {"type": "keyword"},
    "modes": {"type": "keyword"}, "ipc": {"type": "keyword"}, "query": {"type": "keyword", "index": False},
    "query_terms": {"type": "keyword"}, "query_term_count": {"type": "integer"}}}
PROBE_MAPPING = {"dynamic": "strict", "properties": {"text": TEXT}}
INDEX_SETTINGS = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
CANDIDATE_PAGE = 5000
MSEARCH_BATCH = 500
# Listings matched at once: their searches run side by side in Elasticsearch; the pushes
# are still written one listing after another, in the jobs' order.
MATCH_CONCURRENCY = 8


def subscriptions_index(prefix: str) -> str:
    return f"{prefix}-distribution-subscriptions"


def probe_index(prefix: str) -> str:
    return f"{prefix}-distribution-probe"


def listing_texts(s: dict) -> list[str]:
    texts = [s.get("title") or "", s.get("description") or "", s.get("field") or "", *(s.get("tags") or ())]
    for p in s.get("patents") or ():
        texts += [p.get("title") or "", p.get("abstract") or ""]
    return [t for t in texts if t.strip()]


def expanded(values, normalise=lambda v: v) -> list[str]:
    out = {ANY}
    for v in values:
        if v:
            out.update(domain.prefixes(normalise(v)))
    return sorted(out)


def candidate_query(a: domain.Attributes, terms: list[str]) -> dict:
    def dim(field: str, values: list[str]) -> dict:
        return {"terms": {field: values}}

    return {"bool": {"filter": [
        dim("industries", expanded([a.industry], str.upper)),
        dim("regions", expanded([a.region])),
        dim("stages", [ANY] + ([a.stage] if a.stage else [])),
        dim("modes", [ANY, *a.modes]),
        dim("ipc", expanded(a.ipc, domain.ipc_key)),
        dim("types", [ANY, a.type]),
        {"bool": {"minimum_should_match": 1, "should": [
            {"term": {"query_term_count": 0}},
            {"terms_set": {"query_terms": {"terms": terms, "minimum_should_match_field": "query_term_count"}}},
        ]}},
    ]}}


class Matcher:
    def __init__(self, pool: asyncpg.Pool, es: AsyncElasticsearch, index_prefix: str, poll_s: float = 0.2) -> None:
        self.pool = pool
        self.es = es
        self.subs_index, self.probe_index = subscriptions_index(index_prefix), probe_index(index_prefix)
        self.poll_s = poll_s

    async def run(self) -> None:
        pool = self.pool
        while True:
            try:
                await self._ensure_indices()
                while await self.step(pool):
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 — a job stays pending and is retried; nothing is lost
                log.warning("matcher: %s: %s", type(e).__name__, e, exc_info=True)
            await asyncio.sleep(self.poll_s)

    async def _ensure_indices(self) -> None:
        for name, mapping in ((self.subs_index, SUBSCRIPTIONS_MAPPING), (self.probe_index, PROBE_MAPPING)):
            if not await self.es.indices.exists(index=name):
                try:
                    await self.es.indices.create(index=name, settings=INDEX_SETTINGS, mappings=mapping)
                except BadRequestError as e:
                    if e.error != "resource_already_exists_exception":
                        raise

    async def step(self, pool: asyncpg.Pool) -> bool:
        """Index new subscriptions, then match the oldest pending listings. True if it did anything."""
        # Every subscription committed before a job is looked at is matched against it.
        synced = 0
        while n := await self.sync_subscriptions(pool):
            synced += n
        async with pool.acquire() as conn:
            jobs = await repo.pending_match_jobs(conn)
        if jobs:
            await self.probe(jobs)
            gate = asyncio.Semaphore(MATCH_CONCURRENCY)

            async def matched(job: asyncpg.Record) -> list[dict]:
                async with gate:
                    return await self.matches(job["listing_id"], job["snapshot"])

            found = await asyncio.gather(*(matched(job) for job in jobs))
            for job, hits in zip(jobs, found, strict=True):
                await self.push(pool, job, hits)
        return bool(synced or jobs)

    async def probe(self, jobs: Sequence[asyncpg.Record]) -> None:
        """The listings' probe documents, in one request with one refresh (a refresh per
        listing was the largest part of matching it)."""
        ops: list[dict] = []
        for job in jobs:
            ops += [{"index": {"_index": self.probe_index, "_id": job["listing_id"]}},
                    {"text": listing_texts(job["snapshot"])}]
        resp = await self.es.bulk(operations=ops, refresh="true")
        if resp["errors"]:
            bad = [i for i in resp["items"] if next(iter(i.values())).get("error")]
            raise RuntimeError(f"indexing probe documents failed: {bad[:3]}")

    # -- subscriptions → the index --------------------------------------------------------
    async def sync_subscriptions(self, pool: asyncpg.Pool, batch: int = 2000) -> int:
        async with pool.acquire() as conn:
            rows = await repo.subscriptions_to_index(conn, batch)
        if not rows:
            return 0
        queries = sorted({r["query"] for r in rows if r["query"]})
        gate = asyncio.Semaphore(16)

        async def analyse(q: str) -> tuple[str, list[str]]:
            async with gate:
                return q, await self.terms_of([q])

        terms = dict(await asyncio.gather(*(analyse(q) for q in queries)))
        ops: list[dict] = []
        for r in rows:
            f = r["filter"]
            qt = terms.get(r["query"], []) if r["query"] else []
            doc = {"org_id": r["org_id"], "channel": r["channel"], "types": f.get("types") or [ANY],
                   "industries": f.get("industries") or [ANY], "regions": f.get("regions") or [ANY],
                   "stages": f.get("stages") or [ANY], "modes": f.get("modes") or [ANY], "ipc": f.get("ipc") or [ANY],
                   "query": r["query"], "query_terms": qt, "query_term_count": len(qt)}
            if r["query"] and not qt:
                doc["query_term_count"] = 1  # nothing searchable in it: it can never match
            if not r["active"]:
                ops += [{"delete": {"_index": self.subs_index, "_id": r["id"]}}]
            else:
                ops += [{"index": {"_index": self.subs_index, "_id": r["id"]}}, doc]
        resp = await self.es.bulk(operations=ops, refresh="wait_for")
        if resp["errors"]:
            bad = [i for i in resp["items"] if next(iter(i.values())).get("error")]
            raise RuntimeError(f"indexing subscriptions failed: {bad[:3]}")
        async with pool.acquire() as conn:
            await repo.mark_indexed(conn, [r["id"] for r in rows], [r["version"] for r in rows])
        return len(rows)

    async def terms_of(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        r = await self.es.indices.analyze(index=self.probe_index, analyzer=ANALYZER, text=texts)
        return sorted({t["token"] for t in r["tokens"]})

    # -- one listing --------------------------------------------------------------------
    async def candidates(self, a: domain.Attributes, terms: list[str]) -> list[dict]:
        out: list[dict] = []
        after = None
        while True:
            kw = {"search_after": after} if after else {}
            r = await self.es.search(index=self.subs_index, query=candidate_query(a, terms), size=CANDIDATE_PAGE,
                                     sort=[{"_doc": "asc"}], source=["org_id", "channel", "types", "industries",
                                                                      "regions", "stages", "modes", "ipc", "query"],
                                     track_total_hits=False, **kw)
            hits = r["hits"]["hits"]
            out += hits
            if len(hits) < CANDIDATE_PAGE:
                return out
            after = hits[-1]["sort"]

    async def verified_queries(self, listing_id: str, queries: list[str]) -> set[str]:
        """The query texts that match the listing's document in the probe index."""
        ok: set[str] = set()
        for i in range(0, len(queries), MSEARCH_BATCH):
            chunk = queries[i:i + MSEARCH_BATCH]
            searches: list[dict] = []
            for q in chunk:
                searches += [{"index": self.probe_index}, {"size": 0, "track_total_hits": True, "query": {"bool": {"filter": [
                    {"ids": {"values": [listing_id]}},
                    {"match": {"text": {"query": q, "operator": "and"}}}]}}}]
            r = await self.es.msearch(searches=searches)
            for q, resp in zip(chunk, r["responses"]):
                if "error" in resp:
                    raise RuntimeError(f"verifying {q!r}: {resp['error']}")
                if resp["hits"]["total"]["value"] > 0:
                    ok.add(q)
        return ok

    async def matches(self, listing_id: str, snapshot: dict) -> list[dict]:
        """The subscriptions (ES hits) the listing matches, exactly; its probe document is
        searchable already (``probe``)."""
        texts = listing_texts(snapshot)
        terms = await self.terms_of(texts)
        a = listing_attributes(snapshot)
        hits = await self.candidates(a, terms)
        queries = sorted({h["_source"]["query"] for h in hits if h["_source"].get("query")})
        good = await self.verified_queries(listing_id, queries)
        out = []
        for h in hits:
            s = h["_source"]
            flt = domain.Filter.of({k: [v for v in s[k] if v != ANY] for k in
                                    ("types", "industries", "regions", "stages", "modes", "ipc")})
            if flt.matches(a) and (not s.get("query") or s["query"] in good):
                out.append(h)
            else:
                log.warning("candidate %s for %s failed verification", h["_id"], listing_id)
        return out

    async def push(self, pool: asyncpg.Pool, job: asyncpg.Record, hits: list[dict]) -> None:
        """Record the pushes of one matched listing, and finish its job, in one transaction."""
        listing_id, snapshot = job["listing_id"], job["snapshot"]
        by_org: dict[str, list[dict]] = defaultdict(list)
        for h in hits:
            by_org[h["_source"]["org_id"]].append(h)
        orgs = sorted(by_org)
        sub_ids = [sorted(h["_id"] for h in by_org[o]) for o in orgs]
        hooks = [sorted(h["_id"] for h in by_org[o] if h["_source"]["channel"] == "webhook") for o in orgs]
        # One trace for the pushes of one listing (not a new one per push event).
        with traced(new_traceparent()):
            async with pool.acquire() as conn, conn.transaction():
                rows = await repo.insert_pushes(conn, [new_id("psh") for _ in orgs], orgs, listing_id, snapshot,
                                                sub_ids, ["webhook" if h else "inbox" for h in hooks])
                hook_of = dict(zip(orgs, hooks))
                deliveries = []
                for r in rows:
                    if r["channel"] == "webhook":
                        body = domain.webhook_body(PushDelivered.TYPE, job["created_at"], {
                            "push_id": r["id"], "listing_id": listing_id,
                            "subscription_ids": list(r["subscription_ids"]), "listing": snapshot})
                        deliveries.append((new_id("msg"), hook_of[r["org_id"]][0], listing_id, job["position"],
                                           PushDelivered.TYPE, body))
                if deliveries:
                    await repo.insert_deliveries(conn, deliveries)
                    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
                await OUTBOX.record_many(conn, [(r["id"], PushDelivered(
                    push_id=r["id"], org_id=r["org_id"], listing_id=listing_id,
                    subscription_ids=list(r["subscription_ids"]), channel=r["channel"])) for r in rows])
                await repo.finish_match_job(conn, listing_id)
        log.info("listing %s pushed to %d enterprises (%d subscriptions matched)", listing_id, len(rows), len(hits))
