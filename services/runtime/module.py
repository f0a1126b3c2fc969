"""What a bounded context plugs into the process: schema, migrations, routes, consumers,
workers — and the typed resources those receive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import asyncpg
from prometheus_client import CollectorRegistry
from aiohttp import web
from aiokafka import AIOKafkaProducer
from elasticsearch import AsyncElasticsearch

from events.consumer import Subscription
from services.runtime.http.api import Api
from services.runtime.settings import Settings
from services.runtime.storage.retention import Retention


class Runner(Protocol):
    async def run(self) -> None: ...


@dataclass(frozen=True)
class Resources:
    """What a worker or a consumer gets from the process: its clients, made once by the
    application factory and closed by it."""

    settings: Settings
    pool: asyncpg.Pool
    es: AsyncElasticsearch
    producer: AIOKafkaProducer
    registry: CollectorRegistry | None = None  # the process's metrics (/metrics): a worker adds its own


@dataclass(frozen=True)
class ServiceModule:
    name: str
    schema: str
    migrations: Path
    api: Api
    subscriptions: Sequence[Subscription] = ()
    # Subscriptions whose handlers need the process's clients (the catalogue's indexer
    # writes to Elasticsearch): made once the resources exist, run like the others.
    subscriptions_from: Callable[[Resources], Sequence[Subscription]] | None = None
    # Called once the pool is up and migrations applied, with the application (the one
    # place a module may put something its routes read, e.g. the auctions' live hub);
    # what it returns is run for the app's lifetime like a worker.
    on_startup: Callable[[web.Application], Awaitable[Sequence[Runner] | None]] | None = None
    # Background workers: each factory makes an object with ``async run()``, run as a
    # task for the app's lifetime and cancelled at shutdown.
    workers: Sequence[Callable[[Resources], Runner]] = field(default_factory=tuple)
    # Rows of the context's own tables that may be forgotten after a while (its outbox
    # and processed events are the runtime's: every context has them).
    retention: Callable[[Settings], Sequence[Retention]] | None = None
