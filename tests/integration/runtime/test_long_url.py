"""A URL longer than the API accepts is a problem+json 414 naming the rule, not the HTTP
parser's plain-text 400."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from services.runtime.http.app import HANDLER_ARGS, create_app
from services.runtime.http.problems import MAX_URL_BYTES
from services.tools.main import all_modules
from tests.conftest import OPERATOR_KEY


async def test_a_long_url_is_a_problem(settings):
    app = create_app(settings.model_copy(update={"operator_key": SecretStr(OPERATOR_KEY)}), all_modules())
    server = TestServer(app)
    await server.start_server(**HANDLER_ARGS)  # as `psm serve` runs it (the test server's defaults are aiohttp's)
    async with TestClient(server) as client:
        operator = {"Authorization": f"Bearer {OPERATOR_KEY}"}
        r = await client.get("/v1/catalogue/search", params={"q": "锂" * 3000}, headers=operator)
        assert r.status == 414 and r.content_type == "application/problem+json"
        assert (await r.json())["type"].endswith("/uri-too-long")
        r = await client.get("/v1/orgs", params={"x": "a" * (MAX_URL_BYTES - 100)}, headers=operator)
        assert r.status != 414  # just under the limit: answered as usual (here 422: no such parameter)
