"""What a bounded context plugs into the process: schema, migrations, routes, consumers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from aiohttp import web

from events.consumer import Subscription
from services.runtime.http.api import Api


@dataclass(frozen=True)
class ServiceModule:
    name: str
    schema: str
    migrations: Path
    api: Api
    subscriptions: Sequence[Subscription] = ()
    # Called once the pool is up and migrations applied (e.g. to install the authenticator).
    on_startup: Callable[[web.Application], Awaitable[None]] | None = None
    # Background workers: each factory makes an object with ``async run()``, run as a
    # task for the app's lifetime and cancelled at shutdown.
    workers: Sequence[Callable[[web.Application], Runner]] = field(default_factory=tuple)


class Runner(Protocol):
    async def run(self) -> None: ...
