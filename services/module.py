"""What a bounded context plugs into the process: schema, migrations, routes, consumers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from events.consumer import Subscription
from events.outbox import Outbox
from services.http.api import Api


@dataclass(frozen=True)
class ServiceModule:
    name: str
    schema: str
    migrations: Path
    api: Api
    subscriptions: Sequence[Subscription] = ()
    # Called once the pool is up and migrations applied (e.g. to install the authenticator).
    on_startup: Callable[[web.Application], Awaitable[None]] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def outbox(self) -> Outbox:
        return Outbox(schema=self.schema, source=f"/psm/{self.name}")
