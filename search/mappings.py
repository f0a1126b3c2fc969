"""The catalogue index: its name, settings and mapping (DESIGN §6).

Every version of the index is named ``{prefix}-catalogue-v{MAPPING_VERSION}-{timestamp}``
and readers only ever use the alias ``{prefix}-catalogue``, so that a rebuild can fill a
new index while the old one answers, then swap the alias in one atomic step.

Chinese text is indexed twice: as CJK bigrams (``psm_cjk``: any two adjacent characters,
robust for terms no dictionary knows) and as words (``.words``, ``psm_smartcn``). A query
searches both, because neither alone finds 「锂离子电池正极材料」 for 「锂电池」 without also
finding everything with 电池 in it: the bigram 锂电 is not in the text, the words 锂 + 电池 are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# 2: auction documents; 3: open-licence terms; 4: roadshows; 5: pinyin type-ahead inputs. The
# mapping is strict: a deployment whose live index is older runs `psm catalogue rebuild` to
# move to the new one.
MAPPING_VERSION = 5

# Document types (the ``type`` field and the ``?type=`` filter).
TYPES = ("listing", "demand", "open_licence", "auction", "roadshow")


def read_alias(index_prefix: str) -> str:
    return f"{index_prefix}-catalogue"


def index_pattern(index_prefix: str) -> str:
    return f"{index_prefix}-catalogue-v*"


def new_index_name(index_prefix: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S%f")
    return f"{index_prefix}-catalogue-v{MAPPING_VERSION}-{stamp}"


def _text() -> dict[str, Any]:
    return {"type": "text", "analyzer": "psm_cjk",
            "fields": {"words": {"type": "text", "analyzer": "psm_smartcn"}}}


def _keyword_with_text() -> dict[str, Any]:
    return {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "psm_cjk"},
                                          "words": {"type": "text", "analyzer": "psm_smartcn"}}}


KEYWORD = {"type": "keyword"}

SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    # One replica wherever there is a second node to hold it; none on a one-node stack
    # (a replica that can never be assigned would only keep the cluster yellow).
    "auto_expand_replicas": "0-1",
    # Set explicitly: with the default, a shard that has not been searched for 30 s stops
    # refreshing until the next search, and publish → searchable could exceed 2 s. Half a
    # second, not the default second: a change waits for the next refresh, and the wait
    # was most of publish → searchable (p99 1.2 s at 1 s; bench/PROFILE.md). The cost is a
    # small segment per refresh while changes arrive, merged in the background.
    "refresh_interval": "500ms",
}

MAPPINGS: dict[str, Any] = {
    # A field the indexer does not know about is a bug, not something to guess a type for.
    "dynamic": "strict",
    "properties": {
        "type": KEYWORD,
        "id": KEYWORD,
        "title": _text(),
        "description": _text(),
        "abstracts": _text(),
        "patent_titles": _text(),
        "field": _keyword_with_text(),
        "tags": _keyword_with_text(),
        "owner_name": _keyword_with_text(),
        "applicants": _keyword_with_text(),
        "patent_ids": KEYWORD,
        # Both spellings of each number (202310123456.6 and 2023101234566).
        "patent_numbers": KEYWORD,
        # IPC at every level, so that ?ipc=H, H01, H01M, H01M 10/00 and H01M 10/0525 are
        # each one term filter (no prefix query over free text).
        "ipc": KEYWORD,
        "ipc_section": KEYWORD,
        "ipc_class": KEYWORD,
        "ipc_subclass": KEYWORD,
        "ipc_main_group": KEYWORD,
        "ipc_group": KEYWORD,
        # GB/T 4754 industry: the code as given, its division (facet) and every level (filter).
        "industry": KEYWORD,
        "industry_division": KEYWORD,
        "industry_levels": KEYWORD,
        # GB/T 2260 region: the code, its province (facet) and every level (filter).
        "region": KEYWORD,
        "region_province": KEYWORD,
        "region_levels": KEYWORD,
        "modes": KEYWORD,
        "stage": KEYWORD,
        "status": KEYWORD,
        "owner_kind": KEYWORD,
        "owner_org_id": KEYWORD,
        # ``price`` is for range filters, sorting and the histogram; the exact decimal
        # string the owner asked for travels in ``price_amount`` (kept, not indexed).
        "price": {"type": "double"},
        "price_amount": {"type": "keyword", "index": False, "doc_values": False},
        "currency": KEYWORD,
        "price_kind": KEYWORD,  # price (supply) or budget (demand)
        "negotiable": {"type": "boolean"},
        "open_licence": {"type": "boolean"},
        "published_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "ends_at": {"type": "date"},
        # type=auction: the lot's listing fields plus the auction's live state.
        "auction": {"dynamic": "strict", "properties": {
            "status": KEYWORD, "listing_id": KEYWORD, "bid_count": {"type": "integer"},
            "starts_at": {"type": "date"}, "reserve_met": {"type": "boolean"},
        }},
        # type=open_licence: the declared terms every licensee gets. Amounts and rates are
        # exact decimal strings (kept, not indexed); ``price`` carries the amount for ranges.
        "open_licence_terms": {"dynamic": "strict", "properties": {
            "patent_id": KEYWORD, "basis": KEYWORD,
            "rate_percent": {"type": "keyword", "index": False, "doc_values": False},
            "amount": {"type": "keyword", "index": False, "doc_values": False},
            "currency": KEYWORD, "payment_method": KEYWORD, "payment_schedule": KEYWORD,
            "term_years": {"type": "integer"}, "cnipa_announcement_no": KEYWORD,
        }},
        # type=roadshow: when and where, and the listings presented in which slot.
        "roadshow": {"dynamic": "strict", "properties": {
            "status": KEYWORD, "starts_at": {"type": "date"}, "mode": KEYWORD, "location": KEYWORD,
            "capacity": {"type": "integer"}, "listing_ids": KEYWORD,
            "slots": {"dynamic": "strict", "properties": {
                "listing_id": KEYWORD, "listing_title": {"type": "keyword", "index": False},
                "slot_starts_at": {"type": "date"}, "slot_ends_at": {"type": "date"},
            }},
        }},
        "suggest": {"type": "completion", "analyzer": "standard", "preserve_separators": False,
                    "contexts": [{"name": "type", "type": "category"},
                                 {"name": "status", "type": "category"}]},
    },
}
