"""Webhook delivery workers (Standard Webhooks).

Guarantees, and how they are kept:

* **At least once, one webhook-id.** A delivery row is created with the change, in the
  consumer's transaction; its id is the ``webhook-id`` of every try, retry and replay.
  A row is marked delivered only after the receiver answered 2xx, so a crash between
  the two sends it again, under the same id.
* **In order per entity per endpoint.** Only the oldest pending delivery of each
  (endpoint, subject) is ever claimed; the next one waits until it is delivered or
  dead-lettered, including while it backs off. A dead-lettered delivery does not hold
  the entity's later changes back (each carries the full snapshot and ``seq``); a
  manual retry of it can therefore arrive after them: receivers keep the highest seq.
* **No endpoint delays another.** The dispatcher only hands endpoints to tasks; each
  endpoint is served by its own task (at most ``max_endpoints_in_flight`` at once),
  each request has a timeout, and an endpoint's lease keeps other processes off it.
* **Back-off with jitter, dead letter, pause.** Failed tries back off exponentially
  with jitter; after the last one the delivery is ``dead`` (event
  ``psm.delivery.dead_lettered.v1``); an endpoint whose every try fails ``pause_after_failures``
  rounds in a row is paused for ``pause_s``, then probed, and resumes on a success.
* **Woken, not only polled.** The transactions that queue deliveries ``NOTIFY``
  ``NOTIFY_CHANNEL``; the worker ``LISTEN``s on its own connection and dispatches at
  once. Polling every ``poll_s`` stays as the fallback (a lost listener connection,
  a back-off coming due, an endpoint released by a crashed process's lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from datetime import UTC

import aiohttp
import asyncpg
from aiohttp import web

from events.schemas.distribution import DeliveryDeadLettered, VenuePaused
from services.distribution import domain
from services.distribution.handlers import NOTIFY_CHANNEL, OUTBOX
from services.runtime.http.state import DB, SETTINGS
from services.runtime.settings import Settings

log = logging.getLogger("psm.distribution.delivery")

S = "distribution"


def policy_of(settings: Settings) -> domain.DeliveryPolicy:
    """The ``PSM_DELIVERY_*`` settings that are set, over the policy's defaults."""
    given = {"max_attempts": settings.delivery_max_attempts, "backoff_base_s": settings.delivery_backoff_base_s,
             "backoff_cap_s": settings.delivery_backoff_cap_s,
             "request_timeout_s": settings.delivery_request_timeout_s, "lease_s": settings.delivery_lease_s}
    return domain.DeliveryPolicy(**{k: v for k, v in given.items() if v is not None})


