"""Typed application state: every resource an app holds, under one ``web.AppKey`` each."""

from __future__ import annotations

from typing import Protocol

import asyncpg
from aiohttp import web
from aiokafka import AIOKafkaProducer
from elasticsearch import AsyncElasticsearch

from services.runtime.access import Principal
from services.runtime.http.consistency import CONSISTENCY  # noqa: F401 — the app key lives with its type
from services.runtime.http.observability import Metrics
from services.runtime.settings import Settings


class Authenticator(Protocol):
    """Turns a bearer token (and an ``On-Behalf-Of`` org id) into a ``Principal``.

    Raises ``Unauthorized`` for a missing/unknown/revoked key and ``Forbidden`` for an
    ``On-Behalf-Of`` without a mandate.
    """

    async def authenticate(self, conn: asyncpg.Connection, token: str, on_behalf_of: str | None) -> Principal: ...

    def known(self, token: str, on_behalf_of: str | None) -> Principal | None:
        """The caller when no query is needed (a key remembered by this process), else None."""


SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", asyncpg.Pool)
ES = web.AppKey("es", AsyncElasticsearch)
PRODUCER = web.AppKey("producer", AIOKafkaProducer)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
METRICS = web.AppKey("metrics", Metrics)
