"""The console in a real headless Chromium, against the whole marketplace on a real port.

The marketplace is built exactly as ``psm serve`` builds it (``services.tools.main.application``)
and served by the test's own event loop; the browser is driven from threads
(tests/e2e/browser.py), so the loop keeps answering it. Venue deliveries give up after two
tries, so a dead letter appears within seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from services.distribution.domain import DeliveryPolicy
from services.tools.main import application
from tests.e2e.browser import Browser, missing
from tests.integration.distribution.conftest import modules
from tests.integration.distribution.conftest import receivers  # noqa: F401
from tests.integration.listings.conftest import Org, eventually, register  # noqa: F401
from tests.integration.auctions.conftest import auction_house  # noqa: F401

QUICK_DEAD_LETTERS = DeliveryPolicy(max_attempts=2, backoff_base_s=0.2, backoff_cap_s=0.5, request_timeout_s=2.0,
                                    pause_after_failures=1000, poll_s=0.05)


@pytest.fixture
async def client(settings, operator) -> AsyncIterator[TestClient]:
    key = operator["Authorization"].removeprefix("Bearer ")
    app = application(settings.model_copy(update={"operator_key": SecretStr(key)}), modules(QUICK_DEAD_LETTERS))
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


@pytest.fixture
async def browsers(client) -> AsyncIterator[Callable[[], Awaitable[Browser]]]:
    """``await browsers()``: a new browser session on the console (closed after the test)."""
    why = missing()
    if why:
        pytest.fail(why, pytrace=False)
    opened: list[Browser] = []

    async def make() -> Browser:
        b = await Browser.start(str(client.make_url("/")))
        opened.append(b)
        return b

    yield make
    for b in opened:
        errors = await b.errors()
        await b.close()
        assert not errors, f"the page logged errors: {errors}"


def key_of(org: Org) -> str:
    """The API key a test organisation authenticates with (what a person signs in with)."""
    return org.headers["Authorization"].removeprefix("Bearer ")


async def searchable(org: Org, q: str, listing_id: str) -> None:
    """Wait until the catalogue finds ``listing_id`` for ``q`` (the indexer is asynchronous)."""
    async def found():
        r = await org.get("/v1/catalogue/search", params={"q": q})
        return r.status == 200 and any(i["id"] == listing_id for i in (await r.json())["items"])

    await eventually(found, timeout=15)
