"""How ``psm serve`` serves the console: one page and its files, from this origin only,
described in the OpenAPI document; nothing outside the console's folder is reachable."""

from __future__ import annotations

import re

from services.console import STATIC

IMPORT = re.compile(r"""(?:from|import)\s*["'](\.{1,2}/[^"']+)["']""")


async def test_the_page_and_every_file_it_loads_come_from_this_origin(client):
    r = await client.get("/")
    assert r.status == 200 and r.content_type == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "http" not in csp
    page = await r.text()
    assert 'lang="zh-CN"' in page  # Chinese first
    # Every file the page loads, and every module those import, is served here.
    wanted = set(re.findall(r'(?:src|href)="(/console/[^"]+)"', page))
    for js in STATIC.rglob("*.js"):
        base = "/console/" + str(js.relative_to(STATIC).parent).replace(".", "").strip("/")
        for spec in IMPORT.findall(js.read_text()):
            parts = [p for p in (base.rstrip("/") + "/" + spec).split("/") if p not in ("", ".")]
            resolved = []
            for p in parts:
                resolved.pop() if p == ".." else resolved.append(p)
            wanted.add("/" + "/".join(resolved))
    assert "/console/pages/auction.js" in wanted and "/console/live.js" in wanted, wanted
    for path in sorted(wanted):
        got = await client.get(path)
        assert got.status == 200, path
    # No asset from the internet: no absolute URL anywhere in the console's files.
    for f in STATIC.rglob("*"):
        if f.suffix in (".html", ".js", ".css"):
            assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", f.read_text()), f


async def test_nothing_outside_the_console_folder_is_served(client):
    for path in ("/console/../__init__.py", "/console/%2e%2e/__init__.py", "/console/nope.js", "/console/pages/",
                 "/console/../../runtime/settings.py"):
        r = await client.get(path)
        assert r.status == 404, path
        assert r.content_type == "application/problem+json", path


async def test_the_console_is_in_the_openapi_document(client):
    doc = await (await client.get("/v1/openapi.json")).json()
    assert doc["paths"]["/"]["get"]["operationId"] == "console_index"
    assert "404" in doc["paths"]["/console/{path}"]["get"]["responses"]
