"""Platform: organisations, API keys, mandates (DESIGN §4)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.runtime.http.state import DB
from services.runtime.module import ServiceModule
from services.platform.api import api
from services.platform.handlers import ensure_operator_org


async def _startup(app: web.Application) -> None:
    async with app[DB].acquire() as conn:
        await ensure_operator_org(conn)


MODULE = ServiceModule(name="platform", schema="platform", migrations=Path(__file__).parent / "migrations", api=api,
                       on_startup=_startup)
