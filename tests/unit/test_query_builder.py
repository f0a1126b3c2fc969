"""The catalogue's query builder and documents: pure, no Elasticsearch."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from events.schemas.common import Money
from events.schemas.listings import ListingSnapshot, PatentSnapshot
from search import matching, query
from search.documents import listing_document
from search.models import SearchQuery, SuggestQuery, ipc_filter_term
from services.runtime.errors import ValidationFailed
from services.runtime.http.pagination import encode_cursor


def params(**kw) -> SearchQuery:
    return SearchQuery.model_validate({k: str(v) for k, v in kw.items()})


def filter_of(body: dict, kind: str) -> list[dict]:
    return [f for f in body["query"]["bool"]["filter"] if kind in f]


def snapshot(**over) -> ListingSnapshot:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    patent = PatentSnapshot(patent_id="pat_1", number="202310123456.6", title="一种锂离子电池正极材料",
                            abstract="高镍三元", kind="invention", ipc=["H01M 10/0525", "H01M 4/525"],
                            filing_date=date(2023, 1, 10), legal_status="granted", expires_on=date(2043, 1, 10),
                            owner_org_id="org_1")
    values = dict(listing_id="lst_1", kind="supply", status="published", owner_org_id="org_1", owner_kind="institution",
                  title="高镍正极材料专利转让", patents=[patent], modes=["transfer"],
                  price=Money(amount=Decimal("880000.5")), industry="C384", region="310115", stage="pilot",
                  created_at=now, updated_at=now, published_at=now)
    values.update(over)
    return ListingSnapshot(**values)


def test_full_text_searches_bigrams_and_words_with_title_boosted_most():
    body = query.build_search(params(q="锂电池"))
    [multi] = [c["multi_match"] for c in body["query"]["bool"]["must"][0]["bool"]["should"] if "multi_match" in c]
    assert {"title^5", "title.words^5", "description^1", "description.words^1"} <= set(multi["fields"])
    assert multi["type"] == "most_fields"
    # Highlighting is done on the page in Python (search/highlight.py): the texts come back.
    assert "highlight" not in body and {"title", "abstracts", "patent_titles"} <= set(body["source_includes"])


def test_a_patent_number_in_the_search_box_matches_both_spellings():
    body = query.build_search(params(q="ZL202310123456.6"))
    should = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert {"terms": {"patent_numbers": ["ZL202310123456.6", "2023101234566"], "boost": 20}} in should


def test_default_results_show_listings_on_the_market_and_sold_ones():
    [status] = filter_of(query.build_search(params()), "terms")[:1]
    assert status == {"terms": {"status": ["published", "reserved", "sold"]}}
    [status] = filter_of(query.build_search(params(status="withdrawn")), "terms")[:1]
    assert status == {"terms": {"status": ["withdrawn"]}}


@pytest.mark.parametrize("raw, term", [
    ("H", ("ipc_section", "H")), ("h01", ("ipc_class", "H01")), ("H01M", ("ipc_subclass", "H01M")),
    ("H01M 10", ("ipc_main_group", "H01M 10/00")), ("H01M 10/00", ("ipc_main_group", "H01M 10/00")),
    ("H01M10/0525", ("ipc_group", "H01M 10/0525")), ("H01M 10/0525", ("ipc_group", "H01M 10/0525")),
])
def test_an_ipc_prefix_filters_on_its_level(raw, term):
    assert ipc_filter_term(raw) == term


def test_filters_are_anded_between_names_and_ored_within_one():
    body = query.build_search(params(mode="transfer,equity", industry="C38", region="310000", ipc="H01M,A61K",
                                     price_min="100", price_max="200.50"))
    filters = body["query"]["bool"]["filter"]
    assert {"terms": {"modes": ["transfer", "equity"]}} in filters
    assert {"terms": {"industry_levels": ["C38"]}} in filters
    assert {"terms": {"region_levels": ["310000"]}} in filters
    assert {"range": {"price": {"gte": 100.0, "lte": 200.5}}} in filters
    assert {"bool": {"should": [{"term": {"ipc_subclass": "H01M"}}, {"term": {"ipc_subclass": "A61K"}}],
                     "minimum_should_match": 1}} in filters


@pytest.mark.parametrize("bad", [{"mode": "barter"}, {"type": "patent"}, {"status": "draft"}, {"ipc": "Z01"},
                                 {"industry": "38"}, {"region": "31"}, {"limit": "201"}, {"limit": "0"},
                                 {"price_min": "-1"}, {"price_min": "10", "price_max": "5"}, {"sort": "random"},
                                 {"colour": "red"}])
def test_refuses_filters_it_cannot_apply(bad):
    with pytest.raises(ValidationError):
        SearchQuery.model_validate(bad)


def test_every_sort_ends_with_the_id_tiebreaker_and_relevance_needs_a_query():
    for name, sort in query.SORTS.items():
        assert sort[-1] == {"id": {"order": "asc"}}, name
    assert query.build_search(params())["sort"] == query.SORTS["newest"]
    assert query.build_search(params(q="电池"))["sort"] == query.SORTS["relevance"]


def test_asks_one_more_than_the_limit_and_counts_every_hit():
    body = query.build_search(params(limit=200))
    assert body["size"] == 201 and body["track_total_hits"] is True


def test_a_cursor_resumes_after_the_last_item_of_its_sort():
    p = params(sort="price_asc", limit=2)
    response = {"hits": {"total": {"value": 3}, "hits": [hit("a", [5.0, "a"]), hit("b", [7.0, "b"]),
                                                          hit("c", [9.0, "c"])]},
                "aggregations": empty_aggs()}
    result = query.read_search(p, response)
    assert [i.id for i in result.items] == ["a", "b"]
    nxt = query.build_search(params(sort="price_asc", limit=2, cursor=result.next_cursor))
    assert nxt["search_after"] == [7.0, "b"]


def test_a_cursor_of_another_sort_or_not_ours_is_refused():
    cursor = encode_cursor(["price_asc", 5.0, "a"])
    for p in (params(sort="newest", cursor=cursor), params(cursor="bm9wZQ"), params(cursor=encode_cursor(["newest"])),
              params(sort="price_asc", cursor=encode_cursor(["price_asc", "cheap", "a"])),
              params(cursor=encode_cursor(["newest", 1.5, "a"]))):
        with pytest.raises(ValidationFailed):
            query.build_search(p)


def test_the_last_page_has_no_cursor():
    response = {"hits": {"total": {"value": 1}, "hits": [hit("a", [1, "a"])]}, "aggregations": empty_aggs()}
    assert query.read_search(params(limit=1), response).next_cursor is None


def test_facets_report_other_and_missing_so_they_add_up():
    aggs = empty_aggs()
    aggs["stage"] = {"buckets": [{"key": "lab", "doc_count": 2}], "sum_other_doc_count": 1}
    aggs["stage_missing"] = {"doc_count": 3}
    facets = query.read_facets(aggs)
    assert (facets.stage.buckets[0].count, facets.stage.other, facets.stage.missing) == (2, 1, 3)
    assert [b.key for b in facets.price.buckets][:2] == ["-100000", "100000-500000"]


def test_suggest_offers_only_listings_on_the_market():
    body = query.build_suggest(SuggestQuery(q="锂离"))
    assert body["suggest"]["catalogue"]["completion"]["contexts"] == {"status": ["published", "reserved", "sold"]}


def test_a_draft_has_no_document_and_a_demand_is_typed_demand():
    assert listing_document(snapshot(status="draft")) is None
    demand = listing_document(snapshot(kind="demand", patents=[], price=None, budget=Money(amount=Decimal("5"))))
    assert (demand["type"], demand["price_amount"], demand["price_kind"]) == ("demand", "5.00", "budget")


def test_a_document_holds_every_ipc_level_and_the_exact_price():
    doc = listing_document(snapshot())
    assert doc["ipc_section"] == ["H"] and doc["ipc_class"] == ["H01"] and doc["ipc_subclass"] == ["H01M"]
    assert doc["ipc_main_group"] == ["H01M 10/00", "H01M 4/00"]
    assert doc["ipc_group"] == ["H01M 10/0525", "H01M 4/525"]
    assert doc["patent_numbers"] == ["202310123456.6", "2023101234566"]
    assert (doc["price"], doc["price_amount"]) == (880000.5, "880000.50")
    assert doc["industry_levels"] == ["C", "C38", "C384"] and doc["region_levels"] == ["310000", "310100", "310115"]


def test_matches_look_for_the_counterpart_and_explain_themselves():
    supply = listing_document(snapshot())
    body = matching.build_matches(supply, 10)
    assert {"term": {"type": "demand"}} in body["query"]["bool"]["filter"]
    demand = listing_document(snapshot(listing_id="lst_2", kind="demand", patents=[], price=None,
                                       budget=Money(amount=Decimal("1000000")), region="310000"))
    why = matching.reasons(supply, demand, ["text", "industry", "region", "modes"])
    assert why == ["same industry C38", "text similarity", "same province 310000", "wants transfer",
                   "price 880000.50 within budget 1000000.00"]


def hit(doc_id: str, sort: list) -> dict:
    return {"_id": doc_id, "_score": None, "sort": sort,
            "_source": {"type": "listing", "id": doc_id, "title": doc_id, "status": "published"}}


def empty_aggs() -> dict:
    aggs = {}
    for name in query.TERM_FACETS:
        aggs[name] = {"buckets": [], "sum_other_doc_count": 0}
        aggs[f"{name}_missing"] = {"doc_count": 0}
    aggs["price"] = {"buckets": []}
    aggs["price_missing"] = {"doc_count": 0}
    return aggs
