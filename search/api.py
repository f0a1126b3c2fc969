"""Catalogue routes (DESIGN §6): search, type-ahead and supply/demand matches.

Every authenticated organisation may search: the catalogue holds only what owners
published (drafts are never indexed), so there is nothing in it to hide from a member.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError, TransportError

from search import matching, query
from search.mappings import read_alias
from search.vocabulary import PATH as VOCABULARY
from search.vocabulary import Vocabulary
from search.models import Match, Matches, MatchesQuery, SearchQuery, SearchResult, SuggestQuery, Suggestions
from services.runtime.access import ANY_ORG
from events.outages import OUTAGES
from services.runtime.errors import DependencyUnavailable, NotFound
from services.runtime.http.api import Api, Ctx
from services.runtime.http.state import ES


# The catalogue is eventually consistent by design (publish → searchable ≤ 2 s, DESIGN §6):
# its reads do not wait for the indexer.
api = Api("search", fresh=False)


class CatalogueUnavailable(DependencyUnavailable):
    default_rule = "catalogue-unavailable"


def _away(what: str, error: Exception) -> CatalogueUnavailable:
    """Elasticsearch is away: said once for the whole outage (events/outages.py), and a 503."""
    OUTAGES.failed("elasticsearch", f"{what}: {error!r}")
    return CatalogueUnavailable("the catalogue cannot be searched right now; try again shortly")


def _unavailable(e: Exception) -> bool:
    # The catalogue is a derived read model: while Elasticsearch is away (or overloaded)
    # the rest of the marketplace keeps working, and a 503 says so. A 4xx from it means
    # this code built a bad request: that stays a 500.
    return isinstance(e, TransportError) or (isinstance(e, ApiError) and (e.status_code >= 500 or e.status_code == 429))


async def _search(ctx: Ctx, **body: Any) -> dict[str, Any]:
    es: AsyncElasticsearch = ctx.app[ES]
    try:
        response = await es.search(index=read_alias(ctx.settings.index_prefix), **body)
    except (TransportError, ApiError) as e:
        if not _unavailable(e):
            raise
        raise _away("a catalogue search", e) from None
    OUTAGES.answered("elasticsearch")
    return response.body


@api.get("/v1/catalogue/search", query=SearchQuery, response=SearchResult, allow=ANY_ORG, errors=(503,),
         summary="Search the catalogue: full text, filters, facets, cursor pages")
async def search_catalogue(ctx: Ctx) -> SearchResult:
    q: SearchQuery = ctx.query
    vocabulary = Vocabulary.current(ctx.settings.vocabulary_path or VOCABULARY)
    return query.read_search(q, await _search(ctx, **query.build_search(q, vocabulary)), vocabulary)


@api.get("/v1/catalogue/suggest", query=SuggestQuery, response=Suggestions, allow=ANY_ORG, errors=(503,),
         summary="Type-ahead: vocabulary terms and titles starting with what was typed, in characters, pinyin "
                 "or pinyin initials")
async def suggest(ctx: Ctx) -> Suggestions:
    q: SuggestQuery = ctx.query
    vocabulary = Vocabulary.current(ctx.settings.vocabulary_path or VOCABULARY)
    return query.read_suggest(q, await _search(ctx, **query.build_suggest(q)), vocabulary)


@api.get("/v1/listings/{id}/matches", query=MatchesQuery, response=Matches, allow=ANY_ORG, errors=(404, 503),
         summary="Demands for a supply listing, or supply for a demand, best first, each with its reasons")
async def listing_matches(ctx: Ctx) -> Matches:
    listing_id = ctx.path["id"]
    es: AsyncElasticsearch = ctx.app[ES]
    try:
        found = await es.get(index=read_alias(ctx.settings.index_prefix), id=listing_id,
                             source_includes=list(matching.SOURCE_FIELDS))
    except NotFoundError:
        found = None
    except (TransportError, ApiError) as e:
        if not _unavailable(e):
            raise
        raise _away("a catalogue lookup", e) from None
    doc = found.body["_source"] if found is not None else None
    if doc is None or matching.counterpart(doc) is None:
        raise NotFound(f"no listing {listing_id} in the catalogue (drafts are not matched)")
    q: MatchesQuery = ctx.query
    response = await _search(ctx, **matching.build_matches(doc, q.limit))
    items = [query.item_of(hit, Match, reasons=matching.reasons(doc, hit["_source"], hit.get("matched_queries", [])))
             for hit in response["hits"]["hits"]]
    return Matches(listing_id=listing_id, items=items)
