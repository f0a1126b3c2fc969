"""The indexer: listing, auction, open-licence and roadshow events → catalogue documents, with external versioning.

Each document is written with ``version=event.sequence, version_type="external"``, so
Elasticsearch keeps a document only if its version is higher than the one it holds:
a duplicate (same sequence) or a late event (lower sequence) is refused with a version
conflict, which here means "already newer", and never rolls a document back. That is
what lets the live indexer and a rebuild's replay write the same index in any order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from elasticsearch import AsyncElasticsearch, ConflictError

from events.consumer import BATCHED, Subscription
from events.envelope import CloudEvent
from events.schemas.listings import (
    ListingDrafted, ListingExpired, ListingPublished, ListingReleased, ListingReserved, ListingSnapshot,
    ListingSold, ListingUpdated, ListingWithdrawn,
)
from events.schemas.auctions import (
    AuctionClosed, AuctionDefaulted, AuctionExtended, AuctionOpened, AuctionScheduled, AuctionSettled, BidAccepted,
    ExportReviewDecided, ExportReviewRequested,
)
from events.schemas.licences import OpenLicenceDeclared, OpenLicenceWithdrawn
from events.schemas.roadshows import RoadshowCancelled, RoadshowPublished, RoadshowRescheduled, RoadshowScheduled
from events.topics import Topic
from search.documents import auction_document, listing_document, open_licence_document, roadshow_document
from search.indices import write_targets
from search.mappings import read_alias

LISTING_EVENTS = tuple(t.TYPE for t in (ListingDrafted, ListingUpdated, ListingPublished, ListingWithdrawn,
                                        ListingReserved, ListingReleased, ListingSold, ListingExpired))

SUBSCRIPTION_NAME = "search.catalogue"

log = logging.getLogger("psm.indexer")


async def write_versioned(es: AsyncElasticsearch, index: str, doc: dict, sequence: int) -> None:
    """Write ``doc`` at external version ``sequence``; an index already holding this
    version or a newer one refuses it (a conflict), which is the point: no roll-back."""
    try:
        await es.index(index=index, id=doc["id"], document=doc, version=sequence, version_type="external")
    except ConflictError:
        pass


async def index_listing(es: AsyncElasticsearch, indices: Iterable[str], sequence: int,
                        snapshot: ListingSnapshot) -> None:
    """Write the listing's document at version ``sequence`` to every index in ``indices``."""
    doc = listing_document(snapshot)
    if doc is None:
        # A draft: not searchable. Nothing is written, so neither can a late draft event
        # replace a published document (a listing never returns to draft).
        return
    for index in indices:
        await write_versioned(es, index, doc, sequence)


OPEN_LICENCE_EVENTS = (OpenLicenceDeclared.TYPE, OpenLicenceWithdrawn.TYPE)


async def index_open_licence(es: AsyncElasticsearch, indices: Iterable[str], sequence: int,
                             payload: OpenLicenceDeclared | OpenLicenceWithdrawn) -> None:
    """Write the declaration's document at version ``sequence`` (declared, then withdrawn)."""
    doc = open_licence_document(payload)
    if doc is None:
        return
    for index in indices:
        await write_versioned(es, index, doc, sequence)


# Lifecycle events carry the whole roadshow; registrations, leads and feedback (also on
# psm.roadshows, under the same key) change nothing the catalogue shows.
ROADSHOW_EVENTS = tuple(t.TYPE for t in (RoadshowScheduled, RoadshowPublished, RoadshowRescheduled, RoadshowCancelled))


async def index_roadshow(es: AsyncElasticsearch, indices: Iterable[str], sequence: int, payload) -> None:
    """Write the roadshow's document at version ``sequence`` (its sequence counts every
    event of the roadshow, so versions grow even across registrations)."""
    doc = roadshow_document(payload.roadshow)
    if doc is None:
        return  # a draft: not searchable
    for index in indices:
        await write_versioned(es, index, doc, sequence)


AUCTION_EVENTS = tuple(t.TYPE for t in (AuctionScheduled, AuctionOpened, BidAccepted, AuctionExtended, AuctionClosed,
                                        AuctionSettled, AuctionDefaulted, ExportReviewRequested, ExportReviewDecided))


class LotNotIndexedYet(LookupError):
    """An auction of a listing the catalogue has not seen yet (topics are not ordered
    against each other): retried, and it will be there."""


def _next_state(state: dict | None, event: CloudEvent, p) -> dict:
    if isinstance(p, AuctionScheduled):
        return {"status": "scheduled", "listing_id": p.listing_id, "bid_count": 0,
                "starts_at": p.starts_at.isoformat(), "ends_at": p.ends_at.isoformat(),
                "price": f"{p.start_price.amount:.2f}", "currency": p.start_price.currency, "reserve_met": False}
    if state is None:
        raise LotNotIndexedYet(f"auction {event.subject}: {event.type} before its scheduling")
    s = dict(state)
    if isinstance(p, AuctionOpened):
        s.update(status="open", ends_at=p.ends_at.isoformat())
    elif isinstance(p, BidAccepted):
        s.update(status="open", price=f"{p.amount.amount:.2f}", bid_count=p.bid_sequence,
                 reserve_met=p.reserve_met, ends_at=p.ends_at.isoformat())
    elif isinstance(p, AuctionExtended):
        s.update(ends_at=p.ends_at.isoformat())
    elif isinstance(p, AuctionClosed):
        s.update(status=p.outcome, bid_count=p.bid_count)
    elif isinstance(p, AuctionSettled):
        s.update(status="settled", price=f"{p.price.amount:.2f}")
    elif isinstance(p, AuctionDefaulted):
        s.update(status="defaulted")
    elif isinstance(p, ExportReviewRequested):
        s.update(status="pending_export_review")
    elif isinstance(p, ExportReviewDecided) and not p.approved:
        s.update(status="export_refused")
    return s


