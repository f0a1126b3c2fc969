"""SQL for the auctions schema, and the mapping between rows and the domain's Auction."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from events.envelope import CloudEvent
from events.outbox import Outbox
from events.registry import EventPayload

from services.auctions.domain import AcceptedBid, Auction, Terms
from services.runtime.storage.sql import for_update


def to_domain(row: asyncpg.Record) -> Auction:
    terms = Terms(starts_at=row["starts_at"], ends_at=row["planned_end"], start_price=row["start_price"],
                  reserve_price=row["reserve_price"], increment=row["increment"], deposit=row["deposit"],
                  window_s=row["window_s"], extend_s=row["extend_s"])
    return Auction(id=row["id"], listing_id=row["listing_id"], terms=terms, status=row["status"],
                   ends_at=row["ends_at"], current_price=row["current_price"], leader=row["leader"],
                   leader_max=row["leader_max"], bid_count=row["bid_count"], winner=row["winner"],
                   final_price=row["final_price"], leader_priority=row["leader_priority"])


async def insert_auction(conn: asyncpg.Connection, auction_id: str, listing_id: str, seller: str, currency: str,
                         t: Terms, relisted_from: str | None, reservation_id: str, *, disposes: str | None = None,
                         beneficiary: str | None = None, priority_holders: list[str] = (),
                         patent_ids: list[str] = ()) -> asyncpg.Record:
    """A new auction, ``pending`` until the patent register reserves its lot."""
    return await conn.fetchrow(
        "INSERT INTO auctions.auctions (id, listing_id, seller_org_id, status, starts_at, ends_at, planned_end, "
        "currency, start_price, reserve_price, increment, deposit, window_s, extend_s, relisted_from, reservation_id, "
        "disposes, beneficiary_org_id, priority_holders, patent_ids) "
        "VALUES ($1, $2, $3, 'pending', $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) "
        "RETURNING *",
        auction_id, listing_id, seller, t.starts_at, t.ends_at, currency, t.start_price, t.reserve_price,
        t.increment, t.deposit, t.window_s, t.extend_s, relisted_from, reservation_id, disposes, beneficiary,
        list(priority_holders), list(patent_ids),
    )


async def set_status(conn: asyncpg.Connection, auction_id: str, status: str, refusal: dict | None = None) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE auctions.auctions SET status = $2, refusal = $3, "
        "closed_at = CASE WHEN $2 IN ('refused', 'cancelled') THEN now() END WHERE id = $1 RETURNING *",
        auction_id, status, refusal)


async def undecided_with_patent(conn: asyncpg.Connection, patent_id: str) -> list[asyncpg.Record]:
    """Auctions not yet decided (pending, scheduled, open) whose lot holds ``patent_id``, locked."""
    return await conn.fetch(
        "SELECT a.* FROM auctions.auctions a JOIN auctions.listings l ON l.id = a.listing_id "
        "WHERE a.status IN ('pending', 'scheduled', 'open') "
        "AND l.snapshot -> 'patents' @> jsonb_build_array(jsonb_build_object('patent_id', $1::text)) "
        "ORDER BY a.id FOR UPDATE OF a", patent_id)


async def get(conn: asyncpg.Connection, auction_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM auctions.auctions WHERE id = $1" + for_update(lock),
                               auction_id)


# The auction's state as the domain leaves it: ``save``, and the bid's statement too.
_SAVE = ("UPDATE auctions.auctions SET status = $2, ends_at = $3, current_price = $4, leader = $5, leader_max = $6, "
         "bid_count = $7, winner = $8, final_price = $9, leader_priority = $10, "
         "closed_at = CASE WHEN $2 NOT IN ('scheduled', 'open') THEN coalesce(closed_at, now()) END "
         "WHERE id = $1 RETURNING *")


def _save_args(a: Auction) -> tuple:
    return (a.id, a.status, a.ends_at, a.current_price, a.leader, a.leader_max, a.bid_count, a.winner,
            a.final_price, a.leader_priority)


async def save(conn: asyncpg.Connection, a: Auction) -> asyncpg.Record:
    return await conn.fetchrow(_SAVE, *_save_args(a))


async def lock_for_bid(conn: asyncpg.Connection, auction_id: str,
                       org_id: str) -> tuple[asyncpg.Record | None, dict | None]:
    """The auction's row, locked, and the bidder's registration (its id and deposit
    status, or None) in one round trip: every round trip inside the lock lengthens the
    queue of bids waiting for it."""
    row = await conn.fetchrow(
        "SELECT a.*, r.id AS registration_id, r.deposit_status AS registration_deposit_status "
        "FROM auctions.auctions a LEFT JOIN auctions.registrations r ON r.auction_id = a.id AND r.bidder_org_id = $2 "
        "WHERE a.id = $1 FOR UPDATE OF a", auction_id, org_id)
    if row is None or row["registration_id"] is None:
        return row, None
    return row, {"id": row["registration_id"], "deposit_status": row["registration_deposit_status"]}


async def save_with_bids(conn: asyncpg.Connection, a: Auction, bids: list[AcceptedBid], outbox: Outbox,
                         events: Sequence[tuple[str, EventPayload]]) -> asyncpg.Record:
    """``save``, the accepted bids inserted and ``events`` recorded in ``outbox``, in one
    statement: one round trip in the row lock that serialises bids."""
    part = outbox.part(events, first_param=16) if events else None  # after this statement's fifteen
    outbox_ctes, upto, notify = ((f", {part.ctes}", "(SELECT max(id) FROM ins)", f", {part.notify}") if part
                                 else ("", "NULL::bigint", ""))
    row = await conn.fetchrow(
        "WITH b AS (INSERT INTO auctions.bids (auction_id, sequence, registration_id, amount, proxy, placed_at) "
        "SELECT $1, * FROM unnest($11::integer[], $12::text[], $13::numeric[], $14::boolean[], $15::timestamptz[])), "
        f"a AS ({_SAVE}){outbox_ctes} SELECT a.*, {upto} AS outbox_upto FROM a{notify}",
        *_save_args(a), [b.sequence for b in bids], [b.bidder for b in bids], [b.amount for b in bids],
        [b.proxy for b in bids], [b.placed_at for b in bids], *(part.args if part else ()),
    )
    if part:
        outbox.written(row["outbox_upto"])
    return row


async def bids(conn: asyncpg.Connection, auction_id: str, after: int, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT b.*, r.bidder_org_id FROM auctions.bids b JOIN auctions.registrations r ON r.id = b.registration_id "
        "WHERE b.auction_id = $1 AND b.sequence > $2 ORDER BY b.sequence LIMIT $3",
        auction_id, after, limit + 1,
    )


async def registration_of(conn: asyncpg.Connection, auction_id: str, org_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM auctions.registrations WHERE auction_id = $1 AND bidder_org_id = $2", auction_id, org_id
    )


async def registration(conn: asyncpg.Connection, registration_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM auctions.registrations WHERE id = $1", registration_id)


async def insert_registration(conn: asyncpg.Connection, rid: str, auction_id: str, org_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "INSERT INTO auctions.registrations (id, auction_id, bidder_org_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (auction_id, bidder_org_id) DO NOTHING RETURNING *",
        rid, auction_id, org_id,
    )


async def set_deposit(conn: asyncpg.Connection, rid: str, status: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE auctions.registrations SET deposit_status = $2, "
        "confirmed_at = CASE WHEN $2 = 'confirmed' THEN now() ELSE confirmed_at END WHERE id = $1 RETURNING *",
        rid, status,
    )


async def release_deposits(conn: asyncpg.Connection, auction_id: str, keep: str | None) -> list[str]:
    rows = await conn.fetch(
        "UPDATE auctions.registrations SET deposit_status = 'released' WHERE auction_id = $1 "
        "AND deposit_status = 'confirmed' AND ($2::text IS NULL OR id <> $2) RETURNING id",
        auction_id, keep,
    )
    return sorted(r["id"] for r in rows)


async def due(conn: asyncpg.Connection, limit: int = 50) -> list[asyncpg.Record]:
    # SKIP LOCKED: several scheduler replicas split the due auctions between them, and
    # the row lock plus the status check make each open and each close happen once.
    return await conn.fetch(
        "SELECT * FROM auctions.auctions WHERE (status = 'scheduled' AND starts_at <= now()) "
        "OR (status IN ('scheduled', 'open') AND ends_at <= now()) "
        "ORDER BY ends_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )


async def listing(conn: asyncpg.Connection, listing_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM auctions.listings WHERE id = $1", listing_id)


async def upsert_listing(conn: asyncpg.Connection, listing_id: str, owner: str, kind: str, status: str, title: str,
                         modes: list[str], version: int, snapshot: dict) -> None:
    await conn.execute(
        "INSERT INTO auctions.listings (id, owner_org_id, kind, status, title, modes, version, snapshot) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET owner_org_id = EXCLUDED.owner_org_id, "
        "kind = EXCLUDED.kind, status = EXCLUDED.status, title = EXCLUDED.title, modes = EXCLUDED.modes, "
        "version = EXCLUDED.version, snapshot = EXCLUDED.snapshot WHERE auctions.listings.version < EXCLUDED.version",
        listing_id, owner, kind, status, title, modes, version, snapshot,
    )


async def org_country(conn: asyncpg.Connection, org_id: str) -> str | None:
    return await conn.fetchval("SELECT country FROM auctions.orgs WHERE id = $1", org_id)


async def upsert_org(conn: asyncpg.Connection, org_id: str, kind: str, country: str) -> None:
    await conn.execute(
        "INSERT INTO auctions.orgs (id, kind, country) VALUES ($1, $2, $3) "
        "ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, country = EXCLUDED.country",
        org_id, kind, country,
    )


async def events_after(conn: asyncpg.Connection, auction_id: str, after: int) -> list[CloudEvent]:
    """The auction's events after sequence ``after``, from its outbox (the live stream's replay)."""
    rows = await conn.fetch(
        "SELECT event::text AS event FROM auctions.outbox WHERE subject = $1 AND sequence > $2 ORDER BY sequence",
        auction_id, after)
    return [CloudEvent.from_json(r["event"]) for r in rows]


async def list_auctions(conn: asyncpg.Connection, *, status: str | None, listing_id: str | None,
                        ends_after, ends_before, party: str | None, after: tuple | None,
                        limit: int) -> list[asyncpg.Record]:
    """Auctions decided by the register (not pending or refused), by end time; ``party``:
    only those it sells or is registered for."""
    return await conn.fetch(
        "SELECT a.* FROM auctions.auctions a WHERE a.status NOT IN ('pending', 'refused') "
        "AND ($1::text IS NULL OR a.status = $1) AND ($2::text IS NULL OR a.listing_id = $2) "
        "AND ($3::timestamptz IS NULL OR a.ends_at > $3) AND ($4::timestamptz IS NULL OR a.ends_at < $4) "
        "AND ($5::text IS NULL OR a.seller_org_id = $5 OR EXISTS (SELECT 1 FROM auctions.registrations r "
        "     WHERE r.auction_id = a.id AND r.bidder_org_id = $5)) "
        "AND ($6::timestamptz IS NULL OR (a.ends_at, a.id) > ($6, $7)) ORDER BY a.ends_at, a.id LIMIT $8",
        status, listing_id, ends_after, ends_before, party, after[0] if after else None, after[1] if after else None,
        limit + 1)


async def registrations_of(conn: asyncpg.Connection, auction_id: str, after: tuple | None,
                           limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM auctions.registrations WHERE auction_id = $1 "
        "AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3)) ORDER BY created_at, id LIMIT $4",
        auction_id, after[0] if after else None, after[1] if after else None, limit + 1)


async def auction_disposing(conn: asyncpg.Connection, pledge_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM auctions.auctions WHERE disposes = $1 ORDER BY created_at LIMIT 1",
                               pledge_id)


async def sell_at_start_price(conn: asyncpg.Connection, auction_id: str, registration_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE auctions.auctions SET status = 'closed_won', winner = $2, leader = $2, final_price = start_price, "
        "current_price = start_price WHERE id = $1 RETURNING *", auction_id, registration_id)
