"""Operations endpoints: liveness, readiness (PG, Kafka, ES), metrics, the OpenAPI document."""

from __future__ import annotations

import asyncio
import html
import json

from aiohttp import web
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from events.relay import outbox_lag
from services.runtime.errors import NotFound
from services.runtime.http.problem_catalogue import explain
from services.runtime.http.state import DB, ES, METRICS, PRODUCER

OPENAPI = web.AppKey("openapi", dict)
ASYNCAPI = web.AppKey("asyncapi", dict)
OUTBOX_SCHEMAS = web.AppKey("outbox_schemas", list)
CONSUMERS = web.AppKey("consumers", list)
RELAYS = web.AppKey("relays", list)
SERVICES = web.AppKey("services", list)

CHECK_TIMEOUT_S = 2.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _check_pg(app: web.Application) -> None:
    async with app[DB].acquire(timeout=CHECK_TIMEOUT_S) as conn:
        await conn.fetchval("SELECT 1", timeout=CHECK_TIMEOUT_S)


async def _check_kafka(app: web.Application) -> None:
    await app[PRODUCER].client.fetch_all_metadata()


async def _check_es(app: web.Application) -> None:
    await app[ES].options(request_timeout=CHECK_TIMEOUT_S, max_retries=0).cluster.health()


async def readyz(request: web.Request) -> web.Response:
    checks = {"postgresql": _check_pg, "kafka": _check_kafka, "elasticsearch": _check_es}

    async def run(check) -> str | None:
        try:
            await asyncio.wait_for(check(request.app), CHECK_TIMEOUT_S + 0.5)
            return None
        except Exception as e:  # noqa: BLE001 — any failure means "not ready", reported by name
            return f"{type(e).__name__}: {e}"[:300] or type(e).__name__

    results = dict(zip(checks, await asyncio.gather(*(run(c) for c in checks.values()))))
    down = {name: err for name, err in results.items() if err is not None}
    body = {"status": "ready" if not down else "unavailable",
            "checks": {name: ("ok" if err is None else f"down: {err}") for name, err in results.items()}}
    if down:
        body["detail"] = "not reachable: " + ", ".join(down)
    # A process whose consumers have not yet joined their groups is starting: until they
    # have, its requests could not see what other processes acknowledged (after a crash,
    # the group waits out the dead member's session before it takes the new one in).
    # Later a consumer rejoining its group (a replica came or went) is normal and ready.
    joining = [c.sub.name for c in request.app[CONSUMERS] if not c.ever_joined]
    if joining and not down:
        body["status"] = "starting"
        body["detail"] = "consumers joining their groups: " + ", ".join(joining)
    # What this process runs, for an operator (a relay on standby is normal).
    body["services"] = [m.name for m in request.app[SERVICES]]
    body["consumers"] = {c.sub.name: c.state for c in request.app[CONSUMERS]}
    body["relays"] = {r.schema: "leading" if r.is_leader else "standby" for r in request.app[RELAYS]}
    return web.json_response(body, status=200 if not down and not joining else 503)


async def metrics(request: web.Request) -> web.Response:
    m = request.app[METRICS]
    try:
        async with request.app[DB].acquire(timeout=CHECK_TIMEOUT_S) as conn:
            for schema in request.app[OUTBOX_SCHEMAS]:
                n, age = await outbox_lag(conn, schema)
                m.outbox_unpublished.labels(schema).set(n)
                m.outbox_oldest.labels(schema).set(age)
    except Exception:  # noqa: BLE001 — metrics still answer when PG is down; readyz says why
        pass
    for consumer in request.app[CONSUMERS]:
        for partition, lag in consumer.stats.lag.items():
            m.consumer_lag.labels(consumer.sub.name, partition).set(lag)
        m.consumer_dead_lettered.labels(consumer.sub.name).set(consumer.stats.dead_lettered)
    return web.Response(body=generate_latest(m.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=json.dumps(request.app[OPENAPI], ensure_ascii=False).encode(),
                        content_type="application/json")


async def asyncapi(request: web.Request) -> web.Response:
    return web.Response(body=json.dumps(request.app[ASYNCAPI], ensure_ascii=False).encode(),
                        content_type="application/json")


async def problem_page(request: web.Request) -> web.Response:
    """The page a problem's ``type`` names: its rule in Chinese and English (HTML; JSON when
    asked with Accept: application/json). No key needed: an error explains itself."""
    slug = request.match_info["slug"]
    text = explain(slug)
    if text is None:
        raise NotFound(f"no rule {slug!r}", rule="not-found")
    zh, en = text
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response({"rule": slug, "zh": zh, "en": en}, dumps=lambda o: json.dumps(o, ensure_ascii=False))
    page = (f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{html.escape(slug)}</title>"
            f"</head><body><h1><code>{html.escape(slug)}</code></h1><p lang=\"zh-CN\">{html.escape(zh)}</p>"
            f"<p lang=\"en\">{html.escape(en)}</p></body></html>")
    return web.Response(text=page, content_type="text/html", charset="utf-8")


def install(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/v1/openapi.json", openapi)
    app.router.add_get("/v1/problems/{slug}", problem_page)
    app.router.add_get("/v1/asyncapi.json", asyncapi)
