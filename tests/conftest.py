"""Fixtures shared by every test that touches the real stack.

Isolation, so that tests run in parallel (pytest-xdist) against one set of servers:
every test gets its own PostgreSQL database, its own Kafka topic prefix (and so its
own consumer groups) and its own Elasticsearch index prefix.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from pydantic import SecretStr
from aiohttp.test_utils import TestClient, TestServer

from services.http.app import create_app
from services.main import all_modules
from services.settings import Settings


def _reachable(hostport: str) -> bool:
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    # Tests read the environment once, here, like main() does (make test sources
    # .stack/psm.env, written by the stack tool).
    s = Settings()
    pg = s.database_url.split("@", 1)[-1].split("/", 1)[0]
    es = s.elasticsearch_url.split("//", 1)[-1].rstrip("/")
    down = [name for name, hp in (("PostgreSQL", pg), ("Kafka", s.kafka_bootstrap.split(",")[0]),
                                  ("Elasticsearch", es)) if not _reachable(hp)]
    if down:
        pytest.fail(f"not reachable: {', '.join(down)} — start the stack with `psm stack up` (make test does)",
                    pytrace=False)
    return s


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def database_url(base_settings: Settings) -> AsyncIterator[str]:
    name = unique("psm_test_")
    admin = await asyncpg.connect(base_settings.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield base_settings.database_url.rsplit("/", 1)[0] + "/" + name
    admin = await asyncpg.connect(base_settings.database_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def settings(base_settings: Settings, database_url: str) -> Settings:
    """Settings for one test: its own database, topic prefix and index prefix."""
    tag = unique()
    return base_settings.model_copy(update={
        "database_url": database_url,
        "topic_prefix": f"{tag}.",
        "index_prefix": tag,
        "operator_key": None,
    })


OPERATOR_KEY = "op_test_" + uuid.uuid4().hex


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    """The whole marketplace (every service, relays and consumers) on a test server."""
    app = create_app(settings.model_copy(update={"operator_key": SecretStr(OPERATOR_KEY)}), all_modules())
    async with TestClient(TestServer(app)) as c:
        yield c


@pytest.fixture
def operator() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_KEY}"}


@pytest.fixture(autouse=True)
async def no_leftover_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves asyncio tasks running behind it."""
    before = set(asyncio.all_tasks())
    yield
    for _ in range(50):
        left = {t for t in asyncio.all_tasks() - before if not t.done() and t is not asyncio.current_task()}
        if not left:
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"test left tasks running: {sorted(t.get_name() for t in left)}")


@pytest.fixture(autouse=True)
def no_environment_changes() -> None:
    def snapshot() -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}

    before = snapshot()
    yield
    assert snapshot() == before, "test changed os.environ"
