"""``psm seed``: load the demo market into the database named by the settings."""

from __future__ import annotations

import argparse
import asyncio

import asyncpg

from services.tools.demo.generator import DEFAULT_PATENTS, DEFAULT_SEED, generate
from services.tools.demo.loader import SeedReport, load
from services.runtime.http.app import migrate
from services.runtime.http.observability import configure_logging
from services.listings.handlers import today
from services.tools.main import all_modules
from services.runtime.settings import Settings
from services.runtime.storage import create_pool


async def seed_database(settings: Settings, *, seed: int = DEFAULT_SEED, patents: int = DEFAULT_PATENTS) -> SeedReport:
    """Migrate (a no-op when ``psm migrate`` ran), generate the demo data for today, load it."""
    data = generate(seed=seed, patents=patents, today=today())
    pool: asyncpg.Pool = await create_pool(settings, min_size=1, max_size=2)
    try:
        await migrate(pool, all_modules())
        return await load(pool, data)
    finally:
        await pool.close()


def seed(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="psm seed",
                                 description="load the demo market (idempotent: a second run adds nothing)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    ap.add_argument("--patents", type=int, default=DEFAULT_PATENTS, help=f"register size (default {DEFAULT_PATENTS})")
    args = ap.parse_args(argv)
    if args.patents < 0:
        ap.error("--patents must not be negative")
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    report = asyncio.run(seed_database(settings, seed=args.seed, patents=args.patents))
    print(report.summary(), flush=True)
    return 0
