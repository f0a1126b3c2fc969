"""The Elasticsearch client every process makes the same way."""

from __future__ import annotations

from elasticsearch import AsyncElasticsearch
from elasticsearch.serializer import OrjsonSerializer


def elasticsearch_client(url: str, *, request_timeout: float, **options) -> AsyncElasticsearch:
    """A client whose JSON is read and written by orjson: decoding search answers with the
    standard library's json was a quarter of push matching's time (a few hundred hits with
    their sources per listing; bench/PROFILE.md, issue 18)."""
    return AsyncElasticsearch(url, request_timeout=request_timeout, serializer=OrjsonSerializer(), **options)
