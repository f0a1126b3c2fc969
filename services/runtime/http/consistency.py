"""Read-your-writes for requests (see events.consistency for the mechanism and why it
holds): what the HTTP layer waits for before and after running a route."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
from aiohttp import web

from events.consistency import ConsumerBarrier, Notices, Outcomes, OutboxFlush
from events.outages import OUTAGES
from services.runtime.errors import DependencyUnavailable, Refused

log = logging.getLogger("psm.consistency")

T = TypeVar("T")


class WaitBudget:
    """How long a read-your-writes wait may take. After one ran out (Kafka, or the relay
    behind it, is away) the following ones are short until one succeeds again: an outage
    must not cost every request the whole bound. A write's effect is durable either way;
    only read-your-writes is weaker while consumers lag (said once in the log)."""

    def __init__(self, full_s: float, *, short_s: float = 0.2, short_for_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.full_s, self.short_s, self.short_for_s, self.clock = full_s, short_s, short_for_s, clock
        self.short_until = 0.0

    def bound(self) -> float:
        return self.short_s if self.clock() < self.short_until else self.full_s

    def ran_out(self, what: str) -> None:
        if self.clock() >= self.short_until:
            log.warning("%s did not happen within %.1fs: read-your-writes waits are short for %.0fs",
                        what, self.bound(), self.short_for_s)
        self.short_until = self.clock() + self.short_for_s

    def succeeded(self) -> None:
        self.short_until = 0.0


@dataclass
class Consistency:
    """The waits of one process. ``barrier`` is None when this process runs no consumers
    (nothing of its own to catch up), ``flush`` None when it runs no relays."""

    notices: Notices
    pool: asyncpg.Pool
    barrier: ConsumerBarrier | None
    flush: OutboxFlush | None
    outcomes: Outcomes
    service_groups: Mapping[str, Sequence[str]]  # service name → its consumer groups
    upstream_groups: Mapping[str, Sequence[str]]  # service name → the groups of the services it reads
    wait_s: float
    saga_wait_s: float
    budget: WaitBudget = field(default_factory=lambda: WaitBudget(5.0))

    def __post_init__(self) -> None:
        self.budget = WaitBudget(self.wait_s)

    async def caught_up(self, service: str) -> None:
        """Before a request of ``service`` runs: its consumers have applied what was on Kafka.

        Two rounds, so that a fact derived by another service from the earlier write (a
        settlement → the register moves ownership → licences ends a declaration) is seen
        too: first the upstream services' consumers catch up (and, committing only once
        what they derived is on Kafka, put it there), then this service's own.

        Kafka not answering at all is a 503 (nothing was done; the outage is said once, in
        events/outages.py): the request cannot be known to see what was acknowledged
        before it. Consumers merely slow (Kafka answers) let it go on after the bound.
        """
        if self.barrier is None:
            return
        since = None
        for groups in (self.upstream_groups.get(service, ()), self.service_groups.get(service, ())):
            # Whether Kafka answers is asked with the full bound, unless it is known away.
            reach = self.budget.short_s if OUTAGES.is_down("kafka") else self.wait_s
            # The second round reads ends taken after the first round's horizon: what the
            # upstream consumers derived is in them. When they had committed before the
            # first round's ends were taken, those same ends serve: one question to Kafka.
            state, since = await self.barrier.wait(groups, self.budget.bound(), reach_timeout=reach, since=since)
            if state == "unreachable":
                OUTAGES.failed("kafka", f"{service}: reading the topics' end offsets")
                raise DependencyUnavailable("Kafka (the event log) is not reachable right now, so this service "
                                            "cannot be sure it has seen the latest changes; try again in a few "
                                            "seconds", retry_after=2)
            if state == "idle":
                continue
            OUTAGES.answered("kafka")
            if state == "lagging":
                self.budget.ran_out(f"{service}: consumers catching up")
                return
        self.budget.succeeded()

    async def published(self, written: Mapping[str, int]) -> None:
        """After a request committed: the events it wrote are on Kafka."""
        if self.flush is None:
            return
        for schema, upto in written.items():
            if not await self.flush.wait(schema, upto, self.budget.bound()):
                self.budget.ran_out(f"{schema}: publishing the outbox up to {upto}")
                return
        self.budget.succeeded()

    async def published_all(self, schema: str) -> None:
        """Everything ``schema``'s outbox holds now is on Kafka (e.g. what a consumer wrote
        for the aggregate a request waited on)."""
        async with self.pool.acquire() as conn:
            upto = await conn.fetchval(f'SELECT max(id) FROM "{schema}".outbox')
        if upto is not None:
            await self.published({schema: upto})

    async def outcome(self, schema: str, key: str, check: Callable[[asyncpg.Connection], Awaitable[T | None]]) -> T | None:
        """Wait (up to the saga bound) for ``check`` to see the decision on ``key``."""
        return await self.outcomes.wait(schema, key, check, self.saga_wait_s)


async def settle(request: web.Request, response: web.Response, *, schema: str,
                 decided: Callable[[asyncpg.Connection, str], Awaitable[asyncpg.Record | None]],
                 render: Callable[[web.Request, asyncpg.Record], Awaitable[web.Response]]) -> web.Response:
    """A saga route's answer (RouteSpec.settles): the 202 the handler gave, turned into the
    outcome when ``decided`` sees it within the saga bound — ``render``'s answer, or the
    refusal (the record's ``refusal``) as a problem naming its rule and the refused
    resource. The outcome's own events are on Kafka before it is answered."""
    if response.status != 202:
        return response
    location = response.headers["Location"]
    key = location.rsplit("/", 1)[-1]
    consistency: Consistency = request.app[CONSISTENCY]
    row = await consistency.outcome(schema, key, lambda conn: decided(conn, key))
    if row is None:
        return response
    if row["status"] == "refused":
        raise Refused(**row["refusal"], instance=location)
    await consistency.published_all(schema)
    return await render(request, row)


CONSISTENCY = web.AppKey("consistency", Consistency)
