"""Helpers for the API tests: registering organisations, reading the test's database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest

from services.runtime.settings import Settings

from .helpers import org_body


@dataclass(frozen=True)
class Registered:
    id: str
    kind: str
    key: str
    key_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def acting_for(self, org_id: str) -> dict[str, str]:
        return self.headers | {"On-Behalf-Of": org_id}


@pytest.fixture
def register(client, operator) -> Callable[..., Awaitable[Registered]]:
    """``await register("venue")``: an organisation of that kind, with its first key."""

    async def make(kind: str = "enterprise", **kw) -> Registered:
        r = await client.post("/v1/orgs", headers=operator, json=org_body(kind, **kw))
        body = await r.json()
        assert r.status == 201, body
        return Registered(body["org"]["id"], kind, body["api_key"], body["key_id"])

    return make


@pytest.fixture
async def db(client, settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the test's own database (after the app has migrated it)."""
    conn = await asyncpg.connect(settings.database_url)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    try:
        yield conn
    finally:
        await conn.close()
