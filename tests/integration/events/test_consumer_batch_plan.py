"""The statement a consumer's batch opens with finds each subject's position by its key,
also in the plan PostgreSQL makes for a prepared statement (the generic one) on a table
without statistics — a new database during a bulk import, where the earlier form
(``subject = ANY($3)``) filtered every position of the group against the whole array."""

from __future__ import annotations

import json
import re

import asyncpg
from event_harness import SCHEMA

from events.consumer import open_batch_sql

POSITIONS = 20_000


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


async def test_positions_are_probed_by_key_without_statistics(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        # No statistics, as in a new database before autovacuum's first pass.
        await conn.execute(f"ALTER TABLE {SCHEMA}.consumer_positions SET (autovacuum_enabled = false)")
        await conn.execute(f"INSERT INTO {SCHEMA}.consumer_positions SELECT 'g', 'pat_' || i, 1 "
                           f"FROM generate_series(1, {POSITIONS}) AS i")
        analysed = await conn.fetchval("SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL "
                                       "FROM pg_stat_user_tables WHERE relname = 'consumer_positions' "
                                       "AND schemaname = $1", SCHEMA)
        assert analysed is False
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await conn.execute(f"PREPARE open_batch(text, uuid[], text[]) AS {open_batch_sql(SCHEMA)}")
        subjects = sorted(f"pat_{i}" for i in range(1, 501))
        async with conn.transaction():
            array = "ARRAY[" + ", ".join(f"'{s}'" for s in subjects) + "]"  # EXPLAIN EXECUTE takes no parameters
            [explained] = await conn.fetchrow(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE open_batch('g', '{{}}', {array})")
        plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]  # the pool decodes json
        scans = [n for n in _nodes(plan) if n.get("Relation Name") == "consumer_positions"]
        assert scans, plan
        for scan in scans:
            # One probe per subject by the primary key, nothing filtered row by row.
            assert re.search(r"\(subject = b(_\d+)?\.subject\)", scan.get("Index Cond", "")), scan
            assert "Filter" not in scan and scan.get("Rows Removed by Filter", 0) == 0, scan
            assert scan["Actual Rows"] * scan["Actual Loops"] == len(subjects), scan
        async with conn.transaction():
            rows = await conn.fetch(open_batch_sql(SCHEMA), "g", [], subjects)
        assert [r["key"] for r in rows if r["kind"] == "p"] == subjects  # found, in the order locked