async def index_auctions(es: AsyncElasticsearch, indices: Iterable[str], alias: str,
                         events: Sequence[tuple[CloudEvent, Any]], *, skip_unknown_lots: bool = False) -> None:
    """Fold auction events (in their order) into their auctions' documents: one read of
    the documents and one bulk write per index, each document at the version of the last
    event folded into it — a lot with fifty bids in a batch is written once, not fifty
    times (bench/PROFILE.md, issue 19). Events a document already holds are skipped (a
    duplicate or a replay). An auction whose lot the catalogue does not hold yet raises
    LotNotIndexedYet (the consumer retries), or is left out with ``skip_unknown_lots``
    (a rebuild's replay, which reads what the live indexer dead-lettered too)."""
    by_auction: dict[str, list[tuple[CloudEvent, Any]]] = {}
    for event, payload in events:
        by_auction.setdefault(event.subject, []).append((event, payload))
    for index in indices:
        found = await es.mget(index=index, ids=list(by_auction))
        folded = {current["_id"]: f for current in found["docs"]
                  if (f := _fold(current, by_auction[current["_id"]], skip_unknown_lots)) is not None}
        listings = sorted({state["listing_id"] for state, lot, _ in folded.values() if lot is None})
        lots = {}
        if listings:
            lots = {d["_id"]: d["_source"] for d in (await es.mget(index=alias, ids=listings))["docs"] if d.get("found")}
        operations: list[dict] = []
        for auction_id, (state, lot, version) in folded.items():
            lot = lot or lots.get(state["listing_id"])
            if lot is None:
                if not skip_unknown_lots:
                    raise LotNotIndexedYet(f"listing {state['listing_id']} is not in the catalogue yet")
                log.warning("skipping auction %s: listing %s is not in the catalogue", auction_id, state["listing_id"])
                continue
            operations += [{"index": {"_index": index, "_id": auction_id, "version": version,
                                      "version_type": "external"}},
                           auction_document(lot, auction_id, state)]
        if operations:
            answer = await es.bulk(operations=operations)
            # A conflict is an index already holding this version or a newer one (another
            # replica, a replay): the point of versioned writes. Anything else is a failure.
            failed = [item["index"] for item in answer["items"] if item["index"]["status"] not in (200, 201, 409)]
            if failed:
                raise BulkWriteFailed(f"{len(failed)} auction document(s) not written to {index}: {failed[0]}")


def _fold(current: dict, events: list[tuple[CloudEvent, Any]],
          skip_unknown_lots: bool) -> tuple[dict, dict | None, int] | None:
    """An auction's document as Elasticsearch holds it (``current``, an mget answer) and
    its events → (its new state, its lot's document if known, the last event's sequence),
    or None when the document already holds every one of them."""
    doc = current["_source"] if current.get("found") else None
    version = start = current["_version"] if doc is not None else 0
    state = lot = None
    if doc is not None:
        a = doc["auction"]
        state = {**a, "ends_at": doc["ends_at"], "price": doc["price_amount"], "currency": doc["currency"]}
        lot = doc
    for event, p in events:
        if event.sequence <= version:
            continue
        try:
            state = _next_state(state, event, p)
        except LotNotIndexedYet as e:
            if not skip_unknown_lots:
                raise
            log.warning("skipping an auction event: %s", e)
            continue
        if lot is None and isinstance(p, AuctionScheduled) and p.lot is not None:
            lot = listing_document(p.lot.model_copy(update={"status": "published"}))
        version = event.sequence
    return (state, lot, version) if version > start else None


class BulkWriteFailed(RuntimeError):
    """Elasticsearch refused documents of a bulk write (retried by the consumer)."""


def catalogue_subscription(es: AsyncElasticsearch, index_prefix: str) -> Subscription:
    alias = read_alias(index_prefix)

    async def on_listing_event(conn: asyncpg.Connection, event: CloudEvent, payload) -> None:
        # The targets are read (and share-locked) in the consumer's transaction: see
        # search.indices.write_targets and the rebuild's swap.
        await index_listing(es, await write_targets(conn, alias), event.sequence, payload.listing)

    async def on_auction_events(conn: asyncpg.Connection, events: Sequence[tuple[CloudEvent, Any]]) -> None:
        await index_auctions(es, await write_targets(conn, alias), alias, events)

    async def on_open_licence_event(conn: asyncpg.Connection, event: CloudEvent, payload) -> None:
        await index_open_licence(es, await write_targets(conn, alias), event.sequence, payload)

    async def on_roadshow_event(conn: asyncpg.Connection, event: CloudEvent, payload) -> None:
        await index_roadshow(es, await write_targets(conn, alias), event.sequence, payload)

    # Elasticsearch being restarted must not send events to the DLQ: about 100 s of
    # back-off (0.1 s doubling, 10 tries) before an event is given up on.
    return Subscription(name=SUBSCRIPTION_NAME, schema="search",
                        topics=[Topic.LISTINGS, Topic.AUCTIONS, Topic.LICENCES, Topic.ROADSHOWS],
                        handlers={**{t: on_listing_event for t in LISTING_EVENTS},
                                  **{t: BATCHED for t in AUCTION_EVENTS},
                                  **{t: on_open_licence_event for t in OPEN_LICENCE_EVENTS},
                                  **{t: on_roadshow_event for t in ROADSHOW_EVENTS}},
                        on_batch=on_auction_events, max_attempts=10, retry_base_s=0.1)