class DeliveryWorker:
    """Serves every endpoint's queue (see the module doc). ``policy`` None: from the app's settings."""

    def __init__(self, app: web.Application, policy: domain.DeliveryPolicy | None = None) -> None:
        self.app = app
        self.policy = policy or policy_of(app[SETTINGS])
        self.me = f"w_{secrets.token_hex(6)}"
        self.running: dict[str, asyncio.Task] = {}
        self._wake = asyncio.Event()

    async def run(self) -> None:
        pool: asyncpg.Pool = self.app[DB]
        timeout = aiohttp.ClientTimeout(total=self.policy.request_timeout_s)
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=8)
        listener = asyncio.create_task(self._listen(), name="deliveries-listen")
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            try:
                while True:
                    self._wake.clear()
                    try:
                        await self._dispatch(pool, http)
                    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                        log.warning("delivery dispatcher: %s: %s", type(e).__name__, e)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.policy.poll_s):
                            await self._wake.wait()
            finally:
                listener.cancel()
                for t in self.running.values():
                    t.cancel()
                for t in [listener, *self.running.values()]:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await t

    async def _listen(self) -> None:
        """LISTEN on a connection of its own (a pooled one would be reset on release);
        reconnect after a loss, meanwhile the dispatcher polls."""
        url = self.app[SETTINGS].database_url
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(url, server_settings={"application_name": "psm-deliveries-listen"})
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                while not conn.is_closed():
                    await asyncio.sleep(1.0)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                log.warning("delivery listener: %s: %s", type(e).__name__, e)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
            await asyncio.sleep(1.0)

    def _on_notify(self, *_args) -> None:
        self._wake.set()

    async def _dispatch(self, pool: asyncpg.Pool, http: aiohttp.ClientSession) -> None:
        free = self.policy.max_endpoints_in_flight - len(self.running)
        if free <= 0:
            return
        async with pool.acquire() as conn:
            due = await conn.fetch(
                f"""SELECT e.id FROM {S}.endpoints e
                    WHERE e.url IS NOT NULL AND NOT (e.id = ANY($2::text[]))
                      AND (e.paused_until IS NULL OR e.paused_until <= now())
                      AND (e.lease_until IS NULL OR e.lease_until < now() OR e.lease_owner = $1)
                      AND EXISTS (SELECT 1 FROM {S}.deliveries d WHERE d.endpoint_id = e.id
                                  AND d.status = 'pending' AND d.next_attempt_at <= now())
                    LIMIT $3""", self.me, list(self.running), free)
            for r in due:
                claimed = await conn.fetchval(
                    f"UPDATE {S}.endpoints SET lease_owner = $1, lease_until = now() + make_interval(secs => $3) "
                    "WHERE id = $2 AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1) RETURNING id",
                    self.me, r["id"], self.policy.lease_s)
                if claimed:
                    task = asyncio.create_task(self._serve(pool, http, claimed), name=f"deliver-{claimed}")
                    self.running[claimed] = task
                    task.add_done_callback(lambda _t, k=claimed: self.running.pop(k, None))

    async def _serve(self, pool: asyncpg.Pool, http: aiohttp.ClientSession, endpoint_id: str) -> None:
        try:
            while True:
                async with pool.acquire() as conn:
                    endpoint = await conn.fetchrow(
                        f"UPDATE {S}.endpoints SET lease_until = now() + make_interval(secs => $3) "
                        "WHERE id = $1 AND lease_owner = $2 AND (paused_until IS NULL OR paused_until <= now()) "
                        "RETURNING *", endpoint_id, self.me, self.policy.lease_s)
                    if endpoint is None:
                        return
                    # The head of each entity's queue, if due: never a later change of an
                    # entity while an earlier one is pending (ordering; see module doc).
                    heads = await conn.fetch(
                        f"""SELECT d.* FROM {S}.deliveries d
                            WHERE d.endpoint_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= now()
                              AND NOT EXISTS (SELECT 1 FROM {S}.deliveries p WHERE p.endpoint_id = d.endpoint_id
                                              AND p.subject = d.subject AND p.status = 'pending'
                                              AND p.position < d.position)
                            ORDER BY d.position LIMIT $2""", endpoint_id, self.policy.batch)
                if not heads:
                    return
                results = await asyncio.gather(*(self._send(http, endpoint, d) for d in heads))
                async with pool.acquire() as conn, conn.transaction():
                    await self._settle(conn, endpoint, heads, results)
                if any(r is not None for r in results):
                    return  # back off: the dispatcher comes back when something is due
        finally:
            with contextlib.suppress(Exception):
                async with pool.acquire() as conn:
                    await conn.execute(f"UPDATE {S}.endpoints SET lease_until = NULL, lease_owner = NULL "
                                       "WHERE id = $1 AND lease_owner = $2", endpoint_id, self.me)

    async def _send(self, http: aiohttp.ClientSession, endpoint: asyncpg.Record,
                    d: asyncpg.Record) -> tuple[int | None, str] | None:
        """None when the receiver took it (2xx), else (status, error)."""
        body = json.dumps(d["body"], ensure_ascii=False, separators=(",", ":")).encode()
        ts = int(time.time())
        headers = {"webhook-id": d["id"], "webhook-timestamp": str(ts),
                   "webhook-signature": domain.sign(endpoint["secret"], d["id"], ts, body),
                   "content-type": "application/json", "user-agent": "psm-distribution/1"}
        try:
            async with http.post(endpoint["url"], data=body, headers=headers, allow_redirects=False) as r:
                await r.read()
                if 200 <= r.status < 300:
                    return None
                return r.status, f"HTTP {r.status}"
        except asyncio.CancelledError:
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            return None, f"{type(e).__name__}: {e}"[:500]

    async def _settle(self, conn: asyncpg.Connection, endpoint: asyncpg.Record, heads: list[asyncpg.Record],
                      results: list[tuple[int | None, str] | None]) -> None:
        ok = [d["id"] for d, r in zip(heads, results) if r is None]
        if ok:
            await conn.execute(
                f"UPDATE {S}.deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = now(), "
                "last_status = 200, last_error = NULL, "
                "latency_ms = (extract(epoch FROM clock_timestamp() - created_at) * 1000)::int "
                "WHERE id = ANY($1::text[]) AND status = 'pending'", ok)
        failures = 0
        for d, r in zip(heads, results):
            if r is None:
                continue
            failures += 1
            status, error = r
            attempts = d["attempts"] + 1
            wait = self.policy.next_attempt_in(attempts)
            if wait is None:
                await conn.execute(
                    f"UPDATE {S}.deliveries SET status = 'dead', attempts = $2, last_status = $3, last_error = $4 "
                    "WHERE id = $1", d["id"], attempts, status, error)
                await OUTBOX.record(conn, d["id"], DeliveryDeadLettered(
                    delivery_id=d["id"], endpoint_id=d["endpoint_id"], subject=d["subject"],
                    change_type=d["change_type"], attempts=attempts, last_error=error))
            else:
                await conn.execute(
                    f"UPDATE {S}.deliveries SET attempts = $2, last_status = $3, last_error = $4, "
                    "next_attempt_at = now() + make_interval(secs => $5) WHERE id = $1",
                    d["id"], attempts, status, error, wait.total_seconds())
        if failures == 0:
            if endpoint["consecutive_failures"]:
                await conn.execute(f"UPDATE {S}.endpoints SET consecutive_failures = 0, paused_until = NULL "
                                   "WHERE id = $1", endpoint["id"])
            return
        count = await conn.fetchval(
            f"UPDATE {S}.endpoints SET consecutive_failures = "
            "CASE WHEN $2 THEN 0 ELSE consecutive_failures + 1 END WHERE id = $1 RETURNING consecutive_failures",
            endpoint["id"], bool(ok))
        if self.policy.pause_due(count):
            resume_at = await conn.fetchval(
                f"UPDATE {S}.endpoints SET paused_until = now() + make_interval(secs => $2) WHERE id = $1 "
                "RETURNING paused_until", endpoint["id"], self.policy.pause_s)
            await OUTBOX.record(conn, endpoint["id"], VenuePaused(venue_id=endpoint["id"], consecutive_failures=count,
                                                                  resume_at=resume_at.astimezone(UTC)))
            log.warning("endpoint %s paused until %s after %d failures", endpoint["id"], resume_at, count)

