"""SQL for the distribution schema."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

S = "distribution"


# -- endpoints and venues ------------------------------------------------------------------
async def insert_endpoint(conn: asyncpg.Connection, id: str, kind: str, owner_org_id: str, url: str | None,
                          secret: str) -> None:
    await conn.execute(f"INSERT INTO {S}.endpoints (id, kind, owner_org_id, url, secret) VALUES ($1, $2, $3, $4, $5)",
                       id, kind, owner_org_id, url, secret)


async def insert_venue(conn: asyncpg.Connection, id: str, org_id: str, filter: dict) -> None:
    await conn.execute(f"INSERT INTO {S}.venues (id, org_id, filter) VALUES ($1, $2, $3)", id, org_id, filter)


VENUE = (f"SELECT v.*, e.url AS webhook_url, e.secret, e.paused_until, e.consecutive_failures, e.rate_limit_per_s, "
         f"e.throttled_until, e.disabled_at, e.disabled_reason, e.previous_secret_until "
         f"FROM {S}.venues v JOIN {S}.endpoints e ON e.id = v.id WHERE e.deleted_at IS NULL")


async def get_venue(conn: asyncpg.Connection, venue_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(VENUE + " AND v.id = $1", venue_id)


async def venues_of(conn: asyncpg.Connection, org_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(VENUE + " AND v.org_id = $1 ORDER BY v.created_at, v.id", org_id)


async def list_venues(conn: asyncpg.Connection, org_id: str | None, after: tuple | None,
                      limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        VENUE + " AND ($1::text IS NULL OR v.org_id = $1) AND ($2::timestamptz IS NULL OR (v.created_at, v.id) > ($2, $3))"
        " ORDER BY v.created_at, v.id LIMIT $4", org_id, after[0] if after else None, after[1] if after else None,
        limit + 1)


async def webhook_venues(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Venues that receive webhooks. Read inside the appending transaction: a venue
    registered after a change was appended starts with the next change (and can read
    the earlier ones from the feed)."""
    return await conn.fetch(f"SELECT v.id, v.filter, v.event_types FROM {S}.venues v JOIN {S}.endpoints e "
                            "ON e.id = v.id WHERE e.url IS NOT NULL AND e.deleted_at IS NULL AND e.disabled_at IS NULL")


async def opted_in(conn: asyncpg.Connection, change_types: set[str]) -> set[str]:
    """Which of the opt-in ``change_types`` some venue (webhook or feed) wants."""
    if not change_types:
        return set()
    return {r["t"] for r in await conn.fetch(
        f"SELECT t FROM unnest($1::text[]) AS t WHERE EXISTS (SELECT 1 FROM {S}.venues v "
        f"JOIN {S}.endpoints e ON e.id = v.id WHERE e.deleted_at IS NULL AND t = ANY(v.event_types))",
        sorted(change_types))}


async def rotate_secret(conn: asyncpg.Connection, endpoint_id: str, secret: str, overlap_s: float) -> datetime | None:
    """The new secret; the old one keeps signing (beside it) for ``overlap_s``."""
    return await conn.fetchval(
        f"UPDATE {S}.endpoints SET previous_secret = CASE WHEN $3 > 0 THEN secret END, "
        "previous_secret_until = CASE WHEN $3 > 0 THEN now() + make_interval(secs => $3) END, secret = $2 "
        "WHERE id = $1 RETURNING previous_secret_until", endpoint_id, secret, overlap_s)


async def resume(conn: asyncpg.Connection, endpoint_id: str) -> None:
    await conn.execute(f"UPDATE {S}.endpoints SET paused_until = NULL, consecutive_failures = 0, "
                       "throttled_until = NULL WHERE id = $1", endpoint_id)


async def update_venue(conn: asyncpg.Connection, venue_id: str, filter: dict | None,
                       event_types: list[str] | None) -> None:
    await conn.execute(f"UPDATE {S}.venues SET filter = coalesce($2, filter), "
                       "event_types = coalesce($3::text[], event_types), updated_at = now() WHERE id = $1",
                       venue_id, filter, event_types)


