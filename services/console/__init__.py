"""The reference web console (issue 20): the market as people see it, served at ``/``.

Static files only — HTML, CSS and JavaScript modules written for the browser as they
are, so nothing is built and nothing is fetched from the internet (the Content Security
Policy below allows this origin alone). The pages speak to the public API exactly as a
venue's frontend would: ``/v1`` with the user's API key, and the auctions' live
WebSocket (the key offered as a ``psm.bearer.<key>`` subprotocol, since a browser cannot
set headers on a WebSocket). It is a worked example for venue developers, not a second API.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"

# Scripts, styles, images and sockets from this origin only; no inline script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


async def index(request: web.Request) -> web.StreamResponse:
    return _file(STATIC / "index.html")


async def asset(request: web.Request) -> web.StreamResponse:
    path = (STATIC / request.match_info["path"]).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file() or path.suffix not in TYPES:
        raise web.HTTPNotFound()  # the problem middleware answers it as problem+json
    return _file(path)


def _file(path: Path) -> web.StreamResponse:
    # no-cache: the browser revalidates (ETag), so a new release is seen at once.
    return web.FileResponse(path, headers={"Content-Type": f"{TYPES[path.suffix]}; charset=utf-8",
                                           "Cache-Control": "no-cache", "Content-Security-Policy": CSP,
                                           "X-Content-Type-Options": "nosniff"})


def install(app: web.Application, openapi: dict) -> None:
    """Serve the console at ``/`` and its files under ``/console/``; describe both in ``openapi``."""
    app.router.add_get("/", index)
    app.router.add_get("/console/{path:.+}", asset)
    html = {"text/html": {"schema": {"type": "string"}}}
    openapi["paths"]["/"] = {"get": {
        "tags": ["console"], "summary": "The web console (Chinese first, English switch): catalogue, live auctions, "
                                        "institution and venue desks, programme office", "operationId": "console_index",
        "responses": {"200": {"description": "the console's page", "content": html}}}}
    openapi["paths"]["/console/{path}"] = {"get": {
        "tags": ["console"], "summary": "The console's scripts and styles", "operationId": "console_asset",
        "parameters": [{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "a file", "content": {
            "text/javascript": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}}}},
            "404": {"description": "no such file", "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}}}}
