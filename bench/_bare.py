"""The baselines of ``python -m bench http``: a bare aiohttp server doing what the two
measured routes do against the same database and index — the same queries (the listings
context's own SQL, the catalogue's own search body) — without authentication, problem
handling, read-your-writes, metrics or response models.

For ``python -m bench auctions`` it also answers ``POST /bare/bids/{row}``: the raw
asyncpg baseline's transaction (``UPDATE … RETURNING`` of one row + ``INSERT`` of one bid,
on the bench's ``bench_rows``/``bench_bids``) behind HTTP, with a JSON body read and a JSON
answer — what any aiohttp service must spend on a bid before its own work.

``python -m bench._bare --port P`` (reads ``PSM_*``)."""

from __future__ import annotations

import argparse
import json

from aiohttp import web
from elasticsearch import AsyncElasticsearch

from search import query as catalogue_query
from search.mappings import read_alias
from search.models import SearchQuery
from services.listings import handlers
from services.runtime.storage import create_pool
from services.runtime.settings import Settings


def app_of(settings: Settings) -> web.Application:
    app = web.Application()

    async def start(app: web.Application):
        app["pool"] = await create_pool(settings, min_size=2, max_size=20)
        app["es"] = AsyncElasticsearch(settings.elasticsearch_url)
        yield
        await app["pool"].close()
        await app["es"].close()

    async def listing(request: web.Request) -> web.Response:
        async with request.app["pool"].acquire() as conn:
            row = await handlers.load_listing(conn, request.match_info["id"])
            snapshot = await handlers.listing_snapshot(conn, row)
        return web.Response(body=snapshot.model_dump_json().encode(), content_type="application/json")

    async def search(request: web.Request) -> web.Response:
        body = catalogue_query.build_search(SearchQuery.model_validate(dict(request.query)))
        r = await request.app["es"].search(index=read_alias(settings.index_prefix), **body)
        return web.Response(body=json.dumps(r.body).encode(), content_type="application/json")

    async def bid(request: web.Request) -> web.Response:
        amount = (await request.json())["amount"]["amount"]
        async with request.app["pool"].acquire() as conn, conn.transaction():
            r = await conn.fetchrow("UPDATE bench_rows SET price = price + 10, n = n + 1 WHERE id = $1 "
                                    "RETURNING price, n", int(request.match_info["row"]))
            await conn.execute("INSERT INTO bench_bids VALUES ($1, $2, $3, now())",
                               int(request.match_info["row"]), r["n"], r["price"])
        return web.Response(status=201, body=json.dumps({"sequence": r["n"], "amount": amount}).encode(),
                            content_type="application/json")

    app.cleanup_ctx.append(start)
    app.router.add_get("/v1/listings/{id}", listing)
    app.router.add_get("/v1/catalogue/search", search)
    app.router.add_post("/bare/bids/{row}", bid)
    async def ready(_request: web.Request) -> web.Response:  # what bench._server.wait_ready asks
        return web.json_response({"status": "ready"})

    app.router.add_get("/readyz", ready)
    return app


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    web.run_app(app_of(Settings()), host="127.0.0.1", port=ap.parse_args().port, print=None, access_log=None)
