"""The catalogue search, as Elasticsearch request bodies and readers of their answers.

Pure: no I/O, nothing from the Elasticsearch client. ``build_search`` turns a
``SearchQuery`` into the keyword arguments of ``AsyncElasticsearch.search``;
``read_search`` turns the answer into the API's ``SearchResult``.

* Full text searches every text field twice, as CJK bigrams and as smartcn words
  (search.mappings), with field boosts: title ≫ patent titles > abstracts, field, tags >
  description > owner and applicants. Each field's clause needs most of its terms
  (``2<75%``); the words sub-field is what lets 「锂电池」 (锂 + 电池) find
  「锂离子电池正极材料」, whose bigrams lack 锂电.
* Filters are ANDed between names and ORed within one (``?mode=transfer,equity``), and
  all of them narrow the facets too, so a facet whose field has one value per document
  adds up to ``total`` (with its ``other`` and ``missing`` counts).
* Pagination is ``search_after`` on the sort's values with the id as the last key, so
  ties never repeat or skip an item; the cursor also names the sort it belongs to.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from search.documents import VISIBLE_STATUSES, number_spellings
from search.models import (
    Bucket, CatalogueItem, Facet, Facets, PriceBucket, PriceFacet, SearchQuery, SearchResult, Suggestion, Suggestions,
    SuggestQuery, ipc_filter_term,
)
from search import highlight
from search.pinyin import has_chinese
from search.vocabulary import Group, Reading, Vocabulary
from services.runtime.http.pagination import decode_cursor, encode_cursor

# (field, boost): each is searched as bigrams and as words.
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 5), ("patent_titles", 3), ("abstracts", 2), ("field.text", 2), ("tags.text", 2),
    ("description", 1), ("owner_name.text", 1), ("applicants.text", 1),
)
HIGHLIGHT_SOURCE = ("abstracts", "patent_titles")  # read for highlighting, not shown
TEXT_MINIMUM_MATCH = "2<75%"
IPC_BOOST = 3.0  # a document in a class the query names (search.vocabulary) ranks higher …
IPC_MATCH_SCORE = 0.5  # … and, in a group the query names, matches (low) when its words differ
IPC_FIELDS = ("ipc_class", "ipc_subclass", "ipc_main_group", "ipc_group")
IPC_MATCH_FIELDS = ("ipc_main_group", "ipc_group")  # a class or subclass is too wide to match by
COORDINATION_BOOST = 1.0  # every part of the query in one document
TERM_SUGGESTIONS = 3  # vocabulary terms at the head of a type-ahead answer
REST_MINIMUM_MATCH = "1<50%"
PHRASE_SLOP, PHRASE_BOOST = 3, 2.0  # a query's words close together in a document

SORTS: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": {"order": "desc"}}, {"published_at": {"order": "desc", "missing": "_last"}},
                  {"id": {"order": "asc"}}],
    "newest": [{"published_at": {"order": "desc", "missing": "_last"}}, {"id": {"order": "asc"}}],
    "price_asc": [{"price": {"order": "asc", "missing": "_last"}}, {"id": {"order": "asc"}}],
    "price_desc": [{"price": {"order": "desc", "missing": "_last"}}, {"id": {"order": "asc"}}],
    "ending_soon": [{"ends_at": {"order": "asc", "missing": "_last"}},
                    {"published_at": {"order": "desc", "missing": "_last"}}, {"id": {"order": "asc"}}],
}

# Price bands (CNY-sized): below 100k, 100k–500k, ... 50M and more.
PRICE_EDGES = (Decimal(100_000), Decimal(500_000), Decimal(1_000_000), Decimal(5_000_000), Decimal(10_000_000),
               Decimal(50_000_000))

# facet name → (field, buckets asked for)
TERM_FACETS: dict[str, tuple[str, int]] = {
    "type": ("type", 10), "status": ("status", 10), "stage": ("stage", 10), "owner_kind": ("owner_kind", 10),
    "industry": ("industry_division", 50), "region": ("region_province", 40), "mode": ("modes", 10),
    "ipc_section": ("ipc_section", 10), "ipc_class": ("ipc_class", 50),
}

ITEM_SOURCE = ("type", "id", "title", "status", "description", "owner_org_id", "owner_name", "owner_kind", "industry",
               "field", "region", "modes", "stage", "price_amount", "currency", "negotiable", "ipc",
               "patent_numbers", "open_licence", "published_at", "updated_at", "ends_at", "auction",
               "open_licence_terms", "roadshow")

DESCRIPTION_CHARS = 200


# -- the query ---------------------------------------------------------------------------
def text_fields() -> list[str]:
    out = []
    for name, boost in TEXT_FIELDS:
        base = name.removesuffix(".text")
        out += [f"{name}^{boost:g}", f"{base}.words^{boost:g}"]
    return out


_NUMBER = re.compile(r"^(ZL)?\d{8,12}\.?[\dX]$", re.IGNORECASE)


# A phrase on CJK bigrams is the characters in a row, and a Latin word is a token in both
# analyses: the bigram fields alone find a concept's terms (the words fields would double
# the clauses for nothing).
CONCEPT_FIELDS = [f"{name}^{boost:g}" for name, boost in TEXT_FIELDS]


def _free_text(text: str, minimum: str = TEXT_MINIMUM_MATCH) -> dict[str, Any]:
    return {"multi_match": {"query": text, "type": "most_fields", "fields": text_fields(),
                            "minimum_should_match": minimum}}


def _concept(group: Group) -> dict[str, Any]:
    """Any term of a vocabulary group, each as a phrase (on bigrams: the characters in a
    row; on words: the words in a row), in the best field."""
    return {"dis_max": {"tie_breaker": 0.1, "queries": [
        {"multi_match": {"query": term, "type": "phrase", "fields": CONCEPT_FIELDS}} for term in group.terms]}}


def _ipc(reading: Reading, fields: tuple[str, ...] = IPC_FIELDS) -> dict[str, Any] | None:
    terms = [{"terms": {f: codes}} for f, codes in reading.ipc.items() if f in fields]
    return {"bool": {"should": terms, "minimum_should_match": 1}} if terms else None


def text_query(q: str, reading: Reading) -> dict[str, Any]:
    """What must match, and how it scores.

    The query read with the vocabulary: each concept it names matches by any of its
    terms; the words left match as free text (half of them: what is left of a typed need
    is loose); the query as typed matches too, as before any vocabulary. A document with
    every part scores a coordination bonus; one in an IPC group the concepts name
    matches (at a low score) even when its words differ; see ``preferences`` for what
    only ranks."""
    parts: list[dict[str, Any]] = [_concept(g) for g in reading.concepts]
    if reading.rest:
        parts.append(_free_text(reading.rest, REST_MINIMUM_MATCH) if reading.concepts else _free_text(reading.rest))
    should: list[dict[str, Any]] = [_free_text(q), *parts]
    if len(parts) > 1:
        should.append({"bool": {"must": parts, "boost": COORDINATION_BOOST}})
    ipc = _ipc(reading, IPC_MATCH_FIELDS)
    if ipc is not None:
        should.append({"constant_score": {"filter": ipc, "boost": IPC_MATCH_SCORE}})
    compact = q.replace(" ", "")
    if _NUMBER.match(compact):
        # A patent number typed into the search box finds its listing, in either spelling.
        should.append({"terms": {"patent_numbers": number_spellings(compact.upper()), "boost": 20}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def preferences(q: str, reading: Reading) -> list[dict[str, Any]]:
    """What only ranks (never makes a document match): the IPC classes the query's
    concepts name, and its words close together (a need in several words)."""
    out: list[dict[str, Any]] = []
    ipc = _ipc(reading)
    if ipc is not None:
        out.append({"constant_score": {"filter": ipc, "boost": IPC_BOOST}})
    if len(q.split()) > 1:
        out.append({"multi_match": {"query": q, "type": "phrase", "slop": PHRASE_SLOP,
                                    "fields": [f for f in text_fields() if ".words" in f], "boost": PHRASE_BOOST}})
    return out


def filters(p: SearchQuery) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"terms": {"status": p.status or list(VISIBLE_STATUSES)}}]
    for field, values in (("type", p.type), ("modes", p.mode), ("stage", p.stage), ("owner_kind", p.owner_kind),
                          ("industry_levels", p.industry), ("region_levels", p.region)):
        if values:
            out.append({"terms": {field: values}})
    if p.ipc:
        terms = [ipc_filter_term(v) for v in p.ipc]
        out.append({"bool": {"should": [{"term": {f: v}} for f, v in terms], "minimum_should_match": 1}})
    if p.open_licence is not None:
        out.append({"term": {"open_licence": p.open_licence}})
    if p.price_min is not None or p.price_max is not None:
        bounds = {}
        if p.price_min is not None:
            bounds["gte"] = float(p.price_min)
        if p.price_max is not None:
            bounds["lte"] = float(p.price_max)
        out.append({"range": {"price": bounds}})
    return out


def aggregations() -> dict[str, Any]:
    aggs: dict[str, Any] = {}
    for name, (field, size) in TERM_FACETS.items():
        aggs[name] = {"terms": {"field": field, "size": size}}
        aggs[f"{name}_missing"] = {"missing": {"field": field}}
    ranges = [{"key": _band_key(lo, hi), **({"from": float(lo)} if lo is not None else {}),
               **({"to": float(hi)} if hi is not None else {})} for lo, hi in _bands()]
    aggs["price"] = {"range": {"field": "price", "ranges": ranges}}
    aggs["price_missing"] = {"missing": {"field": "price"}}
    return aggs


def _bands() -> list[tuple[Decimal | None, Decimal | None]]:
    edges: list[Decimal | None] = [None, *PRICE_EDGES, None]
    return list(zip(edges[:-1], edges[1:]))


def _band_key(lo: Decimal | None, hi: Decimal | None) -> str:
    return f"{'' if lo is None else lo}-{'' if hi is None else hi}"


def _number(v: Any) -> bool:
    # A missing price sorts as ±Infinity, which Elasticsearch writes as a string.
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or v in ("Infinity", "-Infinity")


def _millis(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_SORT_VALUE = {"_score": _number, "price": _number, "published_at": _millis, "ends_at": _millis,
               "id": lambda v: isinstance(v, str)}


def effective_sort(p: SearchQuery) -> str:
    """Relevance needs a query; without one, the newest come first."""
    return "newest" if p.sort == "relevance" and not p.q else p.sort


def cursor_position(p: SearchQuery) -> list[Any] | None:
    """The ``search_after`` values a cursor stands for (422 if it was made for another sort)."""
    sort = effective_sort(p)

    def read(value: list[Any]) -> list[Any]:
        if value[0] != sort or len(value) != len(SORTS[sort]) + 1:
            raise ValueError("cursor of another sort")
        for key, v in zip(SORTS[sort], value[1:]):
            if not _SORT_VALUE[next(iter(key))](v):
                raise ValueError("not a position")  # would be a 400 from Elasticsearch, so a 500 here
        return value[1:]

    return decode_cursor(p.cursor, read)


def build_search(p: SearchQuery, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """Keyword arguments for ``AsyncElasticsearch.search`` (index not included)."""
    query: dict[str, Any] = {"bool": {"filter": filters(p)}}
    body: dict[str, Any] = {
        "query": query, "aggs": aggregations(), "sort": SORTS[effective_sort(p)],
        # One more than asked: whether it comes back says if there is a next page.
        "size": p.limit + 1, "track_total_hits": True, "source_includes": list(ITEM_SOURCE),
    }
    if p.q:
        reading = (vocabulary or Vocabulary.current()).read(p.q)
        query["bool"]["must"] = [text_query(p.q, reading)]
        query["bool"]["should"] = preferences(p.q, reading)
        body["source_includes"] = [*ITEM_SOURCE, *HIGHLIGHT_SOURCE]  # marked here (search.highlight)
    position = cursor_position(p)
    if position is not None:
        body["search_after"] = position
    return body


# -- reading the answer ------------------------------------------------------------------
def highlights(src: dict[str, Any], marks: tuple[list[str], list[str]]) -> dict[str, list[str]]:
    """The marked title (whole) and fragments of the other texts of a hit's source."""
    out: dict[str, list[str]] = {}
    title = highlight.whole(src.get("title") or "", *marks)
    if title is not None:
        out["title"] = [title]
    for name in ("patent_titles", "abstracts", "description"):
        value = src.get(name)
        found = highlight.fragments([value] if isinstance(value, str) else list(value or ()), *marks)
        if found:
            out[name] = found
    return out


