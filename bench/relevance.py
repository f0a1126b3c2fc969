"""``python -m bench relevance``: how well the catalogue finds what an engineer means.

The labelled set lives beside this file: ``relevance/corpus.txt`` (310 Chinese patents
in 27 technical fields, written for the benchmark) and ``relevance/queries.txt`` (70
queries as enterprises type them, graded 0–3 by hand from the documents' texts). Each
document is indexed as a published listing in a scratch index with the catalogue's own
settings and mapping; each query runs as the API runs it (``search.query.build_search``
with the patent vocabulary) and as the baseline — a plain match of the query's CJK
bigrams on title and abstract — in the same run.

Measures, over the first 10 results: nDCG@10 (grades as gains 2^g − 1), recall@10 (of
the documents graded ≥ 2, out of at most 10: a query with more cannot show them all on
one page) and MRR (the first document graded ≥ 2). Targets: nDCG@10 ≥ 0.9, recall@10 ≥ 0.9.

``--only q01,q07`` runs some queries; ``--show`` prints each query's ranking.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk

from search.documents import ipc_levels
from search.mappings import MAPPINGS, SETTINGS
from search.models import SearchQuery
from search.query import build_search
from search.vocabulary import Vocabulary
from services.runtime.codes import normalize_ipc
from services.runtime.settings import Settings

HERE = Path(__file__).resolve().parent / "relevance"
K = 10
RELEVANT = 2  # the grade from which a document counts for recall and MRR
TARGETS = {"ndcg@10": 0.9, "recall@10": 0.9}


@dataclass(frozen=True)
class Patent:
    id: str
    ipc: tuple[str, ...]
    title: str
    abstract: str


@dataclass(frozen=True)
class Judged:
    id: str
    style: str
    q: str
    grades: dict[str, int]


def _rows(name: str) -> list[list[str]]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [[c.strip() for c in line.split("|")] for line in lines if line.strip() and not line.startswith("#")]


def load_corpus() -> list[Patent]:
    return [Patent(id_, tuple(s.strip() for s in ipc.split(",")), title, abstract)
            for id_, ipc, title, abstract in _rows("corpus.txt")]


def load_queries(only: Sequence[str] = ()) -> list[Judged]:
    queries = [Judged(id_, style, q, {d: int(g) for d, g in (j.split(":") for j in grades.split())})
               for id_, style, q, grades in _rows("queries.txt")]
    return [q for q in queries if not only or q.id in only]


def document(p: Patent, published_at: datetime) -> dict[str, Any]:
    """The patent as a venue lists it: a published supply listing of it alone."""
    levels: dict[str, list[str]] = {}
    for symbol in p.ipc:
        for k, v in ipc_levels(normalize_ipc(symbol)).items():
            levels.setdefault(k, []).append(v)
    return {"type": "listing", "id": p.id, "title": p.title, "abstracts": [p.abstract], "patent_titles": [p.title],
            "ipc": list(p.ipc), **{k: list(dict.fromkeys(v)) for k, v in levels.items()}, "status": "published",
            "modes": ["transfer"], "published_at": published_at.isoformat(), "updated_at": published_at.isoformat(),
            "suggest": {"input": [p.title], "contexts": {"type": ["listing"], "status": ["published"]}}}


# -- the measures (pure) -----------------------------------------------------------------
def dcg(gains: Sequence[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return dcg([grades.get(d, 0) for d in ranked[:k]]) / ideal if ideal else 0.0


def recall_at(ranked: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    relevant = {d for d, g in grades.items() if g >= RELEVANT}
    return len(relevant & set(ranked[:k])) / min(len(relevant), k) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], grades: dict[str, int]) -> float:
    return next((1 / (i + 1) for i, d in enumerate(ranked) if grades.get(d, 0) >= RELEVANT), 0.0)


@dataclass
class Scores:
    per_query: dict[str, tuple[float, float, float]]  # id → (nDCG@10, recall@10, RR)

    def mean(self, i: int) -> float:
        return sum(v[i] for v in self.per_query.values()) / len(self.per_query)

    @property
    def ndcg(self) -> float:
        return self.mean(0)

    @property
    def recall(self) -> float:
        return self.mean(1)

    @property
    def mrr(self) -> float:
        return self.mean(2)


# -- running it --------------------------------------------------------------------------
Ranker = Callable[[str], Awaitable[list[str]]]


async def scratch_index(es: AsyncElasticsearch, name: str, corpus: Sequence[Patent]) -> None:
    """The corpus in a new index with the catalogue's settings and mapping."""
    await es.indices.create(index=name, settings=SETTINGS, mappings=MAPPINGS)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    await async_bulk(es, ({"_index": name, "_id": p.id, "_source": document(p, now)} for p in corpus))
    await es.indices.refresh(index=name)


