"""SQL for the roadshows schema."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from typing import Literal

import asyncpg

from services.roadshows.domain import ListingFacts, Slot
from services.runtime.storage.sql import for_update, insert_row, update_row


# -- roadshows ---------------------------------------------------------------------------
async def insert_roadshow(conn: asyncpg.Connection, values: dict) -> asyncpg.Record:
    return await insert_row(conn, "roadshows.roadshows", values)


async def get_roadshow(conn: asyncpg.Connection, roadshow_id: str, *,
                      lock: Literal["UPDATE", "SHARE"] | None = None) -> asyncpg.Record | None:
    """``lock``: FOR UPDATE (changes to the roadshow) or FOR SHARE (feedback: enterprises do
    not wait for each other, but closing the report waits for them)."""
    return await conn.fetchrow(f"SELECT * FROM roadshows.roadshows WHERE id = $1{f' FOR {lock}' if lock else ''}",
                               roadshow_id)


async def update_roadshow(conn: asyncpg.Connection, roadshow_id: str, **values) -> asyncpg.Record:
    return await update_row(conn, "roadshows.roadshows", roadshow_id, values, also="updated_at = now()")


async def list_roadshows(conn: asyncpg.Connection, *, viewer: str | None, status: str | None,
                         listing_id: str | None, upcoming_after: datetime | None, after: tuple | None,
                         limit: int) -> list[asyncpg.Record]:
    """Published and cancelled roadshows for everyone; drafts only to their organiser
    (``viewer``; None: the operator, who sees all)."""
    return await conn.fetch(
        "SELECT r.* FROM roadshows.roadshows r WHERE (r.status <> 'draft' OR $1::text IS NULL "
        "OR r.organiser_org_id = $1) AND ($2::text IS NULL OR r.status = $2) "
        "AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM roadshows.lineup l WHERE l.roadshow_id = r.id "
        "AND l.listing_id = $3)) AND ($4::timestamptz IS NULL OR r.ends_at > $4) "
        "AND ($5::timestamptz IS NULL OR (r.starts_at, r.id) > ($5, $6)) ORDER BY r.starts_at, r.id LIMIT $7",
        viewer, status, listing_id, upcoming_after, after[0] if after else None, after[1] if after else None,
        limit + 1)


async def replace_lineup(conn: asyncpg.Connection, roadshow_id: str, slots: Sequence[Slot]) -> None:
    await conn.execute("DELETE FROM roadshows.lineup WHERE roadshow_id = $1", roadshow_id)
    await conn.executemany(
        "INSERT INTO roadshows.lineup (roadshow_id, listing_id, listing_title, owner_org_id, slot_starts_at, "
        "slot_ends_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [(roadshow_id, s.listing.listing_id, s.listing.title, s.listing.owner_org_id, s.starts_at, s.ends_at)
         for s in slots])


async def lineup_of(conn: asyncpg.Connection, roadshow_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM roadshows.lineup WHERE roadshow_id = $1 ORDER BY slot_starts_at",
                            roadshow_id)


async def slot_of(conn: asyncpg.Connection, roadshow_id: str, listing_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM roadshows.lineup WHERE roadshow_id = $1 AND listing_id = $2",
                               roadshow_id, listing_id)


async def upcoming_slots_of_listing(conn: asyncpg.Connection, listing_id: str, now: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT l.*, r.title, r.status, r.mode, r.location FROM roadshows.lineup l "
        "JOIN roadshows.roadshows r ON r.id = l.roadshow_id "
        "WHERE l.listing_id = $1 AND r.status = 'published' AND l.slot_ends_at > $2 ORDER BY l.slot_starts_at",
        listing_id, now)


# -- registrations -----------------------------------------------------------------------
async def live_registration(conn: asyncpg.Connection, roadshow_id: str, org_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM roadshows.registrations WHERE roadshow_id = $1 AND org_id = $2 "
                               "AND status <> 'cancelled'", roadshow_id, org_id)


async def get_registration(conn: asyncpg.Connection, roadshow_id: str, registration_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM roadshows.registrations WHERE roadshow_id = $1 AND id = $2",
                               roadshow_id, registration_id)


async def count_registered(conn: asyncpg.Connection, roadshow_id: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM roadshows.registrations WHERE roadshow_id = $1 "
                               "AND status = 'registered'", roadshow_id)


async def next_arrival(conn: asyncpg.Connection, roadshow_id: str) -> int:
    """Under the roadshow's row lock (the caller holds it)."""
    return await conn.fetchval("UPDATE roadshows.roadshows SET last_arrival = last_arrival + 1 WHERE id = $1 "
                               "RETURNING last_arrival", roadshow_id)


async def insert_registration(conn: asyncpg.Connection, registration_id: str, roadshow_id: str, org_id: str,
                              status: str, arrival: int) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO roadshows.registrations (id, roadshow_id, org_id, status, arrival) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING *", registration_id, roadshow_id, org_id, status, arrival)


async def cancel_registration(conn: asyncpg.Connection, registration_id: str) -> asyncpg.Record:
    return await conn.fetchrow("UPDATE roadshows.registrations SET status = 'cancelled', "
                               "cancelled_at = clock_timestamp() WHERE id = $1 RETURNING *", registration_id)


async def waitlist_head(conn: asyncpg.Connection, roadshow_id: str, n: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM roadshows.registrations WHERE roadshow_id = $1 AND status = 'waitlisted' "
                            "ORDER BY arrival LIMIT $2", roadshow_id, n)


async def promote(conn: asyncpg.Connection, registration_id: str) -> asyncpg.Record:
    return await conn.fetchrow("UPDATE roadshows.registrations SET status = 'registered', "
                               "promoted_at = clock_timestamp() WHERE id = $1 RETURNING *", registration_id)