def item_of(hit: dict[str, Any], item_type: type[CatalogueItem] = CatalogueItem,
            marks: tuple[list[str], list[str]] | None = None, **extra) -> CatalogueItem:
    src = hit.get("_source", {})
    amount, currency = src.get("price_amount"), src.get("currency")
    description = src.get("description") or ""
    return item_type(
        type=src["type"], id=src["id"], title=src["title"], status=src["status"],
        highlight=highlights(src, marks) if marks else {},
        description=description[:DESCRIPTION_CHARS],
        owner_org_id=src.get("owner_org_id"), owner_name=src.get("owner_name"), owner_kind=src.get("owner_kind"),
        industry=src.get("industry"), field=src.get("field"), region=src.get("region"),
        modes=src.get("modes") or [], stage=src.get("stage"),
        price={"amount": amount, "currency": currency} if amount is not None else None,
        negotiable=bool(src.get("negotiable")), ipc=src.get("ipc") or [],
        patent_numbers=[n for n in src.get("patent_numbers") or [] if "." in n or not n.isdigit()],
        open_licence=bool(src.get("open_licence")), published_at=src.get("published_at"),
        updated_at=src.get("updated_at"), ends_at=src.get("ends_at"), auction=src.get("auction"),
        open_licence_terms=src.get("open_licence_terms"), roadshow=src.get("roadshow"), score=hit.get("_score"), **extra,
    )


