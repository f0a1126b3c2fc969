"""Auctions' read models: listings (what may be auctioned, by whom) and organisations
(the winner's country, for export review)."""

from __future__ import annotations

import asyncpg

from events.consumer import Subscription
from events.envelope import CloudEvent
from events.registry import registered_types
from events.schemas.platform import OrgRegistered
from events.topics import Topic
from services.auctions import repository as repo


async def on_listing_changed(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    s = e.listing
    await repo.upsert_listing(conn, s.listing_id, s.owner_org_id, s.kind, s.status, s.title, list(s.modes),
                              event.sequence, s.model_dump(mode="json"))


async def on_org_registered(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.country)


LISTING_EVENTS = sorted(t for t in registered_types() if t.startswith("psm.listing."))

SUBSCRIPTIONS = [
    Subscription(name="auctions.listings", schema="auctions", topics=[Topic.LISTINGS],
                 handlers={t: on_listing_changed for t in LISTING_EVENTS}),
    Subscription(name="auctions.orgs", schema="auctions", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org_registered}),
]
