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
from aiokafka.admin import AIOKafkaAdminClient
from elasticsearch import AsyncElasticsearch
import pytest
from pydantic import SecretStr
from aiohttp.test_utils import TestClient, TestServer

from services.runtime.http.app import create_app, migrate
from services.runtime.storage import create_pool
from services.tools.main import all_modules
from services.runtime.settings import Settings


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


def _url_of(base: Settings, name: str) -> str:
    return base.database_url.rsplit("/", 1)[0] + "/" + name


async def _drop_database(base: Settings, name: str) -> None:
    admin = await asyncpg.connect(base.database_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def template_database(base_settings: Settings) -> AsyncIterator[str]:
    """A database with every schema migrated, once per test process: each test's own
    database is a copy of it, which is much faster than migrating from scratch."""
    name = unique("psm_tmpl_")
    admin = await asyncpg.connect(base_settings.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    pool = await create_pool(base_settings.model_copy(update={"database_url": _url_of(base_settings, name)}),
                             min_size=1, max_size=1)
    try:
        await migrate(pool, all_modules())
    finally:
        await pool.close()
    yield name
    await _drop_database(base_settings, name)


@pytest.fixture
async def database_url(base_settings: Settings, template_database: str) -> AsyncIterator[str]:
    name = unique("psm_test_")
    admin = await asyncpg.connect(base_settings.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    finally:
        await admin.close()
    yield _url_of(base_settings, name)
    await _drop_database(base_settings, name)


@pytest.fixture
async def settings(base_settings: Settings, database_url: str) -> AsyncIterator[Settings]:
    """Settings for one test: its own database, topic prefix and index prefix.

    Its topics (two partitions each, enough to show per-key order) are deleted
    afterwards, so that a long run does not pile thousands of partitions on the broker.
    """
    tag = unique()
    yield base_settings.model_copy(update={
        "database_url": database_url,
        "topic_prefix": f"{tag}.",
        "topic_partitions": 2,
        "index_prefix": tag,
        "operator_key": None,
        # The suite's webhook receivers run on 127.0.0.1 (the URL-safety tests turn this off).
        "webhooks_allow_private": True,
    })
    await delete_topics(base_settings.kafka_bootstrap, f"{tag}.")
    await delete_indices(base_settings.elasticsearch_url, f"{tag}-*")


async def delete_indices(url: str, pattern: str) -> None:
    es = AsyncElasticsearch(url)
    try:
        await es.options(ignore_status=404).indices.delete(index=pattern, expand_wildcards="all")
    finally:
        await es.close()


async def delete_topics(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


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
    pytest.fail("test left tasks running: " + ", ".join(sorted(
        f"{t.get_name()} ({getattr(t.get_coro(), '__qualname__', t.get_coro())})" for t in left)))


@pytest.fixture(autouse=True)
def no_environment_changes() -> None:
    def snapshot() -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}

    before = snapshot()
    yield
    assert snapshot() == before, "test changed os.environ"