def _facet(aggs: dict[str, Any], name: str) -> Facet:
    terms = aggs[name]
    return Facet(buckets=[Bucket(value=str(b["key"]), count=b["doc_count"]) for b in terms["buckets"]],
                 other=terms.get("sum_other_doc_count", 0), missing=aggs[f"{name}_missing"]["doc_count"])


def read_facets(aggs: dict[str, Any]) -> Facets:
    counts = {b["key"]: b["doc_count"] for b in aggs["price"]["buckets"]}
    bands = [PriceBucket(key=_band_key(lo, hi), gte=lo, lt=hi, count=counts.get(_band_key(lo, hi), 0))
             for lo, hi in _bands()]
    price = PriceFacet(buckets=bands, missing=aggs["price_missing"]["doc_count"])
    return Facets(**{name: _facet(aggs, name) for name in TERM_FACETS}, price=price)


def read_search(p: SearchQuery, response: dict[str, Any], vocabulary: Vocabulary | None = None) -> SearchResult:
    hits = response["hits"]["hits"]
    page, more = hits[:p.limit], len(hits) > p.limit
    next_cursor = encode_cursor([effective_sort(p), *page[-1]["sort"]]) if more and page else None
    marks = highlight.needles(p.q, (vocabulary or Vocabulary.current()).read(p.q)) if p.q else None
    return SearchResult(total=response["hits"]["total"]["value"], items=[item_of(h, marks=marks) for h in page],
                        facets=read_facets(response["aggregations"]), next_cursor=next_cursor)