async def waitlist_position(conn: asyncpg.Connection, roadshow_id: str, arrival: int) -> int:
    return await conn.fetchval("SELECT count(*) FROM roadshows.registrations WHERE roadshow_id = $1 "
                               "AND status = 'waitlisted' AND arrival <= $2", roadshow_id, arrival)


async def registrations_of(conn: asyncpg.Connection, roadshow_id: str, *, org_id: str | None,
                           status: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT r.*, CASE WHEN r.status = 'waitlisted' THEN (SELECT count(*) FROM roadshows.registrations w "
        "WHERE w.roadshow_id = r.roadshow_id AND w.status = 'waitlisted' AND w.arrival <= r.arrival) END "
        "AS waitlist_position FROM roadshows.registrations r WHERE r.roadshow_id = $1 "
        "AND ($2::text IS NULL OR r.org_id = $2) AND ($3::text IS NULL OR r.status = $3) ORDER BY r.arrival",
        roadshow_id, org_id, status)


async def attendees(conn: asyncpg.Connection, roadshow_id: str) -> list[str]:
    rows = await conn.fetch("SELECT org_id FROM roadshows.registrations WHERE roadshow_id = $1 "
                            "AND status <> 'cancelled' ORDER BY arrival", roadshow_id)
    return [r["org_id"] for r in rows]


# -- leads -------------------------------------------------------------------------------
async def insert_lead(conn: asyncpg.Connection, values: dict) -> asyncpg.Record | None:
    """The new lead, or None when this enterprise already raised its hand for the listing here."""
    return await insert_row(conn, "roadshows.leads", values,
                            on_conflict="ON CONFLICT (roadshow_id, listing_id, enterprise_org_id) DO NOTHING")


async def get_lead(conn: asyncpg.Connection, roadshow_id: str, listing_id: str, org_id: str) -> asyncpg.Record:
    return await conn.fetchrow("SELECT * FROM roadshows.leads WHERE roadshow_id = $1 AND listing_id = $2 "
                               "AND enterprise_org_id = $3", roadshow_id, listing_id, org_id)


async def leads_of_roadshow(conn: asyncpg.Connection, roadshow_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM roadshows.leads WHERE roadshow_id = $1 ORDER BY created_at, id",
                            roadshow_id)


async def leads_of_listing(conn: asyncpg.Connection, listing_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM roadshows.leads WHERE listing_id = $1 ORDER BY created_at, id",
                            listing_id)


# -- feedback ----------------------------------------------------------------------------
async def insert_feedback(conn: asyncpg.Connection, values: dict) -> asyncpg.Record | None:
    """The new row, or None when this enterprise already gave feedback on the listing here."""
    return await insert_row(conn, "roadshows.feedback", values,
                            on_conflict="ON CONFLICT (roadshow_id, listing_id, enterprise_org_id) DO NOTHING")


async def get_feedback(conn: asyncpg.Connection, roadshow_id: str, feedback_id: str, *,
                       lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM roadshows.feedback WHERE roadshow_id = $1 AND id = $2" + for_update(lock),
                               roadshow_id, feedback_id)


async def update_feedback(conn: asyncpg.Connection, feedback_id: str, **values) -> asyncpg.Record:
    return await update_row(conn, "roadshows.feedback", feedback_id, values,
                            also="revision = revision + 1, updated_at = now()")


async def feedback_of_roadshow(conn: asyncpg.Connection, roadshow_id: str, *,
                               enterprise: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM roadshows.feedback WHERE roadshow_id = $1 "
                            "AND ($2::text IS NULL OR enterprise_org_id = $2) ORDER BY submitted_at, id",
                            roadshow_id, enterprise)


async def feedback_of_listing(conn: asyncpg.Connection, listing_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT f.*, r.title AS roadshow_title, r.starts_at AS roadshow_starts_at FROM roadshows.feedback f "
        "JOIN roadshows.roadshows r ON r.id = f.roadshow_id WHERE f.listing_id = $1 ORDER BY f.submitted_at, f.id",
        listing_id)


# -- read model of listings --------------------------------------------------------------
async def upsert_listing(conn: asyncpg.Connection, listing_id: str, kind: str, status: str, owner_org_id: str,
                         title: str) -> None:
    await conn.execute(
        "INSERT INTO roadshows.listings (id, kind, status, owner_org_id, title) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, "
        "owner_org_id = EXCLUDED.owner_org_id, title = EXCLUDED.title",
        listing_id, kind, status, owner_org_id, title)


async def listings_by_id(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, ListingFacts]:
    rows = await conn.fetch("SELECT * FROM roadshows.listings WHERE id = ANY($1::text[])", list(ids))
    return {r["id"]: ListingFacts(r["id"], r["kind"], r["status"], r["owner_org_id"], r["title"]) for r in rows}


async def get_listing(conn: asyncpg.Connection, listing_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM roadshows.listings WHERE id = $1", listing_id)


async def registration_counts(conn: asyncpg.Connection, roadshow_id: str) -> dict[str, int]:
    """Registrations by status (registered, waitlisted, cancelled)."""
    return dict(await conn.fetch("SELECT status, count(*) FROM roadshows.registrations WHERE roadshow_id = $1 "
                                 "GROUP BY status", roadshow_id))


async def event_sequence(conn: asyncpg.Connection, roadshow_id: str) -> int | None:
    """The roadshow's last event sequence: its iCalendar SEQUENCE (a calendar client
    replaces an entry with a higher one)."""
    return await conn.fetchval("SELECT last_sequence FROM roadshows.aggregate_sequences WHERE subject = $1",
                               roadshow_id)