async def update_endpoint(conn: asyncpg.Connection, endpoint_id: str, fields: dict) -> None:
    """``url``, ``rate_limit_per_s`` (None clears it) and ``enabled`` (true: re-enabled), as given."""
    if "url" in fields:
        await conn.execute(f"UPDATE {S}.endpoints SET url = $2 WHERE id = $1", endpoint_id, fields["url"])
    if "rate_limit_per_s" in fields:
        await conn.execute(f"UPDATE {S}.endpoints SET rate_limit_per_s = $2 WHERE id = $1", endpoint_id,
                           fields["rate_limit_per_s"])
    if fields.get("enabled"):
        await conn.execute(f"UPDATE {S}.endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, "
                           "consecutive_failures = 0, paused_until = NULL, throttled_until = NULL WHERE id = $1",
                           endpoint_id)


async def delete_endpoint(conn: asyncpg.Connection, endpoint_id: str) -> int:
    """Deleted: nothing more is queued or sent; its pending deliveries are dropped (how many)."""
    await conn.execute(f"UPDATE {S}.endpoints SET deleted_at = now(), url = NULL WHERE id = $1", endpoint_id)
    r = await conn.execute(f"UPDATE {S}.deliveries SET status = 'dropped', next_attempt_at = now() "
                           "WHERE endpoint_id = $1 AND status = 'pending'", endpoint_id)
    return int(r.split()[-1])


async def disable_endpoint(conn: asyncpg.Connection, endpoint_id: str, reason: str) -> asyncpg.Record | None:
    """Disabled (once): the endpoint, or None if it already was."""
    return await conn.fetchrow(f"UPDATE {S}.endpoints SET disabled_at = now(), disabled_reason = $2 "
                               "WHERE id = $1 AND disabled_at IS NULL RETURNING *", endpoint_id, reason)


async def throttle_endpoint(conn: asyncpg.Connection, endpoint_id: str, seconds: float) -> None:
    await conn.execute(f"UPDATE {S}.endpoints SET throttled_until = greatest(coalesce(throttled_until, now()), "
                       "now() + make_interval(secs => $2)) WHERE id = $1", endpoint_id, seconds)


async def insert_notice(conn: asyncpg.Connection, id: str, org_id: str, notice: dict) -> None:
    await conn.execute(f"INSERT INTO {S}.pushes (id, org_id, subscription_ids, channel, kind, notice) "
                       "VALUES ($1, $2, '{}', 'inbox', 'notice', $3)", id, org_id, notice)


