"""Deals' read models — patents, listings and organisations (names and countries, for
export review and certificates) — and its reactions: the register's decisions on deals,
recordings and filings that complete them, and the completions of other channels
(auctions, open-licence licences) that get a transaction certificate too."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from events.consumer import BATCHED, Subscription, latest_by_subject
from events.envelope import CloudEvent
from events.registry import registered_types
from events.schemas.licences import LicenceFiled, LicenceGranted
from events.schemas.listings import PatentRegistered, PatentUpdated
from events.schemas.platform import OrgRegistered
from events.schemas.register import (
    PatentLegalStatusChanged, PatentTransferRecorded, PatentTransferred, ReservationGranted, ReservationRefused,
)
from events.topics import Topic
from services.deals import certificates, handlers
from services.deals import repository as repo


async def on_patents(conn: asyncpg.Connection, staged: Sequence[tuple[CloudEvent, object]]) -> None:
    """Patents registered or updated: each one's latest snapshot, one upsert."""
    await repo.upsert_patents(conn, [e.patent for _, e in latest_by_subject(staged)])


async def on_legal_status_changed(conn: asyncpg.Connection, event: CloudEvent, e: PatentLegalStatusChanged) -> None:
    await repo.upsert_patents(conn, [e.patent])
    if e.legal_status in ("lapsed", "expired", "invalidated"):
        await handlers.cancel_for_patent(conn, e.patent_id, e.legal_status)


async def on_patent_transferred(conn: asyncpg.Connection, event: CloudEvent, e: PatentTransferred) -> None:
    await repo.upsert_patents(conn, [e.patent])
    if e.reference.kind == "auction":
        await certificates.issue_for_auction(
            conn, auction_id=e.reference.id, patent=e.patent, seller=e.from_org_id, buyer=e.to_org_id,
            price=e.price.model_dump(mode="json") if e.price else None, transferred_at=e.transferred_at)


async def on_transfer_recorded(conn: asyncpg.Connection, event: CloudEvent, e: PatentTransferRecorded) -> None:
    if e.reference.kind == "deal":
        await handlers.on_recorded(conn, e.reference.id, e.patent_id)


async def on_listing(conn: asyncpg.Connection, event: CloudEvent, e) -> None:
    s = e.listing
    await repo.upsert_listing(conn, s.listing_id, s.kind, s.status, s.owner_org_id,
                              [p.patent_id for p in s.patents], list(s.modes))


async def on_reservation_decided(conn: asyncpg.Connection, event: CloudEvent,
                                 e: ReservationGranted | ReservationRefused) -> None:
    if e.kind == "deal":
        await handlers.on_reservation_decided(conn, e)


async def on_org_registered(conn: asyncpg.Connection, event: CloudEvent, e: OrgRegistered) -> None:
    await repo.upsert_org(conn, e.org_id, e.kind, e.name, e.country)


async def on_licence_granted(conn: asyncpg.Connection, event: CloudEvent, e: LicenceGranted) -> None:
    if e.deal_id is not None:
        await handlers.on_licence_granted(conn, e.deal_id, e.licence_id)
    elif e.open_licence_id is not None:
        (patent,) = await repo.get_patents(conn, [e.patent_id]) or (None,)
        await certificates.issue_for_open_licence(
            conn, licence_id=e.licence_id, declaration_id=e.open_licence_id, patent=patent,
            licensor=e.licensor_org_id, licensee=e.licensee_org_id,
            terms=e.terms.model_dump(mode="json", exclude_none=True) if e.terms else {},
            effective=e.effective_date.isoformat(), at=event.time)


async def on_licence_filed(conn: asyncpg.Connection, event: CloudEvent, e: LicenceFiled) -> None:
    if e.deal_id is not None:
        await handlers.on_recorded(conn, e.deal_id, e.patent_id)


LISTING_EVENTS = sorted(t for t in registered_types() if t.startswith("psm.listing."))

SUBSCRIPTIONS = [
    Subscription(name="deals.register", schema="deals", topics=[Topic.LISTINGS], handlers={
        PatentRegistered.TYPE: BATCHED,
        PatentUpdated.TYPE: BATCHED,
        PatentLegalStatusChanged.TYPE: on_legal_status_changed,
        PatentTransferred.TYPE: on_patent_transferred,
        PatentTransferRecorded.TYPE: on_transfer_recorded,
        ReservationGranted.TYPE: on_reservation_decided,
        ReservationRefused.TYPE: on_reservation_decided,
        **{t: on_listing for t in LISTING_EVENTS},
    }, on_batch=on_patents),
    Subscription(name="deals.orgs", schema="deals", topics=[Topic.PLATFORM],
                 handlers={OrgRegistered.TYPE: on_org_registered}),
    Subscription(name="deals.licences", schema="deals", topics=[Topic.LICENCES], handlers={
        LicenceGranted.TYPE: on_licence_granted,
        LicenceFiled.TYPE: on_licence_filed,
    }),
]
