"""RFC 9457 problem details: the one shape of every error response."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import asyncpg
from aiohttp import web

from events.outages import OUTAGES, PG_UNAVAILABLE
from services.runtime.errors import DependencyUnavailable, DomainError, FieldError
from services.runtime.http.problem_catalogue import TITLES_ZH, explain
from services.runtime.http.state import DB

log = logging.getLogger("psm.http")

# A problem's type resolves, on the server that answered it, to the page explaining its
# rule in Chinese and English (GET /v1/problems/{slug}; a relative reference, RFC 9457 §3.1.1).
PROBLEM_TYPE_BASE = "/v1/problems/"
CONTENT_TYPE = "application/problem+json"


def problem_response(status: int, title: str, detail: str, *, rule: str, errors: list[FieldError] | None = None,
                     headers: dict[str, str] | None = None, instance: str | None = None) -> web.Response:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + rule, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance  # RFC 9457: the resource the refusal is recorded on
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return web.Response(status=status, body=json.dumps(body, ensure_ascii=False).encode(),
                        content_type=CONTENT_TYPE, headers=headers)


def from_domain_error(e: DomainError) -> web.Response:
    headers = {"WWW-Authenticate": "Bearer"} if e.status == 401 else None
    if isinstance(e, DependencyUnavailable):
        headers = {"Retry-After": str(e.retry_after)}
    return problem_response(e.status, e.title, e.detail, rule=e.rule, errors=e.errors, headers=headers,
                            instance=getattr(e, "instance", None))


# What an unreachable PostgreSQL raises (events/outages.py), or a pool that could not
# connect in time.
UNAVAILABLE = (*PG_UNAVAILABLE, TimeoutError)
PROBE_EVERY_S = 1.0

_HTTP_RULES = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large", 415: "unsupported-media-type"}


MAX_URL_BYTES = 8192  # the request target a client may send (the parser accepts up to HANDLER_ARGS')


def wants_chinese(request: web.Request) -> bool:
    """``Accept-Language`` prefers Chinese over English (zh, zh-CN, zh-Hans …, by q-value)."""
    best, best_q = None, -1.0
    for part in request.headers.get("Accept-Language", "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in ("zh", "en") and q > best_q:
            best, best_q = lang, q
    return best == "zh"


def in_chinese(response: web.Response) -> web.Response:
    """The problem with its title and detail in Chinese; the English detail stays as
    ``detail_en`` and the rule's slug is unchanged."""
    body = json.loads(response.body)
    slug = body["type"].rsplit("/", 1)[-1]
    zh = explain(slug)
    body["detail_en"] = body["detail"]
    body["title"] = TITLES_ZH.get(body["status"], body["title"])
    if zh is not None:
        body["detail"] = zh[0] + ("" if body["status"] >= 500 else f"（{body['detail']}）")
    response.body = json.dumps(body, ensure_ascii=False).encode()
    return response


@web.middleware
async def problem_middleware(request: web.Request, handler) -> web.StreamResponse:
    response = await _problems(request, handler)
    if response.content_type == CONTENT_TYPE and isinstance(response, web.Response) and wants_chinese(request):
        return in_chinese(response)
    return response


async def _problems(request: web.Request, handler) -> web.StreamResponse:
    if len(request.raw_path) > MAX_URL_BYTES:
        return problem_response(414, "URI Too Long", f"the URL is longer than {MAX_URL_BYTES} bytes: send long "
                                "inputs in a request body", rule="uri-too-long")
    try:
        response = await handler(request)
    except DomainError as e:
        return from_domain_error(e)
    except web.HTTPException as e:
        if e.status < 400 or e.content_type == CONTENT_TYPE:
            raise
        detail = e.text if e.text and not e.text.startswith(f"{e.status}:") else e.reason
        if e.status == 413:
            detail = "request body is larger than the server accepts"
        return problem_response(e.status, e.reason, detail, rule=_HTTP_RULES.get(e.status, f"http-{e.status}"),
                                headers={k: v for k, v in e.headers.items() if k.lower() == "allow"})
    except UNAVAILABLE as e:
        # A dependency is away (PostgreSQL refusing, restarting, or a connection lost):
        # the request did nothing that committed; the client may try again shortly.
        # Said once for the whole outage (events/outages.py), not once per request.
        OUTAGES.failed("postgresql", f"{request.method} {request.path}: {type(e).__name__}: {e}")
        return from_domain_error(DependencyUnavailable(
            "a server this service depends on (the database) is not reachable right now; try again in a few "
            "seconds"))
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, "Internal Server Error", "the server failed; the error has been logged",
                                rule="internal")
    if OUTAGES.is_down("postgresql"):
        await _probe_postgresql(request.app)
    return response


_probed_at = 0.0


async def _probe_postgresql(app: web.Application) -> None:
    """While PostgreSQL is marked away, a request that went well asks it (once a second
    at most) whether it is back, so the outage's end is said when it ends."""
    global _probed_at
    now = time.monotonic()
    if now - _probed_at < PROBE_EVERY_S or DB not in app:
        return
    _probed_at = now
    try:
        async with app[DB].acquire(timeout=1.0) as conn:
            await conn.fetchval("SELECT 1", timeout=1.0)
    except (*UNAVAILABLE, asyncpg.PostgresError):
        return
    OUTAGES.answered("postgresql")