async def backlog(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Per endpoint with deliveries pending: how many, and the oldest one's age (s)."""
    return await conn.fetch(
        f"SELECT endpoint_id, count(*) AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest_s "
        f"FROM {S}.deliveries WHERE status = 'pending' GROUP BY endpoint_id")


async def disabled_count(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {S}.endpoints WHERE disabled_at IS NOT NULL "
                               "AND deleted_at IS NULL")


# -- read models ---------------------------------------------------------------------------
async def upsert_org(conn: asyncpg.Connection, org_id: str, kind: str, name: str) -> None:
    await conn.execute(f"INSERT INTO {S}.orgs (id, kind, name) VALUES ($1, $2, $3) "
                       "ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name", org_id, kind, name)


async def org_kind(conn: asyncpg.Connection, org_id: str) -> str | None:
    return await conn.fetchval(f"SELECT kind FROM {S}.orgs WHERE id = $1", org_id)


async def upsert_listing(conn: asyncpg.Connection, listing_id: str, owner_org_id: str, snapshot: dict) -> None:
    await conn.execute(f"INSERT INTO {S}.listings (id, owner_org_id, snapshot) VALUES ($1, $2, $3) "
                       "ON CONFLICT (id) DO UPDATE SET owner_org_id = EXCLUDED.owner_org_id, snapshot = EXCLUDED.snapshot",
                       listing_id, owner_org_id, snapshot)


async def get_listing(conn: asyncpg.Connection, listing_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT * FROM {S}.listings WHERE id = $1", listing_id)


# -- the change log ------------------------------------------------------------------------
async def append_change(conn: asyncpg.Connection, *, subject: str, change_type: str, event_id: str,
                        attributes: dict, snapshot: dict, occurred_at: datetime) -> asyncpg.Record:
    # The counter's row lock is held until this transaction commits: appenders are
    # serialised, so sequence numbers become visible in order and without holes, and a
    # reader that has seen seq N has seen everything before it (the feed's guarantee).
    return await conn.fetchrow(
        f"""WITH n AS (UPDATE {S}.change_log_counter SET last_seq = last_seq + 1 RETURNING last_seq)
            INSERT INTO {S}.changes (seq, subject, change_type, event_id, attributes, snapshot, occurred_at)
            SELECT n.last_seq, $1, $2, $3, $4, $5, $6 FROM n RETURNING *""",
        subject, change_type, event_id, attributes, snapshot, occurred_at)


async def changes_after(conn: asyncpg.Connection, after: int, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT * FROM {S}.changes WHERE seq > $1 ORDER BY seq LIMIT $2", after, limit)


async def last_seq(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(f"SELECT coalesce(max(seq), 0) FROM {S}.changes")


# -- deliveries ----------------------------------------------------------------------------
async def insert_deliveries(conn: asyncpg.Connection, rows: Sequence[tuple[str, str, str, int, str, dict]]) -> None:
    """``(id, endpoint_id, subject, position, change_type, body)`` each; a position
    already queued for the endpoint and subject is kept as it was (a replayed event)."""
    if not rows:
        return
    await conn.execute(
        f"INSERT INTO {S}.deliveries (id, endpoint_id, subject, position, change_type, body) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::jsonb[]) "
        "ON CONFLICT (endpoint_id, subject, position) DO NOTHING",
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
        [r[4] for r in rows], [r[5] for r in rows])


async def list_deliveries(conn: asyncpg.Connection, endpoint_id: str, status: str | None, after: tuple | None,
                          limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT * FROM {S}.deliveries WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2) "
        "AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4)) ORDER BY created_at, id LIMIT $5",
        endpoint_id, status, after[0] if after else None, after[1] if after else None, limit + 1)


async def get_delivery(conn: asyncpg.Connection, endpoint_id: str, delivery_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT * FROM {S}.deliveries WHERE endpoint_id = $1 AND id = $2",
                               endpoint_id, delivery_id)


async def requeue(conn: asyncpg.Connection, endpoint_id: str, delivery_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        f"UPDATE {S}.deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() "
        "WHERE endpoint_id = $1 AND id = $2 RETURNING *", endpoint_id, delivery_id)


async def requeue_failed(conn: asyncpg.Connection, endpoint_id: str, since: datetime, until: datetime | None) -> int:
    """Recovery: every dead-lettered delivery created in [since, until) tried again."""
    r = await conn.execute(
        f"UPDATE {S}.deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() "
        "WHERE endpoint_id = $1 AND status = 'dead' AND created_at >= $2 AND ($3::timestamptz IS NULL OR created_at < $3)",
        endpoint_id, since, until)
    return int(r.split()[-1])


async def requeue_since(conn: asyncpg.Connection, endpoint_id: str, since: datetime, statuses: list[str]) -> int:
    r = await conn.execute(
        f"UPDATE {S}.deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() "
        "WHERE endpoint_id = $1 AND created_at >= $2 AND status = ANY($3::text[])", endpoint_id, since, statuses)
    return int(r.split()[-1])


# -- subscriptions, pushes, feedback -------------------------------------------------------
async def insert_subscription(conn: asyncpg.Connection, id: str, org_id: str, filter: dict, query: str | None,
                              channel: str) -> asyncpg.Record:
    return await conn.fetchrow(
        f"INSERT INTO {S}.subscriptions (id, org_id, filter, query, channel) VALUES ($1, $2, $3, $4, $5) RETURNING *",
        id, org_id, filter, query, channel)


async def get_subscription(conn: asyncpg.Connection, subscription_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT s.*, e.url AS webhook_url FROM {S}.subscriptions s LEFT JOIN {S}.endpoints e ON e.id = s.id "
        "WHERE s.id = $1 AND s.deleted_at IS NULL", subscription_id)


async def delete_subscription(conn: asyncpg.Connection, subscription_id: str) -> None:
    await conn.execute(f"UPDATE {S}.subscriptions SET deleted_at = now(), active = false, version = version + 1 "
                       "WHERE id = $1", subscription_id)


async def update_subscription(conn: asyncpg.Connection, subscription_id: str, filter: dict | None, query: str | None,
                              set_query: bool, active: bool | None) -> None:
    """A new version: the matcher re-indexes it (or takes it out, inactive) before matching again."""
    await conn.execute(
        f"UPDATE {S}.subscriptions SET filter = coalesce($2, filter), query = CASE WHEN $4 THEN $3 ELSE query END, "
        "active = coalesce($5, active), version = version + 1 WHERE id = $1",
        subscription_id, filter, query, set_query, active)


async def list_subscriptions(conn: asyncpg.Connection, org_id: str | None, after: tuple | None,
                             limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT * FROM {S}.subscriptions WHERE deleted_at IS NULL AND ($1::text IS NULL OR org_id = $1) "
        "AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3)) ORDER BY created_at, id LIMIT $4",
        org_id, after[0] if after else None, after[1] if after else None, limit + 1)


async def insert_match_job(conn: asyncpg.Connection, listing_id: str, position: int, snapshot: dict) -> None:
    # A listing is matched once, when first published: a re-publication is not new supply.
    await conn.execute(f"INSERT INTO {S}.match_jobs (listing_id, position, snapshot) VALUES ($1, $2, $3) "
                       "ON CONFLICT (listing_id) DO NOTHING", listing_id, position, snapshot)


async def inbox(conn: asyncpg.Connection, org_id: str, unread: bool | None, after: tuple | None,
                limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT * FROM {S}.pushes WHERE org_id = $1 "
        "AND ($2::boolean IS NULL OR (read_at IS NULL) = $2) "
        "AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4)) ORDER BY created_at DESC, id DESC LIMIT $5",
        org_id, unread, after[0] if after else None, after[1] if after else None, limit + 1)


async def get_push(conn: asyncpg.Connection, push_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT * FROM {S}.pushes WHERE id = $1", push_id)


async def mark_read(conn: asyncpg.Connection, push_id: str) -> asyncpg.Record:
    return await conn.fetchrow(f"UPDATE {S}.pushes SET read_at = coalesce(read_at, now()) WHERE id = $1 RETURNING *",
                               push_id)


async def insert_feedback(conn: asyncpg.Connection, push_id: str, listing_id: str, owner: str, from_org: str,
                          interest_level: int, cooperation: str, comment: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"INSERT INTO {S}.push_feedback (push_id, listing_id, listing_owner_org_id, from_org_id, interest_level, "
        "cooperation, comment) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (push_id) DO NOTHING RETURNING *",
        push_id, listing_id, owner, from_org, interest_level, cooperation, comment)


async def feedback_of(conn: asyncpg.Connection, listing_id: str, after: tuple | None,
                      limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT * FROM {S}.push_feedback WHERE listing_id = $1 "
        "AND ($2::timestamptz IS NULL OR (created_at, push_id) > ($2, $3)) ORDER BY created_at, push_id LIMIT $4",
        listing_id, after[0] if after else None, after[1] if after else None, limit + 1)


# -- delivery workers (services/distribution/delivery.py) ----------------------------------
async def due_endpoints(conn: asyncpg.Connection, worker: str, busy: Sequence[str], limit: int) -> list[str]:
    """Endpoints with a delivery due that no other worker holds (or whose lease ran out)."""
    rows = await conn.fetch(
        f"""SELECT e.id FROM {S}.endpoints e
            WHERE e.url IS NOT NULL AND NOT (e.id = ANY($2::text[]))
              AND e.disabled_at IS NULL AND e.deleted_at IS NULL
              AND (e.paused_until IS NULL OR e.paused_until <= now())
              AND (e.throttled_until IS NULL OR e.throttled_until <= now())
              AND (e.lease_until IS NULL OR e.lease_until < now() OR e.lease_owner = $1)
              AND EXISTS (SELECT 1 FROM {S}.deliveries d WHERE d.endpoint_id = e.id
                          AND d.status = 'pending' AND d.next_attempt_at <= now())
            LIMIT $3""", worker, list(busy), limit)
    return [r["id"] for r in rows]


async def claim_endpoint(conn: asyncpg.Connection, worker: str, endpoint_id: str, lease_s: float) -> str | None:
    return await conn.fetchval(
        f"UPDATE {S}.endpoints SET lease_owner = $1, lease_until = now() + make_interval(secs => $3) "
        "WHERE id = $2 AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1) RETURNING id",
        worker, endpoint_id, lease_s)


async def renew_lease(conn: asyncpg.Connection, worker: str, endpoint_id: str, lease_s: float) -> asyncpg.Record | None:
    """The endpoint, if this worker still holds it and it is not paused."""
    return await conn.fetchrow(
        f"UPDATE {S}.endpoints SET lease_until = now() + make_interval(secs => $3) "
        "WHERE id = $1 AND lease_owner = $2 AND (paused_until IS NULL OR paused_until <= now()) "
        "AND (throttled_until IS NULL OR throttled_until <= now()) AND disabled_at IS NULL AND deleted_at IS NULL "
        "AND url IS NOT NULL RETURNING *", endpoint_id, worker, lease_s)


async def extend_lease(conn: asyncpg.Connection, worker: str, endpoint_id: str, lease_s: float) -> bool:
    """Keep the lease while a round's requests are out; False if this worker lost it."""
    return await conn.fetchval(
        f"UPDATE {S}.endpoints SET lease_until = now() + make_interval(secs => $3) "
        "WHERE id = $1 AND lease_owner = $2 RETURNING true", endpoint_id, worker, lease_s) is not None


async def release_lease(conn: asyncpg.Connection, worker: str, endpoint_id: str) -> None:
    await conn.execute(f"UPDATE {S}.endpoints SET lease_until = NULL, lease_owner = NULL "
                       "WHERE id = $1 AND lease_owner = $2", endpoint_id, worker)


async def queue_heads(conn: asyncpg.Connection, endpoint_id: str, limit: int) -> list[asyncpg.Record]:
    """The head of each entity's queue, if due: never a later change of an entity while an
    earlier one is pending (ordering; see delivery.py). ``body`` is the JSON text as stored,
    sent as it is: decoding it to re-encode it was 13 % of the delivery worker."""
    return await conn.fetch(
        f"""SELECT d.id, d.endpoint_id, d.subject, d.change_type, d.body::text AS body, d.attempts, d.created_at
            FROM {S}.deliveries d
            WHERE d.endpoint_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= now()
              AND NOT EXISTS (SELECT 1 FROM {S}.deliveries p WHERE p.endpoint_id = d.endpoint_id
                              AND p.subject = d.subject AND p.status = 'pending'
                              AND p.position < d.position)
            ORDER BY d.position LIMIT $2""", endpoint_id, limit)


async def mark_delivered(conn: asyncpg.Connection, delivery_ids: Sequence[str]) -> None:
    await conn.execute(
        f"UPDATE {S}.deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = now(), "
        "last_status = 200, last_error = NULL, "
        "latency_ms = (extract(epoch FROM clock_timestamp() - created_at) * 1000)::int "
        "WHERE id = ANY($1::text[]) AND status = 'pending'", list(delivery_ids))


async def mark_dead(conn: asyncpg.Connection, delivery_id: str, attempts: int, status: int | None, error: str) -> None:
    await conn.execute(
        f"UPDATE {S}.deliveries SET status = 'dead', attempts = $2, last_status = $3, last_error = $4 "
        "WHERE id = $1", delivery_id, attempts, status, error)


async def schedule_retry(conn: asyncpg.Connection, delivery_id: str, attempts: int, status: int | None, error: str,
                         wait_s: float) -> None:
    await conn.execute(
        f"UPDATE {S}.deliveries SET attempts = $2, last_status = $3, last_error = $4, "
        "next_attempt_at = now() + make_interval(secs => $5) WHERE id = $1",
        delivery_id, attempts, status, error, wait_s)


async def reset_failures(conn: asyncpg.Connection, endpoint_id: str) -> None:
    await conn.execute(f"UPDATE {S}.endpoints SET consecutive_failures = 0, paused_until = NULL, failing_since = NULL "
                       "WHERE id = $1", endpoint_id)


async def count_failed_round(conn: asyncpg.Connection, endpoint_id: str, some_delivered: bool) -> asyncpg.Record:
    """One more round in a row in which every try failed (none, if some went through):
    ``consecutive_failures`` and how long it has been failing (``failing_s``)."""
    return await conn.fetchrow(
        f"UPDATE {S}.endpoints SET consecutive_failures = CASE WHEN $2 THEN 0 ELSE consecutive_failures + 1 END, "
        "failing_since = CASE WHEN $2 THEN NULL ELSE coalesce(failing_since, now()) END WHERE id = $1 "
        "RETURNING consecutive_failures, coalesce(extract(epoch FROM now() - failing_since), 0)::float8 AS failing_s",
        endpoint_id, some_delivered)


async def pause_endpoint(conn: asyncpg.Connection, endpoint_id: str, pause_s: float) -> datetime:
    return await conn.fetchval(
        f"UPDATE {S}.endpoints SET paused_until = now() + make_interval(secs => $2) WHERE id = $1 "
        "RETURNING paused_until", endpoint_id, pause_s)


# -- precise push (services/distribution/push.py) ------------------------------------------
async def pending_match_jobs(conn: asyncpg.Connection, limit: int = 20) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT * FROM {S}.match_jobs WHERE done_at IS NULL ORDER BY position LIMIT $1", limit)


async def subscriptions_to_index(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT * FROM {S}.subscriptions WHERE indexed_version < version LIMIT $1", limit)


async def mark_indexed(conn: asyncpg.Connection, ids: Sequence[str], versions: Sequence[int]) -> None:
    await conn.execute(
        f"UPDATE {S}.subscriptions s SET indexed_version = x.v FROM unnest($1::text[], $2::int[]) AS x(id, v) "
        "WHERE s.id = x.id", list(ids), list(versions))


async def insert_pushes(conn: asyncpg.Connection, ids: Sequence[str], orgs: Sequence[str], listing_id: str,
                        snapshot: dict, subscription_ids: Sequence[Sequence[str]],
                        channels: Sequence[str]) -> list[asyncpg.Record]:
    """One push per enterprise; unique per (enterprise, listing): a job re-run after a
    crash adds nothing (only the rows inserted are returned)."""
    return await conn.fetch(
        f"""INSERT INTO {S}.pushes (id, org_id, listing_id, subscription_ids, channel, listing)
            SELECT i, o, $3, string_to_array(s, ','), c, $4
            FROM unnest($1::text[], $2::text[], $5::text[], $6::text[]) AS x(i, o, s, c)
            ON CONFLICT (org_id, listing_id) DO NOTHING RETURNING id, org_id, channel, subscription_ids""",
        list(ids), list(orgs), listing_id, snapshot, [",".join(s) for s in subscription_ids], list(channels))


async def finish_match_job(conn: asyncpg.Connection, listing_id: str) -> None:
    await conn.execute(f"UPDATE {S}.match_jobs SET done_at = now() WHERE listing_id = $1", listing_id)
