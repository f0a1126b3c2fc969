"""Relevance regression: ten queries of the labelled set (bench/relevance) against the
catalogue's real query on a scratch index of the whole corpus. The ten are among the
hardest (needs in a sentence, mixed Chinese and English, broad terms); the floor is what
they measured when this test was written — a change that loses relevance fails here,
before `python -m bench relevance` is ever run."""

from __future__ import annotations

import uuid

import pytest
from elasticsearch import AsyncElasticsearch

from bench.relevance import baseline, catalogue, evaluate, load_corpus, load_queries, scratch_index

QUERIES = ("q01", "q05", "q09", "q12", "q24", "q28", "q36", "q45", "q53", "q70")
MEASURED_NDCG = 0.763  # 2026-11-30, vocabulary and query of that day (the baseline: 0.654)
MEASURED_RECALL = 0.787


@pytest.fixture
async def corpus_index(settings):
    es = AsyncElasticsearch(settings.elasticsearch_url, request_timeout=60)
    index = f"{settings.index_prefix}-relevance-{uuid.uuid4().hex[:6]}"
    try:
        await scratch_index(es, index, load_corpus())
        yield es, index
    finally:
        await es.indices.delete(index=index, ignore_unavailable=True)
        await es.close()


async def test_ten_judged_queries_keep_their_relevance(corpus_index):
    es, index = corpus_index
    queries = load_queries(QUERIES)
    assert [q.id for q in queries] == list(QUERIES)
    ours, rankings = await evaluate(catalogue(es, index), queries)
    base, _ = await evaluate(baseline(es, index), queries)
    detail = {q: (round(v[0], 3), rankings[q][:3]) for q, v in ours.per_query.items()}
    assert ours.ndcg >= MEASURED_NDCG - 0.0005, detail
    assert ours.recall >= MEASURED_RECALL - 0.0005, detail
    assert ours.ndcg > base.ndcg and ours.recall > base.recall  # the vocabulary earns its keep


def test_the_measures_on_a_known_ranking():
    from bench.relevance import ndcg_at, recall_at, reciprocal_rank

    grades = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert ndcg_at(["x", "a"], {"a": 3}) == pytest.approx(1 / 1.5849625, rel=1e-6)  # log2(3)
    assert recall_at(["c", "b", "x"], grades) == 0.5  # b of {a, b}: grade 1 is not counted
    assert reciprocal_rank(["c", "x", "b"], grades) == pytest.approx(1 / 3)
    assert ndcg_at([], grades) == 0.0
