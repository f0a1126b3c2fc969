"""The search context as a ServiceModule: schema ``search`` (its consumer records and the
catalogue's index versions), the catalogue routes, and the indexer."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from search.api import api
from search.indexer import catalogue_subscription
from search.indices import ensure_catalogue
from services.runtime.http.state import DB, ES, SETTINGS
from services.runtime.module import Resources, ServiceModule


async def create_catalogue(app: web.Application) -> None:
    """The catalogue index exists (and the table agrees) before the indexer starts."""
    await ensure_catalogue(app[DB], app[ES], app[SETTINGS].index_prefix)


def indexer(r: Resources) -> list:
    """The catalogue's consumer: its handlers write with this process's Elasticsearch client."""
    return [catalogue_subscription(r.es, r.settings.index_prefix)]


MODULE = ServiceModule(name="search", schema="search", migrations=Path(__file__).parent / "migrations", api=api,
                       on_startup=create_catalogue, subscriptions_from=indexer)
