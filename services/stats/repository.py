"""SQL for the stats schema: the projection's writes and the statistics' reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import asyncpg

from services.stats import domain

# A fact and the dimensions it is resolved from arrive on different topics, in concurrent
# transactions: each writer takes this one lock first, so whichever commits second sees
# the other's rows (a fact inserted before its organisation is known is filled in by the
# organisation's upsert, and never missed by both). One lock for all: no deadlock.
DIMENSIONS_LOCK = 0x5053_4449


async def _dimensions_lock(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", DIMENSIONS_LOCK)


# -- the projection ----------------------------------------------------------------------
async def upsert_org(conn: asyncpg.Connection, org_id: str, kind: str, sub_kind: str | None, name: str,
                     region: str) -> None:
    await _dimensions_lock(conn)
    await conn.execute(
        "INSERT INTO stats.orgs (id, kind, sub_kind, name, region) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, sub_kind = EXCLUDED.sub_kind, name = EXCLUDED.name, "
        "region = EXCLUDED.region", org_id, kind, sub_kind, name, region)
    # Facts recorded before the organisation was known here get its dimensions now (the
    # trigger moves their sums in the rollup).
    await conn.execute(
        "UPDATE stats.facts SET owner_kind = $2, owner_sub_kind = $3, region = $4 "
        "WHERE owner_org_id = $1 AND owner_kind IS NULL", org_id, kind, sub_kind, region)


async def upsert_patents(conn: asyncpg.Connection, patents: Sequence[tuple[str, str, str | None, int]]) -> None:
    """Each patent's latest state, as (id, owner, industry, sequence), one row per patent,
    in two statements however many there are; a replay never takes one back to an older
    state, and facts recorded before their patent was known get its industry."""
    await _dimensions_lock(conn)
    ids, owners, industries, sequences = (list(column) for column in zip(*patents, strict=True))
    await conn.execute(
        "INSERT INTO stats.patents (id, owner_org_id, industry, sequence) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[]) "
        "ON CONFLICT (id) DO UPDATE SET owner_org_id = EXCLUDED.owner_org_id, industry = EXCLUDED.industry, "
        "sequence = EXCLUDED.sequence WHERE stats.patents.sequence < EXCLUDED.sequence",
        ids, owners, industries, sequences)
    await conn.execute(
        "UPDATE stats.facts f SET industry = x.industry FROM unnest($1::text[], $2::text[]) AS x(patent_id, industry) "
        "WHERE f.patent_id = x.patent_id AND f.industry IS NULL AND x.industry IS NOT NULL", ids, industries)


async def upsert_listing(conn: asyncpg.Connection, listing_id: str, patent_ids: Sequence[str],
                         published_at: datetime | None) -> None:
    await conn.execute(
        "INSERT INTO stats.listings (id, patent_ids, published_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE "
        "SET patent_ids = EXCLUDED.patent_ids, published_at = coalesce(stats.listings.published_at, "
        "EXCLUDED.published_at)", listing_id, list(patent_ids), published_at)
    if published_at is not None:
        await _mark_patents(conn, patent_ids, "listed")


async def listing_patents(conn: asyncpg.Connection, listing_id: str) -> list[str]:
    return list(await conn.fetchval("SELECT patent_ids FROM stats.listings WHERE id = $1", listing_id) or [])


async def record_fact(conn: asyncpg.Connection, *, fact_id: str, on: date, channel: str, mode: str, currency: str,
                      deals: int, amount: Decimal, royalties: Decimal, owner_org_id: str,
                      patent_ids: Sequence[str]) -> None:
    """A completed deal (or a royalty payment), once; its dimensions from what is known."""
    patent_id = patent_ids[0] if patent_ids else None
    await _dimensions_lock(conn)
    await conn.execute(
        "INSERT INTO stats.facts (id, on_date, channel, mode, currency, deals, amount, royalties, owner_org_id, "
        "patent_id, owner_kind, owner_sub_kind, region, industry) "
        "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, o.kind, o.sub_kind, o.region, p.industry "
        "FROM (SELECT 1) one LEFT JOIN stats.orgs o ON o.id = $9 LEFT JOIN stats.patents p ON p.id = $10 "
        "ON CONFLICT (id) DO NOTHING",
        fact_id, on, channel, mode, currency, deals, amount, royalties, owner_org_id, patent_id)
    if deals:
        await _mark_patents(conn, patent_ids, "transacted")


async def _mark_patents(conn: asyncpg.Connection, patent_ids: Sequence[str], mark: str) -> None:
    """Listed or transacted, also for a patent whose registration has not arrived yet: its
    row waits with no owner (sequence -1, so the registration's upsert fills it in)."""
    column = {"listed": "listed", "transacted": "transacted"}[mark]
    await conn.execute(
        f"INSERT INTO stats.patents (id, sequence, {column}) SELECT unnest($1::text[]), -1, true "
        f"ON CONFLICT (id) DO UPDATE SET {column} = true WHERE NOT stats.patents.{column}", list(patent_ids))


async def record_licence(conn: asyncpg.Connection, licence_id: str, channel: str, mode: str, owner_org_id: str,
                         patent_id: str) -> None:
    await conn.execute(
        "INSERT INTO stats.licences (id, channel, mode, owner_org_id, patent_id) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO NOTHING", licence_id, channel, mode, owner_org_id, patent_id)


async def licence(conn: asyncpg.Connection, licence_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM stats.licences WHERE id = $1", licence_id)


async def record_activities(conn: asyncpg.Connection, activities: Sequence[tuple[str, str, datetime]]) -> None:
    """Market activity as (id, kind, at), in one statement; each id counts once."""
    await conn.execute(
        "INSERT INTO stats.activity (id, kind, at) SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) "
        "ON CONFLICT (id) DO NOTHING", *(list(column) for column in zip(*activities, strict=True)))


# -- the statistics ----------------------------------------------------------------------
async def rollup(conn: asyncpg.Connection, *, dimension: str, currency: str, first: date, last: date,
                 interval: str) -> list[asyncpg.Record]:
    """Sums by period and value of one dimension over [first, last]: whole months from the
    monthly rollup, the partial months at the edges day by day — a few hundred rows,
    whatever the number of deals. A (period, value) may come twice (a whole month and an
    edge of the same quarter): the caller adds them up."""
    months, edges = domain.split_by_month(first, last)
    (a1, b1), (a2, b2) = (edges + [(None, None), (None, None)])[:2]
    return await conn.fetch(
        "SELECT date_trunc($3, month)::date AS period, value, sum(deals)::bigint AS deals, sum(amount) AS amount, "
        "sum(royalties) AS royalties FROM stats.rollup_monthly "
        "WHERE dimension = $1 AND currency = $2 AND month BETWEEN $4 AND $5 GROUP BY 1, 2 "
        "UNION ALL "
        "SELECT date_trunc($3, day)::date, value, sum(deals)::bigint, sum(amount), sum(royalties) FROM stats.rollup "
        "WHERE dimension = $1 AND currency = $2 AND (day BETWEEN $6 AND $7 OR day BETWEEN $8 AND $9) GROUP BY 1, 2",
        dimension, currency, interval, months[0] if months else None, months[1] if months else None, a1, b1, a2, b2)


async def sum_between(conn: asyncpg.Connection, *, dimension: str, value: str, first: date,
                      last: date) -> tuple[int, Decimal]:
    """Deals and contract value (CNY) of one dimension's value over [first, last]."""
    months, edges = domain.split_by_month(first, last)
    (a1, b1), (a2, b2) = (edges + [(None, None), (None, None)])[:2]
    row = await conn.fetchrow(
        "SELECT coalesce(sum(deals), 0)::bigint AS deals, coalesce(sum(amount), 0) AS amount FROM ("
        "SELECT deals, amount FROM stats.rollup_monthly WHERE dimension = $1 AND value = $2 AND currency = 'CNY' "
        "AND month BETWEEN $3 AND $4 UNION ALL "
        "SELECT deals, amount FROM stats.rollup WHERE dimension = $1 AND value = $2 AND currency = 'CNY' "
        "AND (day BETWEEN $5 AND $6 OR day BETWEEN $7 AND $8)) s",
        dimension, value, months[0] if months else None, months[1] if months else None, a1, b1, a2, b2)
    return row["deals"], row["amount"]


async def inventory(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Per institution: patents registered (held now), listed at least once, transacted."""
    return await conn.fetch(
        "SELECT o.id, o.name, o.sub_kind, o.region, count(*) AS registered, count(*) FILTER (WHERE p.listed) AS listed, "
        "count(*) FILTER (WHERE p.transacted) AS transacted "
        "FROM stats.patents p JOIN stats.orgs o ON o.id = p.owner_org_id WHERE o.kind = 'institution' "
        "GROUP BY o.id, o.name, o.sub_kind, o.region ORDER BY count(*) DESC, o.id LIMIT $1", limit)


async def market_totals(conn: asyncpg.Connection) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT (SELECT count(*) FROM stats.patents WHERE owner_org_id IS NOT NULL) AS patents, "
        "(SELECT count(*) FROM stats.patents WHERE listed AND owner_org_id IS NOT NULL) AS listed, "
        "(SELECT count(*) FROM stats.patents WHERE transacted AND owner_org_id IS NOT NULL) AS transacted, "
        "(SELECT count(*) FROM stats.listings WHERE published_at IS NOT NULL) AS listings_published, "
        "(SELECT count(*) FROM stats.activity WHERE kind = 'roadshow_lead') AS roadshow_leads, "
        "(SELECT count(*) FROM stats.activity WHERE kind = 'push_delivered') AS pushes_delivered")


# -- pledges -----------------------------------------------------------------------------
async def pledge_in_force(conn: asyncpg.Connection, pledge_id: str, pledgor_org_id: str, kind: str, amount: Decimal,
                          currency: str, on: date) -> None:
    await conn.execute(
        "INSERT INTO stats.pledges (id, pledgor_org_id, kind, amount, currency, effective_on) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        pledge_id, pledgor_org_id, kind, amount, currency, on)


async def pledge_ended(conn: asyncpg.Connection, pledge_id: str, on: date) -> None:
    await conn.execute("UPDATE stats.pledges SET ended_on = $2 WHERE id = $1 AND ended_on IS NULL", pledge_id, on)


async def pledges_by_period(conn: asyncpg.Connection, *, first: date, last: date, interval: str,
                            currency: str) -> list[asyncpg.Record]:
    """Per period: pledges in force from then, their amount, and the SMEs (enterprises) among pledgors."""
    return await conn.fetch(
        "SELECT date_trunc($3, p.effective_on)::date AS period, count(*) AS pledges, sum(p.amount) AS amount, "
        "count(DISTINCT p.pledgor_org_id) FILTER (WHERE o.kind = 'enterprise') AS smes "
        "FROM stats.pledges p LEFT JOIN stats.orgs o ON o.id = p.pledgor_org_id "
        "WHERE p.effective_on BETWEEN $1 AND $2 AND p.currency = $4 GROUP BY 1",
        first, last, interval, currency)


async def pledge_totals(conn: asyncpg.Connection, *, first: date, last: date, currency: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE p.effective_on BETWEEN $1 AND $2) AS pledges, "
        "coalesce(sum(p.amount) FILTER (WHERE p.effective_on BETWEEN $1 AND $2), 0) AS amount, "
        "count(DISTINCT p.pledgor_org_id) FILTER (WHERE p.effective_on BETWEEN $1 AND $2 AND o.kind = 'enterprise') "
        "AS smes, coalesce(sum(p.amount) FILTER (WHERE p.effective_on <= $2 AND (p.ended_on IS NULL "
        "OR p.ended_on > $2)), 0) AS outstanding "
        "FROM stats.pledges p LEFT JOIN stats.orgs o ON o.id = p.pledgor_org_id WHERE p.currency = $3",
        first, last, currency)
