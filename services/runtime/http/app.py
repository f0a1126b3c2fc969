"""The application factory: the only place where pools, clients and tasks are made.

Each resource has its own ``cleanup_ctx`` (its cleanup runs only if its start-up did);
background work (outbox relays, event consumers) runs as tasks started and cancelled
inside a ``cleanup_ctx``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from events.consistency import ConsumerBarrier, Notices, Outcomes, OutboxFlush
from events.consumer import EventConsumer
from events.relay import OutboxRelay, kafka_producer
from events.supervise import stop_all, supervise
from events.topics import ensure_topics, physical
from services.runtime.http import ops
from services.runtime.http.observability import Metrics, observability_middleware
from services.runtime.http.openapi import build_openapi
from services.runtime.http.asyncapi import build_asyncapi
from services.runtime.http.problems import problem_middleware
from services.runtime.http.consistency import Consistency
from services.runtime.auth import KeyAuthenticator, KeyCache
from services.runtime.http.state import AUTHENTICATOR, CONSISTENCY, DB, ES, METRICS, PRODUCER, SETTINGS
from services.runtime.module import Resources, ServiceModule
from services.runtime.settings import Settings
from services.runtime.storage import apply_migrations, close_pool, create_pool, elasticsearch_client
from services.runtime.storage.retention import Pruner, Retention, event_rules

log = logging.getLogger("psm.app")

EVENTS_MIGRATIONS = Path(__file__).resolve().parents[3] / "events" / "migrations"
HTTP_MIGRATIONS = Path(__file__).resolve().parent / "migrations"

MODULES = web.AppKey("modules", list)
PEERS = web.AppKey("peers", list)
RESOURCES = web.AppKey("resources", Resources)
STARTED = web.AppKey("started", list)  # runners that modules' start-up hooks returned


# aiohttp's HTTP parser (RequestHandler keyword arguments): a request line or header past these is answered in plain text
# before any middleware runs. They are set above what the API accepts, so that the
# problem middleware answers a long URL (414) or header itself, as problem+json.
HANDLER_ARGS = {"max_line_size": 65536, "max_field_size": 65536}


def create_app(settings: Settings, modules: Sequence[ServiceModule], *, relays: bool = True,
               consumers: bool = True, peers: Sequence[ServiceModule] | None = None) -> web.Application:
    """The services ``modules`` in one process. ``peers``: every service of the deployment
    (default: ``modules``), wherever it runs — read-your-writes waits for their consumer
    groups by name, through Kafka, also when they run in other processes."""
    metrics = Metrics()
    app = web.Application(middlewares=[observability_middleware(metrics), problem_middleware],
                          client_max_size=max(settings.max_body_bytes, settings.max_upload_bytes))
    app[SETTINGS] = settings
    app[METRICS] = metrics
    # Every process authenticates, whichever services it runs (services/runtime/auth.py).
    app[AUTHENTICATOR] = KeyAuthenticator(settings.operator_key.get_secret_value() if settings.operator_key else None,
                                          cache=KeyCache(settings.database_url))
    app[MODULES] = list(modules)
    app[PEERS] = list({m.name: m for m in [*(peers or ()), *modules]}.values())
    app[ops.OUTBOX_SCHEMAS] = [m.schema for m in modules]
    app[ops.SERVICES] = list(modules)
    app[ops.CONSUMERS] = []
    app[ops.RELAYS] = []

    ops.install(app)
    routes = []
    for m in modules:
        m.api.install(app)
        routes.extend(m.api.routes)
    app[ops.OPENAPI] = build_openapi(routes)
    app[ops.ASYNCAPI] = build_asyncapi()

    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_elasticsearch)
    app.cleanup_ctx.append(_kafka)
    app.cleanup_ctx.append(_startup_hooks)
    app.cleanup_ctx.append(_consistency(relays=relays, consumers=consumers))
    if relays:
        app.cleanup_ctx.append(_relays)
    if consumers:
        app.cleanup_ctx.append(_consumers)
    app.cleanup_ctx.append(_workers)
    return app


def retention_rules(settings: Settings, modules: Sequence[ServiceModule]) -> list[Retention]:
    """What this process prunes: each module's outbox (published rows) and processed
    events, the idempotency keys, and what each module adds of its own tables."""
    rules = [Retention("http", "idempotency_keys", "created_at", settings.idempotency_retention_s)]
    for m in modules:
        rules.extend(event_rules(m.schema, outbox_s=settings.outbox_retention_s,
                                 processed_s=settings.processed_events_retention_s))
        if m.retention is not None:
            rules.extend(m.retention(settings))
    return rules


async def migrate(pool, modules: Sequence[ServiceModule]) -> None:
    await apply_migrations(pool, "http", HTTP_MIGRATIONS)
    for m in modules:
        await apply_migrations(pool, m.schema, EVENTS_MIGRATIONS, namespace="events")
        await apply_migrations(pool, m.schema, m.migrations)


async def _database(app: web.Application):
    pool = await create_pool(app[SETTINGS])
    app[DB] = pool
    try:
        await migrate(pool, app[MODULES])
        yield
    finally:
        await close_pool(pool)


async def _elasticsearch(app: web.Application):
    es = elasticsearch_client(app[SETTINGS].elasticsearch_url, request_timeout=10, max_retries=2,
                              retry_on_timeout=True)
    app[ES] = es
    try:
        yield
    finally:
        await es.close()


async def _kafka(app: web.Application):
    settings = app[SETTINGS]
    await ensure_topics(settings.kafka_bootstrap, settings.topic_prefix, settings.topic_partitions)
    producer = kafka_producer(settings.kafka_bootstrap)
    await producer.start()
    app[PRODUCER] = producer
    try:
        yield
    finally:
        await producer.stop()


def _consistency(*, relays: bool, consumers: bool):
    """Read-your-writes (events.consistency): a request waits for its service's consumers
    (if this process runs them) before it runs, and for its events to reach Kafka (if this
    process relays them) before it answers."""

    async def ctx(app: web.Application):
        s = app[SETTINGS]
        groups = {m.name: [f"{s.topic_prefix}{sub.name}" for sub in m.subscriptions] for m in app[PEERS]}
        # A service's upstream: the services whose topics its consumers read (a topic is
        # named for the context that writes it, psm.<name>); their consumers derive what
        # they publish there from yet other events.
        upstream = {m.name: sorted({g for sub in m.subscriptions for t in sub.topics
                                    for g in groups.get(t.value.removeprefix("psm."), ()) if t.value != f"psm.{m.name}"})
                    for m in app[PEERS]}
        topics = {f"{s.topic_prefix}{sub.name}": [physical(t.value, s.topic_prefix) for t in sub.topics]
                  for m in app[PEERS] for sub in m.subscriptions}
        notices = Notices(s.database_url)
        barrier = ConsumerBarrier(s.kafka_bootstrap, topics) if consumers and topics else None
        if barrier is not None:
            await barrier.start()
        flush = OutboxFlush(notices, app[DB]) if relays else None
        try:
            app[CONSISTENCY] = Consistency(
                notices=notices, pool=app[DB], barrier=barrier, flush=flush, outcomes=Outcomes(notices, app[DB]),
                service_groups=groups, upstream_groups=upstream, wait_s=s.consistency_wait_s,
                saga_wait_s=s.saga_wait_s)
            yield
        finally:
            if barrier is not None:
                await barrier.stop()
            if flush is not None:
                await flush.close()
            await notices.stop()

    return ctx


async def _startup_hooks(app: web.Application):
    app[RESOURCES] = Resources(settings=app[SETTINGS], pool=app[DB], es=app[ES], producer=app[PRODUCER],
                               registry=app[METRICS].registry)
    app[STARTED] = []
    for m in app[MODULES]:
        if m.on_startup is not None:
            app[STARTED].extend((f"{m.name}-startup-{i}", r) for i, r in enumerate(await m.on_startup(app) or ()))
    yield


async def _run_tasks(app: web.Application, named: list[tuple[str, object]]):
    # Supervised: a worker that fails (an outage, or a client library's own error after a
    # server restart) is logged and started again, never left dead for the app's life.
    tasks = [asyncio.create_task(supervise(name, runner.run, log), name=name) for name, runner in named]
    try:
        yield
    finally:
        await stop_all(tasks)


async def _relays(app: web.Application):
    s = app[SETTINGS]
    relays = [OutboxRelay(database_url=s.database_url, schema=m.schema, kafka_bootstrap=s.kafka_bootstrap,
                          topic_prefix=s.topic_prefix) for m in app[MODULES]]
    app[ops.RELAYS].extend(relays)
    async for _ in _run_tasks(app, [(f"relay-{r.schema}", r) for r in relays]):
        yield


async def _consumers(app: web.Application):
    s = app[SETTINGS]
    flush = app[CONSISTENCY].flush  # what a consumer's handlers record is on Kafka before it commits
    running = [EventConsumer(sub, pool=app[DB], kafka_bootstrap=s.kafka_bootstrap, topic_prefix=s.topic_prefix,
                             producer=app[PRODUCER], flush=flush, flush_timeout_s=s.consistency_wait_s,
                             barrier=app[CONSISTENCY].barrier)
               for m in app[MODULES]
               for sub in [*m.subscriptions, *(m.subscriptions_from(app[RESOURCES]) if m.subscriptions_from else ())]]
    app[ops.CONSUMERS].extend(running)
    async for _ in _run_tasks(app, [(f"consumer-{c.sub.name}", c) for c in running]):
        yield


async def _workers(app: web.Application):
    named = [(f"worker-{m.name}-{i}", factory(app[RESOURCES])) for m in app[MODULES]
             for i, factory in enumerate(m.workers)] + app[STARTED]
    cache = getattr(app[AUTHENTICATOR], "cache", None)  # its LISTEN connection, supervised like the rest
    if cache is not None:
        named.append(("auth-key-cache", cache))
    named.append(("retention", Pruner(app[DB], retention_rules(app[SETTINGS], app[MODULES]),
                                      interval_s=app[SETTINGS].prune_interval_s, registry=app[METRICS].registry)))
    async for _ in _run_tasks(app, named):
        yield
