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
  with jitter (by default over at least 25.7 hours, ``DeliveryPolicy``); after the last
  one the delivery is ``dead`` (event ``psm.delivery.dead_lettered.v1``); an endpoint whose
  every try fails ``pause_after_failures`` rounds in a row is paused for ``pause_s``,
  then probed, and resumes on a success.
* **The receiver's answer is honoured** (Standard Webhooks): 410 disables the endpoint;
  429, 502, 503 and 504 hold the whole endpoint back for its ``Retry-After`` (or the
  back-off); redirects are not followed (a 3xx is a failure). An endpoint failing every
  try for ``disable_after_s`` is disabled. Each disabling is an event
  (``psm.venue.disabled.v1``) and a notice in the owner's inbox.
* **A venue's own pace.** ``rate_limit_per_s`` caps what its endpoint is sent per second;
  the wait is that endpoint's task's alone.
* **Never inside.** Targets resolving to loopback, private or link-local addresses are
  refused at connection time too (``targets.SafeResolver``), against DNS rebinding.
* **Two signatures while a secret rotates**: the new one and, for the overlap, the old.
* **Woken, not only polled.** The transactions that queue deliveries ``NOTIFY``
  ``NOTIFY_CHANNEL``; the worker ``LISTEN``s on its own connection and dispatches at
  once. Polling every ``poll_s`` stays as the fallback (a lost listener connection,
  a back-off coming due, an endpoint released by a crashed process's lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from datetime import UTC, datetime

import aiohttp
import asyncpg

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from events.schemas.distribution import DeliveryDeadLettered, VenuePaused
from services.distribution import domain, targets
from services.distribution import repository as repo
from services.distribution.handlers import NOTIFY_CHANNEL, OUTBOX, disabled
from services.runtime import webhooks
from services.runtime.settings import Settings

log = logging.getLogger("psm.distribution.delivery")

CONNECTIONS_PER_ENDPOINT = 8  # one endpoint's requests at once


class LeaseLost(Exception):
    """Another worker holds the endpoint now (this one stalled past its lease)."""


def policy_of(settings: Settings) -> domain.DeliveryPolicy:
    """The ``PSM_DELIVERY_*`` settings that are set, over the policy's defaults."""
    given = {"max_attempts": settings.delivery_max_attempts, "backoff_base_s": settings.delivery_backoff_base_s,
             "backoff_cap_s": settings.delivery_backoff_cap_s,
             "request_timeout_s": settings.delivery_request_timeout_s, "lease_s": settings.delivery_lease_s}
    return domain.DeliveryPolicy(**{k: v for k, v in given.items() if v is not None})


class DeliveryMetrics:
    """What /metrics says about deliveries (registered in the process's registry)."""

    GAUGE_EVERY_S = 5.0

    def __init__(self, registry: CollectorRegistry | None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.attempts = Counter("psm_delivery_attempts", "Webhook delivery attempts", ["outcome", "status_class"],
                                registry=registry)
        self.latency = Histogram("psm_delivery_latency_seconds", "From the change being recorded to the receiver's 2xx",
                                 registry=registry, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600))
        self.backlog = Gauge("psm_delivery_backlog", "Deliveries pending, per endpoint", ["endpoint"],
                             registry=registry)
        self.oldest = Gauge("psm_delivery_oldest_pending_seconds", "Age of the oldest pending delivery, per endpoint",
                            ["endpoint"], registry=registry)
        self.disabled = Gauge("psm_delivery_endpoints_disabled", "Endpoints disabled (410, or failing too long)",
                              registry=registry)
        self._shown: set[str] = set()
        self._at = 0.0

    def due(self) -> bool:
        return time.monotonic() - self._at >= self.GAUGE_EVERY_S

    async def refresh(self, conn: asyncpg.Connection) -> None:
        self._at = time.monotonic()
        rows = await repo.backlog(conn)
        now_shown = set()
        for r in rows:
            self.backlog.labels(r["endpoint_id"]).set(r["pending"])
            self.oldest.labels(r["endpoint_id"]).set(r["oldest_s"])
            now_shown.add(r["endpoint_id"])
        for gone in self._shown - now_shown:
            self.backlog.labels(gone).set(0)
            self.oldest.labels(gone).set(0)
        self._shown = now_shown
        self.disabled.set(await repo.disabled_count(conn))


class DeliveryWorker:
    """Serves every endpoint's queue (see the module doc). ``policy`` None: from the app's settings."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, policy: domain.DeliveryPolicy | None = None,
                 registry: CollectorRegistry | None = None) -> None:
        self.pool = pool
        self.database_url = settings.database_url  # its LISTEN connection is its own, not a pooled one
        self.policy = policy or policy_of(settings)
        self.allow_private = settings.webhooks_allow_private
        self.me = f"w_{secrets.token_hex(6)}"
        self.running: dict[str, asyncio.Task] = {}
        self.metrics = DeliveryMetrics(registry)
        self._wake = asyncio.Event()

    async def run(self) -> None:
        pool = self.pool
        timeout = aiohttp.ClientTimeout(total=self.policy.request_timeout_s)
        # No pool limit: each endpoint's requests are bounded by its round (``_round``), so a
        # request never waits for a connection inside its own timeout.
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, resolver=targets.SafeResolver(self.allow_private))
        listener = asyncio.create_task(self._listen(), name="deliveries-listen")
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            try:
                while True:
                    self._wake.clear()
                    try:
                        await self._dispatch(pool, http)
                        if self.metrics.due():  # (not a pooled connection every poll for nothing)
                            async with pool.acquire() as conn:
                                await self.metrics.refresh(conn)
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
            async with pool.acquire() as conn:
                endpoint, heads = await self._next_round(conn, endpoint_id)
            while heads:
                results = await self._round(pool, http, endpoint, heads)
                # The pace counts from the round's last answer, not from its first send: every
                # message of it has then arrived, so the next round can never reach the venue
                # sooner than len(heads)/rate after any of them, however long one send took.
                answered = time.monotonic()
                failed = any(r is not None for r in results)
                rate = endpoint["rate_limit_per_s"]
                # One pooled connection settles this round and takes the next one's heads
                # (a pooled connection's release costs a round trip of its own).
                async with pool.acquire() as conn:
                    if failed or endpoint["consecutive_failures"]:
                        async with conn.transaction():
                            await self._settle(conn, endpoint, heads, results)
                    else:
                        await self._settle(conn, endpoint, heads, results)  # one statement: no transaction
                    if failed:
                        return  # back off: the dispatcher comes back when something is due
                    if rate is None:
                        endpoint, heads = await self._next_round(conn, endpoint_id)
                        continue
                # The venue's own pace: this endpoint's task waits, no other.
                await asyncio.sleep(max(0.0, len(heads) / float(rate) - (time.monotonic() - answered)))
                async with pool.acquire() as conn:
                    endpoint, heads = await self._next_round(conn, endpoint_id)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, LeaseLost) as e:
            log.warning("endpoint %s: %s: %s", endpoint_id, type(e).__name__, e)  # tried again when due
        except Exception:  # noqa: BLE001 — a bug must not silently stop an endpoint's deliveries
            log.exception("endpoint %s: serving failed", endpoint_id)
        finally:
            with contextlib.suppress(Exception):
                async with pool.acquire() as conn:
                    await repo.release_lease(conn, self.me, endpoint_id)

    async def _round(self, pool: asyncpg.Pool, http: aiohttp.ClientSession, endpoint: asyncpg.Record,
                     heads: list[asyncpg.Record]) -> list[tuple[int | None, str, float | None] | None]:
        """The round's requests, ``CONNECTIONS_PER_ENDPOINT`` at a time, each timed from when
        it starts (not from when it queued behind the others: a slow but healthy receiver's
        later requests would time out unsent). The endpoint's lease is extended every third
        of itself while they are out: ``batch`` slow answers can outlast one lease, and
        another process taking the endpoint meanwhile would send its heads again and could
        deliver an entity's next change before this round's request left."""
        gate = asyncio.Semaphore(CONNECTIONS_PER_ENDPOINT)

        async def send(d: asyncpg.Record) -> tuple[int | None, str, float | None] | None:
            async with gate:
                return await self._send(http, endpoint, d)

        sending = asyncio.gather(*(send(d) for d in heads))
        try:
            while True:
                done, _ = await asyncio.wait({sending}, timeout=self.policy.lease_s / 3)
                if done:
                    return sending.result()
                async with pool.acquire() as conn:
                    if not await repo.extend_lease(conn, self.me, endpoint["id"], self.policy.lease_s):
                        raise LeaseLost(f"lost the lease of {endpoint['id']} mid-round; its heads stay pending")
        finally:
            if not sending.done():
                sending.cancel()  # what was not answered stays pending: sent again, same webhook-id
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sending

    async def _next_round(self, conn: asyncpg.Connection,
                          endpoint_id: str) -> tuple[asyncpg.Record | None, list[asyncpg.Record]]:
        """The endpoint (its lease renewed) and the heads due now; no heads if the lease is
        gone or the endpoint is paused, throttled, disabled or deleted."""
        endpoint = await repo.renew_lease(conn, self.me, endpoint_id, self.policy.lease_s)
        if endpoint is None:
            return None, []
        rate = float(endpoint["rate_limit_per_s"]) if endpoint["rate_limit_per_s"] is not None else None
        batch = self.policy.batch if rate is None else max(1, min(self.policy.batch, int(rate)))
        return endpoint, await repo.queue_heads(conn, endpoint_id, batch)

    async def _send(self, http: aiohttp.ClientSession, endpoint: asyncpg.Record,
                    d: asyncpg.Record) -> tuple[int | None, str, float | None] | None:
        """None when the receiver took it (2xx), else (status, error, Retry-After in s)."""
        body = d["body"].encode()  # the stored JSON text (queue_heads)
        ts = int(time.time())
        signatures = [webhooks.sign(endpoint["secret"], d["id"], ts, body)]
        until = endpoint["previous_secret_until"]
        if endpoint["previous_secret"] and until is not None and until.timestamp() > time.time():
            signatures.append(webhooks.sign(endpoint["previous_secret"], d["id"], ts, body))  # rotation overlap
        headers = {"webhook-id": d["id"], "webhook-timestamp": str(ts), "webhook-signature": " ".join(signatures),
                   "content-type": "application/json", "user-agent": "psm-distribution/1"}
        inside = targets.refused_literal(endpoint["url"], self.allow_private)
        if inside is not None:
            return self._counted(None, f"refused: {inside} (an internal address)", None)
        try:
            async with http.post(endpoint["url"], data=body, headers=headers, allow_redirects=False) as r:
                await r.read()
                if 200 <= r.status < 300:
                    self.metrics.attempts.labels("success", f"{r.status // 100}xx").inc()
                    self.metrics.latency.observe(max(0.0, time.time() - d["created_at"].timestamp()))
                    return None
                retry_after = domain.retry_after_seconds(r.headers.get("Retry-After"), datetime.now(UTC))
                return self._counted(r.status, f"HTTP {r.status}", retry_after)
        except asyncio.CancelledError:
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            return self._counted(None, f"{type(e).__name__}: {e}"[:500], None)

    def _counted(self, status: int | None, error: str, retry_after: float | None) -> tuple[int | None, str, float | None]:
        self.metrics.attempts.labels("failure", domain.status_class(status, error)).inc()
        return status, error, retry_after

    async def _settle(self, conn: asyncpg.Connection, endpoint: asyncpg.Record, heads: list[asyncpg.Record],
                      results: list[tuple[int | None, str] | None]) -> None:
        ok = [d["id"] for d, r in zip(heads, results) if r is None]
        if ok:
            await repo.mark_delivered(conn, ok)
        failures = 0
        statuses = {r[0] for r in results if r is not None}
        if domain.GONE in statuses:
            await self._disable(conn, endpoint, "the receiver answered 410 Gone")
        throttled = [r[2] if r[2] is not None else 0.0 for r in results
                     if r is not None and r[0] in domain.THROTTLE_STATUSES]
        if throttled:
            # The receiver asked to slow down: nothing goes to it before the longest wait
            # it named (or the first back-off step).
            hold = max(max(throttled), self.policy.backoff_base_s)
            await repo.throttle_endpoint(conn, endpoint["id"], min(hold, self.policy.max_retry_after_s))
        for d, r in zip(heads, results):
            if r is None:
                continue
            failures += 1
            status, error, retry_after = r
            attempts = d["attempts"] + 1
            wait = self.policy.retry_wait(attempts, retry_after)
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
        failing = await repo.count_failed_round(conn, endpoint["id"], bool(ok))
        count = failing["consecutive_failures"]
        if failing["failing_s"] >= self.policy.disable_after_s:
            await self._disable(conn, endpoint, f"every try failed for {failing['failing_s'] / 86400:.1f} days")
        elif self.policy.pause_due(count):
            resume_at = await repo.pause_endpoint(conn, endpoint["id"], self.policy.pause_s)
            await OUTBOX.record(conn, endpoint["id"], VenuePaused(venue_id=endpoint["id"], consecutive_failures=count,
                                                                  resume_at=resume_at.astimezone(UTC)))
            log.warning("endpoint %s paused until %s after %d failures", endpoint["id"], resume_at, count)


    async def _disable(self, conn: asyncpg.Connection, endpoint: asyncpg.Record, reason: str) -> None:
        row = await repo.disable_endpoint(conn, endpoint["id"], reason)
        if row is not None:
            await disabled(conn, row, reason)
            log.warning("endpoint %s disabled: %s", endpoint["id"], reason)
