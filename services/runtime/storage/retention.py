"""Bounded growth: rows that only record the past are deleted once they are old enough.

What is kept, and why it is safe to forget (the defaults are settings, README "Retention"):

* **outbox** rows already on Kafka (Kafka keeps the history, with unlimited retention on
  every topic): 7 days. An unpublished row is never deleted, whatever its age. The
  auctions' live WebSocket replays a reconnecting viewer's missed events from its outbox,
  so a viewer away for longer than this gets the auction's state, not every bid since.
* **processed_events** (a consumer's record of the event ids it applied): 7 days. It is
  not what stops an old event taking effect twice: ``consumer_positions`` holds the last
  sequence applied per aggregate and is never pruned (it grows with aggregates, not
  events), and a redelivered event's sequence is at or below it, so it is ignored
  (events/consumer.py). The id record only catches a duplicate inside one batch or a
  redelivery racing the first — both within seconds.
* **idempotency keys**: 24 hours; after that the same key is a new request.
* **venue deliveries** that ended (delivered, dropped): 7 days — the reach of
  ``POST /v1/venues/{id}/replay``; dead letters: 30 days — the reach of ``…/recover``.
  Pending deliveries are never deleted.

Deletion runs in batches (one short statement each, no long lock) on every process;
two processes pruning the same table at once only delete the same rows once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from prometheus_client import CollectorRegistry, Counter

log = logging.getLogger("psm.retention")


@dataclass(frozen=True)
class Retention:
    """Rows of ``schema.table`` whose ``column`` is older than ``keep_s`` and that match
    ``where`` are deleted. ``column`` should carry an index (a BRIN index suffices: the
    tables are appended to in time order)."""

    schema: str
    table: str
    column: str
    keep_s: float
    where: str = "TRUE"
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or f"{self.schema}.{self.table}"

    def statement(self) -> str:
        t = f'"{self.schema}".{self.table}'
        # ctid: delete the very rows the sub-select found, a batch at a time.
        return (f"WITH gone AS (DELETE FROM {t} WHERE ctid = ANY(ARRAY("
                f"SELECT ctid FROM {t} WHERE {self.column} < $1 AND ({self.where}) LIMIT $2)) RETURNING 1) "
                "SELECT count(*) FROM gone")


def event_rules(schema: str, *, outbox_s: float, processed_s: float) -> list[Retention]:
    """The rules of one schema's event tables (events/migrations): its outbox, published
    rows only, and its consumers' record of the ids they applied."""
    return [Retention(schema, "outbox", "created_at", outbox_s, where="published_at IS NOT NULL"),
            Retention(schema, "processed_events", "processed_at", processed_s)]


class Pruner:
    """Deletes what the rules say may go, every ``interval_s``; ``prune()`` once on demand."""

    def __init__(self, pool: asyncpg.Pool, rules: list[Retention], *, interval_s: float = 300.0,
                 batch: int = 5000, registry: CollectorRegistry | None = None) -> None:
        self.pool = pool
        self.rules = rules
        self.interval_s = interval_s
        self.batch = batch
        self.deleted = Counter("psm_retention_deleted_rows", "Rows deleted by the retention rules", ["table"],
                               registry=registry if registry is not None else CollectorRegistry())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.prune()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                # The database is away (reported by the outage log); the next round retries.
                log.debug("pruning postponed: %r", e)

    async def prune(self, now: datetime | None = None) -> dict[str, int]:
        """Delete every row the rules allow (as of ``now``); how many, per rule."""
        now = now or datetime.now(UTC)
        counts: dict[str, int] = {}
        for rule in self.rules:
            cutoff = now - timedelta(seconds=rule.keep_s)
            sql = rule.statement()
            total = 0
            while True:
                async with self.pool.acquire() as conn:
                    n = await conn.fetchval(sql, cutoff, self.batch)
                total += n
                if n < self.batch:
                    break
            counts[rule.name] = total
            if total:
                self.deleted.labels(rule.name).inc(total)
        if any(counts.values()):
            log.info("retention: deleted %s", ", ".join(f"{k} {v}" for k, v in counts.items() if v))
        return counts
