"""The indexer: listing events → catalogue documents, with external versioning.

Each document is written with ``version=event.sequence, version_type="external"``, so
Elasticsearch keeps a document only if its version is higher than the one it holds:
a duplicate (same sequence) or a late event (lower sequence) is refused with a version
conflict, which here means "already newer", and never rolls a document back. That is
what lets the live indexer and a rebuild's replay write the same index in any order.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
from aiohttp import web
from elasticsearch import AsyncElasticsearch, ConflictError

from events.consumer import EventConsumer, Subscription
from events.envelope import CloudEvent
from events.schemas.listings import (
    ListingDrafted, ListingExpired, ListingPublished, ListingReleased, ListingReserved, ListingSnapshot,
    ListingSold, ListingUpdated, ListingWithdrawn,
)
from events.topics import Topic
from search.documents import listing_document
from search.indices import write_targets
from search.mappings import read_alias
from services.http import ops
from services.http.state import DB, ES, PRODUCER, SETTINGS

LISTING_EVENTS = tuple(t.TYPE for t in (ListingDrafted, ListingUpdated, ListingPublished, ListingWithdrawn,
                                        ListingReserved, ListingReleased, ListingSold, ListingExpired))

SUBSCRIPTION_NAME = "search.catalogue"


async def index_listing(es: AsyncElasticsearch, indices: Iterable[str], sequence: int,
                        snapshot: ListingSnapshot) -> None:
    """Write the listing's document at version ``sequence`` to every index in ``indices``."""
    doc = listing_document(snapshot)
    if doc is None:
        # A draft: not searchable. Nothing is written, so neither can a late draft event
        # replace a published document (a listing never returns to draft).
        return
    for index in indices:
        try:
            await es.index(index=index, id=doc["id"], document=doc, version=sequence, version_type="external")
        except ConflictError:
            pass  # the index already holds this version or a newer one


def catalogue_subscription(es: AsyncElasticsearch, index_prefix: str) -> Subscription:
    alias = read_alias(index_prefix)

    async def on_listing_event(conn: asyncpg.Connection, event: CloudEvent, payload) -> None:
        # The targets are read (and share-locked) in the consumer's transaction: see
        # search.indices.write_targets and the rebuild's swap.
        await index_listing(es, await write_targets(conn, alias), event.sequence, payload.listing)

    # Elasticsearch being restarted must not send events to the DLQ: about 100 s of
    # back-off (0.1 s doubling, 10 tries) before an event is given up on.
    return Subscription(name=SUBSCRIPTION_NAME, schema="search", topics=[Topic.LISTINGS],
                        handlers={t: on_listing_event for t in LISTING_EVENTS}, max_attempts=10, retry_base_s=0.1)


class CatalogueIndexer:
    """Runs the catalogue's event consumer for the app's lifetime (a module worker).

    A worker rather than a static ``ServiceModule.subscriptions`` entry because its
    handler needs the app's Elasticsearch client and index prefix, which exist only
    once the app is up.
    """

    def __init__(self, app: web.Application) -> None:
        self.app = app

    async def run(self) -> None:
        s = self.app[SETTINGS]
        consumer = EventConsumer(catalogue_subscription(self.app[ES], s.index_prefix), pool=self.app[DB],
                                 kafka_bootstrap=s.kafka_bootstrap, topic_prefix=s.topic_prefix,
                                 producer=self.app[PRODUCER])
        self.app[ops.CONSUMERS].append(consumer)  # its lag and DLQ count in /metrics
        try:
            await consumer.run()
        finally:
            self.app[ops.CONSUMERS].remove(consumer)
