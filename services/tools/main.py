"""Process entry points: ``psm serve`` (every service in one process) and ``psm migrate``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging

from aiohttp import web

from events.topics import ensure_topics
from services import console
from services.runtime.http import ops
from services.runtime.http.app import HANDLER_ARGS, create_app, migrate as apply_all_migrations
from services.runtime.http.observability import configure_logging
from services.runtime.module import ServiceModule
from services.runtime.settings import Settings
from services.runtime.storage import create_pool

log = logging.getLogger("psm.main")


def all_modules() -> list[ServiceModule]:
    from search.service import MODULE as search
    from services.auctions import MODULE as auctions
    from services.deals import MODULE as deals
    from services.distribution import MODULE as distribution
    from services.financing import MODULE as financing
    from services.licences import MODULE as licences
    from services.listings import MODULE as listings
    from services.platform import MODULE as platform
    from services.roadshows import MODULE as roadshows
    from services.stats import MODULE as stats

    return [platform, listings, licences, auctions, deals, financing, roadshows, distribution, stats, search]


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed: the same asyncio semantics, a faster loop (the
    services are CPU-bound in Python under load, e.g. bidding)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def settle_gc(_app: web.Application | None = None) -> None:
    """The collector, once everything is loaded: what start-up built (modules, models,
    routes, pools) is moved out of its reach (``gc.freeze``), and the young generation is
    collected every 20,000 allocations instead of 700. Requests allocate many short-lived
    objects that reference counting frees; the collector's passes over them were 6 % of
    the server's CPU while bidding (bench/PROFILE.md, issue 19). The benchmarks that run
    the services in their own process do the same, to measure what ``psm serve`` runs."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def select(names: str | None) -> list[ServiceModule]:
    """The modules named (comma-separated), in deployment order; all when ``names`` is empty."""
    modules = all_modules()
    if not names:
        return modules
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = sorted(set(wanted) - {m.name for m in modules})
    if unknown or not wanted:
        raise SystemExit(f"psm serve: unknown service(s) {', '.join(unknown) or '(none named)'}; "
                         f"choose from {', '.join(m.name for m in modules)}")
    return [m for m in modules if m.name in wanted]


def application(settings: Settings, modules: list[ServiceModule], *,
                peers: list[ServiceModule] | None = None) -> web.Application:
    """What ``psm serve`` runs: the services ``modules`` and the web console at ``/``."""
    app = create_app(settings, modules, peers=peers)
    console.install(app, app[ops.OPENAPI])
    return app


def serve(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="psm serve", description="run services (all, or --services a,b) in one process")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--services", help="comma-separated subset, e.g. auctions,search (default: every service). "
                                       "A split deployment runs `psm migrate` once first; each process then "
                                       "migrates only its own schemas.")
    args = ap.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    host, port = args.host or settings.http_host, args.port or settings.http_port
    app = application(settings, select(args.services), peers=all_modules())

    async def announce(_app: web.Application) -> None:
        # The operator key is a secret: `make run` prints it once, for the person at the
        # terminal; a server never writes it to its log (which may be collected anywhere).
        print(f"\nPatent Supermarket is up: console http://{host}:{port}/  API http://{host}:{port}/v1/openapi.json"
              "  (readiness: /readyz)", flush=True)
        if settings.operator_key is None:
            print("No PSM_OPERATOR_KEY set: operator endpoints are closed.\n", flush=True)

    app.on_startup.append(announce)
    app.on_startup.append(settle_gc)
    web.run_app(app, host=host, port=port, print=None, access_log=None, loop=event_loop(),
                **HANDLER_ARGS)
    return 0


def migrate(argv: list[str]) -> int:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)

    async def run() -> None:
        pool = await create_pool(settings, min_size=1, max_size=2)
        try:
            await apply_all_migrations(pool, all_modules())
        finally:
            await pool.close()
        await ensure_topics(settings.kafka_bootstrap, settings.topic_prefix, settings.topic_partitions)

    asyncio.run(run())
    print("migrations applied, topics created")
    return 0
