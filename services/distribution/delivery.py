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

from events.schemas.distribution import DeliveryDeadLettered, VenuePaused
from services.distribution import domain
from services.distribution import repository as repo
from services.distribution.handlers import NOTIFY_CHANNEL, OUTBOX
from services.runtime import webhooks
from services.runtime.settings import Settings

log = logging.getLogger("psm.distribution.delivery")

def policy_of(settings: Settings) -> domain.DeliveryPolicy:
    """The ``PSM_DELIVERY_*`` settings that are set, over the policy's defaults."""
    given = {"max_attempts": settings.delivery_max_attempts, "backoff_base_s": settings.delivery_backoff_base_s,
             "backoff_cap_s": settings.delivery_backoff_cap_s,
             "request_timeout_s": settings.delivery_request_timeout_s, "lease_s": settings.delivery_lease_s}
    return domain.DeliveryPolicy(**{k: v for k, v in given.items() if v is not None})


class DeliveryWorker:
    """Serves every endpoint's queue (see the module doc). ``policy`` None: from the app's settings."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, policy: domain.DeliveryPolicy | None = None) -> None:
        self.pool = pool
        self.database_url = settings.database_url  # its LISTEN connection is its own, not a pooled one
        self.policy = policy or policy_of(settings)
        self.me = f"w_{secrets.token_hex(6)}"
        self.running: dict[str, asyncio.Task] = {}
        self._wake = asyncio.Event()

    async def run(self) -> None:
        pool = self.pool
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
        url = self.database_url
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
            for endpoint_id in await repo.due_endpoints(conn, self.me, list(self.running), free):
                claimed = await repo.claim_endpoint(conn, self.me, endpoint_id, self.policy.lease_s)
                if claimed:
                    task = asyncio.create_task(self._serve(pool, http, claimed), name=f"deliver-{claimed}")
                    self.running[claimed] = task
                    task.add_done_callback(lambda _t, k=claimed: self.running.pop(k, None))

    async def _serve(self, pool: asyncpg.Pool, http: aiohttp.ClientSession, endpoint_id: str) -> None:
        try:
            while True:
                async with pool.acquire() as conn:
                    endpoint = await repo.renew_lease(conn, self.me, endpoint_id, self.policy.lease_s)
                    if endpoint is None:
                        return
                    heads = await repo.queue_heads(conn, endpoint_id, self.policy.batch)
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
                    await repo.release_lease(conn, self.me, endpoint_id)

    async def _send(self, http: aiohttp.ClientSession, endpoint: asyncpg.Record,
                    d: asyncpg.Record) -> tuple[int | None, str] | None:
        """None when the receiver took it (2xx), else (status, error)."""
        body = json.dumps(d["body"], ensure_ascii=False, separators=(",", ":")).encode()
        ts = int(time.time())
        headers = {"webhook-id": d["id"], "webhook-timestamp": str(ts),
                   "webhook-signature": webhooks.sign(endpoint["secret"], d["id"], ts, body),
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
            await repo.mark_delivered(conn, ok)
        failures = 0
        for d, r in zip(heads, results):
            if r is None:
                continue
            failures += 1
            status, error = r
            attempts = d["attempts"] + 1
            wait = self.policy.next_attempt_in(attempts)
            if wait is None:
                await repo.mark_dead(conn, d["id"], attempts, status, error)
                await OUTBOX.record(conn, d["id"], DeliveryDeadLettered(
                    delivery_id=d["id"], endpoint_id=d["endpoint_id"], subject=d["subject"],
                    change_type=d["change_type"], attempts=attempts, last_error=error))
            else:
                await repo.schedule_retry(conn, d["id"], attempts, status, error, wait.total_seconds())
        if failures == 0:
            if endpoint["consecutive_failures"]:
                await repo.reset_failures(conn, endpoint["id"])
            return
        count = await repo.count_failed_round(conn, endpoint["id"], bool(ok))
        if self.policy.pause_due(count):
            resume_at = await repo.pause_endpoint(conn, endpoint["id"], self.policy.pause_s)
            await OUTBOX.record(conn, endpoint["id"], VenuePaused(venue_id=endpoint["id"], consecutive_failures=count,
                                                                  resume_at=resume_at.astimezone(UTC)))
            log.warning("endpoint %s paused until %s after %d failures", endpoint["id"], resume_at, count)