def catalogue(es: AsyncElasticsearch, index: str, vocabulary: Vocabulary | None = None) -> Ranker:
    """The catalogue's own search, as the API sends it."""
    async def rank(q: str) -> list[str]:
        body = build_search(SearchQuery(q=q, limit=K), vocabulary)
        body["source_includes"] = ["id"]
        r = await es.search(index=index, **body)
        return [h["_source"]["id"] for h in r.body["hits"]["hits"]][:K]
    return rank


def baseline(es: AsyncElasticsearch, index: str) -> Ranker:
    """A plain bigram match of the query on title and abstract."""
    async def rank(q: str) -> list[str]:
        r = await es.search(index=index, query={"multi_match": {"query": q, "fields": ["title", "abstracts"]}},
                            size=K, source_includes=["id"])
        return [h["_source"]["id"] for h in r.body["hits"]["hits"]]
    return rank


async def evaluate(rank: Ranker, queries: Sequence[Judged]) -> tuple[Scores, dict[str, list[str]]]:
    per, rankings = {}, {}
    for q in queries:
        ranked = await rank(q.q)
        rankings[q.id] = ranked
        per[q.id] = (ndcg_at(ranked, q.grades), recall_at(ranked, q.grades), reciprocal_rank(ranked, q.grades))
    return Scores(per), rankings


async def run(only: Sequence[str], show: bool) -> int:
    s = Settings()
    es = AsyncElasticsearch(s.elasticsearch_url, request_timeout=60)
    index = f"bench-relevance-{uuid.uuid4().hex[:8]}"
    corpus, queries = load_corpus(), load_queries(only)
    titles = {p.id: p.title for p in corpus}
    try:
        await scratch_index(es, index, corpus)
        ours, our_rankings = await evaluate(catalogue(es, index), queries)
        base, _ = await evaluate(baseline(es, index), queries)
    finally:
        await es.indices.delete(index=index, ignore_unavailable=True)
        await es.close()
    fields = len({p.id.split("-")[0] for p in corpus})
    print(f"relevance: {len(corpus)} documents in {fields} fields, {len(queries)} judged queries, top {K}")
    if show:
        for q in queries:
            n, r, rr = ours.per_query[q.id]
            print(f"  {q.id} {q.style:7} nDCG {n:.2f} recall {r:.2f} RR {rr:.2f}  {q.q}")
            for d in our_rankings[q.id]:
                print(f"      {q.grades.get(d, 0)} {d:9} {titles[d]}")
    by_style: dict[str, list[str]] = {}
    for q in queries:
        by_style.setdefault(q.style, []).append(q.id)
    print(f"{'':22}{'nDCG@10':>9}{'recall@10':>11}{'MRR':>7}")
    for name, sc in (("baseline (bigrams)", base), ("catalogue", ours)):
        print(f"  {name:20}{sc.ndcg:9.3f}{sc.recall:11.3f}{sc.mrr:7.3f}")
    for style, ids in sorted(by_style.items()):
        sub = Scores({i: ours.per_query[i] for i in ids})
        bsub = Scores({i: base.per_query[i] for i in ids})
        print(f"    {style:6} ({len(ids):2} queries){'':5}{sub.ndcg:9.3f}{sub.recall:11.3f}{sub.mrr:7.3f}"
              f"   baseline {bsub.ndcg:.3f} / {bsub.recall:.3f}")
    met = ours.ndcg >= TARGETS["ndcg@10"] and ours.recall >= TARGETS["recall@10"]
    print(f"targets nDCG@10 ≥ {TARGETS['ndcg@10']}, recall@10 ≥ {TARGETS['recall@10']}: {'met' if met else 'MISSED'}")
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench relevance", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="comma-separated query ids")
    ap.add_argument("--show", action="store_true", help="print each query's ranking")
    args = ap.parse_args(argv)
    return asyncio.run(run([q for q in args.only.split(",") if q], args.show))
