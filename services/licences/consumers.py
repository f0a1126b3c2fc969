"""Licences' reactions to the patent register: its decisions on declarations, and the
patent facts declarations follow (owner, legal status, term). The register decides;
this context keeps the patent's snapshot only to describe and date what it grants.

The consumer framework applies each aggregate's events in order and once, so these
handlers simply apply the latest fact.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from events.consumer import BATCHED, Subscription, latest_by_subject
from events.envelope import CloudEvent
from events.schemas.deals import DealPaid
from events.schemas.listings import PatentRegistered, PatentUpdated
from events.schemas.platform import OrgRegistered
from events.schemas.register import (
    PatentLegalStatusChanged, PatentTransferred, ReservationGranted, ReservationRefused,
)
from events.topics import Topic
from services.licences import handlers
from services.licences import repository as repo


async def on_patents(conn: asyncpg.Connection, staged: Sequence[tuple[CloudEvent, PatentRegistered | PatentUpdated]]
                     ) -> None:
    """Patents registered or updated: each one's latest snapshot, one upsert."""
    await repo.upsert_patents(conn, [e.patent for _, e in latest_by_subject(staged)])


async def on_patent_transferred(conn: asyncpg.Connection, event: CloudEvent, e: PatentTransferred) -> None:
    await repo.upsert_patents(conn, [e.patent])
    await handlers.on_patent_changed(conn, e.patent_id, e.patent.legal_status, transferred=True)


async def on_legal_status_changed(conn: asyncpg.Connection, event: CloudEvent, e: PatentLegalStatusChanged) -> None:
    await repo.upsert_patents(conn, [e.patent])
    await handlers.on_patent_changed(conn, e.patent_id, e.legal_status, transferred=False)


async def on_reservation_decided(conn: asyncpg.Connection, event: CloudEvent,
                                 e: ReservationGranted | ReservationRefused) -> None:
    if e.kind == "open_licence":
        await handlers.on_reservation_decided(conn, e)


async def on_org_registered(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.name, e.country)


async def on_deal_paid(conn: asyncpg.Connection, event: CloudEvent, e: DealPaid) -> None:
    if e.deal.kind in ("exclusive_licence", "sole_licence", "ordinary_licence"):
        await handlers.grant_for_deal(conn, e)


SUBSCRIPTIONS = [
    Subscription(name="licences.register", schema="licences", topics=[Topic.LISTINGS], handlers={
        PatentRegistered.TYPE: BATCHED,
        PatentUpdated.TYPE: BATCHED,
        PatentTransferred.TYPE: on_patent_transferred,
        PatentLegalStatusChanged.TYPE: on_legal_status_changed,
        ReservationGranted.TYPE: on_reservation_decided,
        ReservationRefused.TYPE: on_reservation_decided,
    }, on_batch=on_patents),
    Subscription(name="licences.orgs", schema="licences", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org_registered}),
    Subscription(name="licences.deals", schema="licences", topics=[Topic.DEALS],
                 handlers={DealPaid.TYPE: on_deal_paid}),
]
