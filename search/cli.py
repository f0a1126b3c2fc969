"""``psm catalogue rebuild|status``: the catalogue's operations commands."""

from __future__ import annotations

import argparse
import asyncio


from search.indices import indices_behind
from search.mappings import read_alias
from search.rebuild import rebuild
from services.runtime.http.observability import configure_logging
from services.runtime.settings import Settings
from services.runtime.storage import create_pool, elasticsearch_client


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="psm catalogue", description="the search catalogue (Elasticsearch)")
    ap.add_argument("action", choices=["rebuild", "status"],
                    help="rebuild: a new index version from the events, swapped in with zero downtime; "
                         "status: which index serves and which are being built")
    args = ap.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return asyncio.run(_rebuild(settings) if args.action == "rebuild" else _status(settings))


async def _rebuild(settings: Settings) -> int:
    from search.service import MODULE
    from services.runtime.http.app import migrate

    pool = await create_pool(settings, min_size=1, max_size=4)
    es = elasticsearch_client(settings.elasticsearch_url, request_timeout=30)
    try:
        await migrate(pool, [MODULE])
        report = await rebuild(settings, pool=pool, es=es, say=lambda m: print(m, flush=True))
    finally:
        await es.close()
        await pool.close()
    print(f"rebuilt {report.alias}: {report.new_index} ({report.documents} documents, "
          f"{report.events_replayed} events replayed) in {report.seconds:.1f} s; "
          f"replaced {', '.join(report.old_indices) or 'nothing'}")
    return 0


async def _status(settings: Settings) -> int:
    alias = read_alias(settings.index_prefix)
    pool = await create_pool(settings, min_size=1, max_size=2)
    es = elasticsearch_client(settings.elasticsearch_url, request_timeout=30)
    try:
        serving = await indices_behind(es, alias)
        rows = await pool.fetch("SELECT index_name, state FROM search.catalogue_indices WHERE alias = $1 "
                                "ORDER BY index_name", alias)
        print(f"{alias} → {', '.join(serving) or '(no index)'}")
        for r in rows:
            count = (await es.options(ignore_status=404).count(index=r["index_name"])).get("count", "missing")
            print(f"  {r['index_name']}: {r['state']}, {count} documents")
    finally:
        await es.close()
        await pool.close()
    return 0
