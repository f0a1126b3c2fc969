"""Declaring routes: the one way a service exposes an endpoint.

    api = Api("platform")

    @api.post("/v1/orgs", body=OrgCreate, response=OrgCreated, status=201, allow=OPERATOR)
    async def register_org(ctx: Ctx[OrgCreate]) -> OrgCreated: ...

The wrapper authenticates, enforces the route's rule, parses path/query/body into
the declared models (4xx problem+json naming each bad field), runs mutating requests
in ONE transaction (with Idempotency-Key handling for POST), serialises the returned
model, and records the route for the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import asyncpg
from aiohttp import web
from pydantic import BaseModel

from services.runtime.access import ANY_ORG, Principal, Rule
from services.runtime.errors import FieldError, NotFound, Unauthorized, ValidationFailed
from services.runtime.http import idempotency
from services.runtime.http.body import RAW_BODY, parse_model, parse_query, read_json, text_problem
from events.consistency import WRITTEN
from services.runtime.http.observability import CALLER_ORG
from services.runtime.http.state import AUTHENTICATOR, CONSISTENCY, DB, SETTINGS
from services.runtime.settings import Settings

B = TypeVar("B")

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
TRANSIENT_DB_ERRORS = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
TRANSIENT_RETRIES = 3


@dataclass
class Ctx(Generic[B]):
    """What a handler gets: the request's principal, its connection (inside the
    request's transaction for mutating methods), the parsed body/query and path."""

    request: web.Request
    conn: asyncpg.Connection
    principal: Principal | None
    body: B
    query: Any
    path: dict[str, str]

    @property
    def app(self) -> web.Application:
        return self.request.app

    @property
    def settings(self) -> Settings:
        return self.request.app[SETTINGS]

    @property
    def body_bytes(self) -> bytes:
        """The request body exactly as it was sent (e.g. to verify a signature over it)."""
        return self.request.get(RAW_BODY, b"")

    def me(self) -> Principal:
        if self.principal is None:
            raise Unauthorized("this endpoint needs an API key")
        return self.principal


@dataclass(frozen=True)
class Reply:
    """A handler's answer when the status or headers differ from the route's default."""

    body: BaseModel | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Callable[[Ctx], Awaitable[Any]]
    service: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    allow: Rule | None  # None: public (no key needed)
    errors: tuple[int, ...]
    # A WebSocket endpoint: its handler takes the raw request and does its own
    # authentication; it is listed in OpenAPI as a GET answered with 101.
    websocket: bool = False
    # What a 2xx answer is: JSON of ``response``, or (e.g. text/calendar) a file that
    # ``response`` describes as a string.
    media_type: str = "application/json"
    # Read-your-writes (services/runtime/http/consistency.py): wait for this service's consumers
    # before running. Off for routes that read only their own service's writes (a bid)
    # or an index that is eventually consistent by design (the catalogue).
    fresh: bool = True
    # A command whose outcome another context decides: the handler answers 202 with a
    # Location inside its transaction; after commit this turns that answer into the
    # final one (201 / a problem naming the rule) when it is known within the saga
    # bound. Runs on idempotent replays too, so a replayed 202 becomes the outcome.
    settles: Callable[[web.Request, web.Response], Awaitable[web.Response]] | None = None
    # Other representations of the 2xx answer a client may ask for with Accept (media
    # type → the model describing it), e.g. statistics as text/csv.
    also: tuple[tuple[str, type[BaseModel]], ...] = ()
    # A body the handler reads itself (not JSON): (media type, what it is), for OpenAPI.
    raw_body: tuple[str, str] | None = None


class Api:
    """The routes of one service."""

    def __init__(self, service: str, *, fresh: bool = True) -> None:
        self.service = service
        self.fresh = fresh  # the default of its routes (see RouteSpec.fresh)
        self.routes: list[RouteSpec] = []

    def route(self, method: str, path: str, *, summary: str = "", body: type[BaseModel] | None = None,
              query: type[BaseModel] | None = None, response: type[BaseModel] | None = None, status: int = 200,
              allow: Rule | None = ANY_ORG, errors: tuple[int, ...] = (), media_type: str = "application/json",
              fresh: bool | None = None,
              settles: Callable[[web.Request, web.Response], Awaitable[web.Response]] | None = None,
              also: tuple[tuple[str, type[BaseModel]], ...] = (), raw_body: tuple[str, str] | None = None):
        def register(fn: Callable[[Ctx], Awaitable[Any]]):
            self.routes.append(RouteSpec(method, path, fn, self.service, summary or (fn.__doc__ or "").strip(),
                                         body, query, response, status, allow, errors, media_type=media_type,
                                         fresh=self.fresh if fresh is None else fresh, settles=settles, also=also,
                                         raw_body=raw_body))
            return fn

        return register

    def get(self, path: str, **kw):
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw):
        return self.route("POST", path, **kw)

    def patch(self, path: str, **kw):
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw):
        return self.route("DELETE", path, **kw)

    def websocket(self, path: str, *, summary: str, query: type[BaseModel] | None = None,
                  errors: tuple[int, ...] = ()):
        def register(fn: Callable[[web.Request], Awaitable[web.StreamResponse]]):
            self.routes.append(RouteSpec("GET", path, fn, self.service, summary, None, query, None, 101, ANY_ORG,
                                         errors, websocket=True))
            return fn

        return register

    def install(self, app: web.Application) -> None:
        for spec in self.routes:
            app.router.add_route(spec.method, spec.path, spec.handler if spec.websocket else _wrap(spec))