# -- type-ahead --------------------------------------------------------------------------
def build_suggest(p: SuggestQuery) -> dict[str, Any]:
    contexts: dict[str, list[str]] = {"status": list(VISIBLE_STATUSES)}
    completion: dict[str, Any] = {"field": "suggest", "size": p.limit, "skip_duplicates": True,
                                  "contexts": contexts}
    if p.type:
        # Both contexts in one suggester would match either (OR): filter types on the way out.
        completion["size"] = p.limit * 3
    return {"suggest": {"catalogue": {"prefix": p.q, "completion": completion}},
            "source_includes": ["type", "id", "title"], "size": 0}


def read_suggest(p: SuggestQuery, response: dict[str, Any], vocabulary: Vocabulary | None = None) -> Suggestions:
    """The vocabulary's terms first (a few, when no type is asked for), then documents. A
    document found by its pinyin shows its title (the input that matched is the pinyin)."""
    terms = [] if p.type or vocabulary is None else [
        Suggestion(text=t, type="term") for t in vocabulary.suggestions(p.q, min(TERM_SUGGESTIONS, p.limit))]
    options = response["suggest"]["catalogue"][0]["options"]
    docs = [Suggestion(text=o["text"] if has_chinese(o["text"]) or not has_chinese(o["_source"].get("title", ""))
                       else o["_source"]["title"], type=o["_source"]["type"], id=o["_source"]["id"])
            for o in options if not p.type or o["_source"]["type"] in p.type]
    shown = {t.text for t in terms}
    return Suggestions(items=[*terms, *(d for d in docs if d.text not in shown)][:p.limit])
