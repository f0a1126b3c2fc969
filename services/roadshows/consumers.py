"""Roadshows' read model of listings (kind, status, owner, title), from listing events.

Every listing event carries the whole snapshot and the consumer framework applies a
listing's events in order and once, so the handler simply keeps the latest.
"""

from __future__ import annotations

import asyncpg

from events.consumer import Subscription
from events.envelope import CloudEvent
from events.registry import registered_types
from events.topics import Topic
from services.roadshows import repository as repo


async def on_listing(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    s = e.listing
    await repo.upsert_listing(conn, s.listing_id, s.kind, s.status, s.owner_org_id, s.title)


LISTING_EVENTS = sorted(t for t in registered_types() if t.startswith("psm.listing."))

SUBSCRIPTIONS = [
    Subscription(name="roadshows.listings", schema="roadshows", topics=[Topic.LISTINGS],
                 handlers={t: on_listing for t in LISTING_EVENTS}),
]