def _takes_empty(model: type[BaseModel]) -> bool:
    return not any(f.is_required() for f in model.model_fields.values())


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _principal(spec: RouteSpec, request: web.Request, pool: asyncpg.Pool) -> Principal | None:
    if spec.allow is None:
        return None
    token = _bearer(request)
    if token is None:
        raise Unauthorized("send your API key as 'Authorization: Bearer <key>'")
    if text_problem(token):
        raise Unauthorized("unknown API key")  # not even something the key table could hold
    on_behalf_of = request.headers.get("On-Behalf-Of")
    if on_behalf_of is not None and text_problem(on_behalf_of):
        raise ValidationFailed([FieldError("On-Behalf-Of", "not an organisation id")])
    authenticator = request.app[AUTHENTICATOR]
    principal = authenticator.known(token, on_behalf_of)
    if principal is None:  # not remembered (or acting for another): the key and mandate tables
        async with pool.acquire() as conn:
            principal = await authenticator.authenticate(conn, token, on_behalf_of)
    # The access log's org: the one acted for, or "operator".
    request[CALLER_ORG] = "operator" if principal.is_operator and not principal.acting_for else principal.effective_org_id
    spec.allow.enforce(principal)
    return principal


def json_reply(body: BaseModel, status: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body.model_dump_json(exclude_none=False).encode(),
                        content_type="application/json", headers=headers or {})


def _render(spec: RouteSpec, result: Any) -> web.Response:
    if isinstance(result, web.Response):
        # A handler that must commit what it did and still answer with a problem
        # (e.g. a bid refused because a proxy answered it: the answer stands).
        return result
    reply = result if isinstance(result, Reply) else Reply(result, spec.status)
    if reply.body is None:
        return web.Response(status=reply.status if reply.status != 200 else 204, headers=reply.headers)
    return json_reply(reply.body, reply.status, reply.headers)


def _wrap(spec: RouteSpec):
    async def handle(request: web.Request) -> web.StreamResponse:
        pool = request.app[DB]
        # Who is asking comes first: a caller without a valid key learns nothing about
        # what a valid body looks like (401/403 before 415/422). The connection is given
        # back while the body is read, so slow uploads do not hold the pool.
        principal = None
        if spec.allow is not None:
            principal = await _principal(spec, request, pool)
        path = dict(request.match_info)
        if any(text_problem(v) for v in path.values()):
            raise NotFound("no such resource")  # e.g. %00: nothing is named that, and PG could not even look
        raw_body = None
        if spec.body is not None:
            # An action whose every field is optional may be sent without a body at all.
            raw_body = {} if not request.body_exists and _takes_empty(spec.body) else await read_json(request)
        body = parse_model(spec.body, raw_body) if spec.body is not None else None
        query = parse_query(spec.query, request) if spec.query is not None else None
        consistency = request.app.get(CONSISTENCY)
        if consistency is None:
            return await _run(spec, request, pool, principal, raw_body, body, query, path)
        if spec.fresh:
            await consistency.caught_up(spec.service)
        written: dict[str, int] = {}
        token = WRITTEN.set(written)
        try:
            response = await _run(spec, request, pool, principal, raw_body, body, query, path)
        finally:
            WRITTEN.reset(token)
        if written:
            await consistency.published(written)
        if spec.settles is not None:
            response = await spec.settles(request, response)
        return response

    handle.__name__ = spec.handler.__name__
    return handle


async def _run(spec: RouteSpec, request: web.Request, pool: asyncpg.Pool, principal: Principal | None,
               raw_body: Any, body: Any, query: Any, path: dict[str, str]) -> web.Response:
    """The route's handler on a pooled connection: in one transaction (retried when
    PostgreSQL picks it as a deadlock victim) for mutating methods."""
    async with pool.acquire() as conn:

        async def run() -> web.Response:
            ctx = Ctx(request, conn, principal, body, query, path)
            return _render(spec, await spec.handler(ctx))

        if request.method not in MUTATING:
            return await run()
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        for attempt in range(TRANSIENT_RETRIES + 1):
            try:
                if key is None:
                    async with conn.transaction():
                        return await run()
                return await idempotency.guarded(conn, principal, key, request, raw_body, run)
            except TRANSIENT_DB_ERRORS:
                # PostgreSQL chose this transaction as a deadlock victim (or could not
                # serialise it): it was rolled back whole, so running it again is safe.
                if attempt == TRANSIENT_RETRIES:
                    raise
                await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")
