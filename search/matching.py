"""Matching supply with demand (DESIGN §6, plan item 七: 精准对接), as catalogue queries.

Pure: builds the query for a listing's matches from its catalogue document, and says
why each match was found. A supply listing is matched with demands, a demand with
supply. Candidates must be on the market (published or reserved) and share text with
the listing (``more_like_this`` over title, description and patent texts) or agree on
industry or IPC; agreement on IPC, industry, region and mode ranks a candidate higher.
Each clause is named, so the hit says which ones it satisfied: those are its reasons.
"""

from __future__ import annotations

from typing import Any

MATCH_STATUSES = ("published", "reserved")
COUNTERPART = {"listing": "demand", "demand": "listing"}

SIMILAR_FIELDS = ("title", "title.words", "description", "description.words", "abstracts", "abstracts.words",
                  "patent_titles", "patent_titles.words", "field.text", "field.words")

SOURCE_FIELDS = ("type", "id", "title", "description", "abstracts", "patent_titles", "field", "status",
                 "ipc_group", "ipc_subclass", "ipc_class", "industry", "industry_division", "industry_levels",
                 "region", "region_province", "modes", "price", "price_amount", "currency", "price_kind")

# clause name → (boost, field of the candidate, field of the listing)
AGREEMENT = (
    ("ipc_group", 3.0, "ipc_group", "ipc_group"),
    ("ipc_subclass", 4.0, "ipc_subclass", "ipc_subclass"),
    ("ipc_class", 2.0, "ipc_class", "ipc_class"),
    ("industry", 4.0, "industry_division", "industry_division"),
    ("industry_section", 1.0, "industry_levels", None),
    ("region", 1.5, "region_province", "region_province"),
    ("modes", 1.0, "modes", "modes"),
)


def _values(doc: dict[str, Any], field: str | None) -> list[str]:
    if field is None:
        return []
    v = doc.get(field)
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def counterpart(doc: dict[str, Any]) -> str | None:
    return COUNTERPART.get(doc.get("type", ""))


def _like_text(doc: dict[str, Any]) -> list[str]:
    texts = [doc.get("title") or "", doc.get("description") or "", doc.get("field") or ""]
    texts += list(doc.get("patent_titles") or []) + list(doc.get("abstracts") or [])
    return [t for t in texts if t.strip()]


ESSENTIAL = ("text", "ipc_group", "ipc_subclass", "ipc_class", "industry")


def build_matches(doc: dict[str, Any], limit: int) -> dict[str, Any]:
    """Keyword arguments for ``AsyncElasticsearch.search``: the listing's counterparts, best first."""
    essential: list[dict[str, Any]] = []  # at least one must hold: text, IPC or industry in common
    extra: list[dict[str, Any]] = []  # only rank higher: same industry section, province, mode
    like = _like_text(doc)
    if like:
        essential.append({"more_like_this": {
            "fields": list(SIMILAR_FIELDS), "like": like, "min_term_freq": 1, "min_doc_freq": 1,
            "max_query_terms": 40, "minimum_should_match": "20%", "boost": 2.0, "_name": "text",
        }})
    for name, boost, field, own in AGREEMENT:
        values = _values(doc, own) if own else [v for v in _values(doc, "industry_levels") if len(v) == 1]
        if values:
            clause = {"terms": {field: values, "boost": boost, "_name": name}}
            (essential if name in ESSENTIAL else extra).append(clause)
    return {
        "query": {"bool": {
            "filter": [{"term": {"type": counterpart(doc)}}, {"terms": {"status": list(MATCH_STATUSES)}}],
            "must_not": [{"ids": {"values": [doc["id"]]}}],
            "must": [{"bool": {"should": essential, "minimum_should_match": 1}} if essential else {"match_none": {}}],
            "should": extra,
        }},
        "size": limit,
        "sort": [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}],
        "source_includes": list(SOURCE_FIELDS) + ["owner_org_id", "owner_name", "owner_kind", "negotiable", "ipc",
                                                  "patent_numbers", "open_licence", "published_at", "updated_at",
                                                  "ends_at", "stage"],
    }


def reasons(doc: dict[str, Any], candidate: dict[str, Any], matched: list[str]) -> list[str]:
    """Why ``candidate`` matches ``doc``, most telling first, from the clauses it matched."""
    out: list[str] = []

    def shared(field: str) -> list[str]:
        mine = set(_values(doc, field))
        return [v for v in _values(candidate, field) if v in mine]

    if "ipc_group" in matched and (g := shared("ipc_group")):
        out.append(f"same IPC group {', '.join(g)}")
    elif "ipc_subclass" in matched and (g := shared("ipc_subclass")):
        out.append(f"same IPC subclass {', '.join(g)}")
    elif "ipc_class" in matched and (g := shared("ipc_class")):
        out.append(f"same IPC class {', '.join(g)}")
    if "industry" in matched and (i := shared("industry_division")):
        out.append(f"same industry {', '.join(i)}")
    elif "industry_section" in matched and (i := [v for v in shared("industry_levels") if len(v) == 1]):
        out.append(f"same industry section {', '.join(i)}")
    if "text" in matched:
        out.append("text similarity")
    if "region" in matched and (r := shared("region_province")):
        out.append(f"same province {', '.join(r)}")
    if "modes" in matched and (m := shared("modes")):
        out.append(f"wants {', '.join(m)}" if doc.get("type") == "listing" else f"offers {', '.join(m)}")
    supply, demand = (doc, candidate) if doc.get("type") == "listing" else (candidate, doc)
    price, budget = supply.get("price"), demand.get("price")
    if price is not None and budget is not None and supply.get("currency") == demand.get("currency") \
            and price <= budget:
        out.append(f"price {supply.get('price_amount')} within budget {demand.get('price_amount')}")
    return out
