"""``python -m bench <name> [args]``: run the benchmark in ``bench/<name>.py``."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    if not argv or argv[0] not in names:
        print(f"usage: python -m bench {{{','.join(names)}}} [args]", file=sys.stderr)
        return 2
    print(server_settings(), flush=True)
    return importlib.import_module(f"bench.{argv[0]}").main(argv[1:])


def server_settings() -> str:
    """Which PostgreSQL durability the run had (make run's stack is durable, make test's is
    not): our figures and the raw baselines run on the same server, so ratios stay fair,
    but absolute figures differ between the two."""
    import asyncio

    import asyncpg

    from services.runtime.settings import Settings

    async def ask() -> str:
        conn = await asyncpg.connect(Settings().database_url)
        try:
            rows = [(k, await conn.fetchval(f"SHOW {k}")) for k in ("fsync", "synchronous_commit", "full_page_writes")]
        finally:
            await conn.close()
        return ", ".join(f"{k}={v}" for k, v in rows)

    try:
        return f"PostgreSQL settings for this run: {asyncio.run(ask())}"
    except (OSError, asyncpg.PostgresError) as e:
        return f"PostgreSQL settings for this run: unknown ({type(e).__name__})"


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
