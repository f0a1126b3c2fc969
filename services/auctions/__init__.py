"""Online auctions (DESIGN §8)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.auctions.api import api
from services.auctions import live as _live  # noqa: F401 — registers the WebSocket route on api
from services.auctions.consumers import SUBSCRIPTIONS
from services.auctions.live import LIVE_HUB, LiveHub
from services.auctions.scheduler import AuctionScheduler
from services.runtime.http.state import SETTINGS
from services.runtime.module import ServiceModule


async def _live_hub(app: web.Application) -> list[LiveHub]:
    """The live WebSocket's fan-out, which its route reads from the app; run like a worker."""
    hub = LiveHub(app[SETTINGS].kafka_bootstrap, app[SETTINGS].topic_prefix)
    app[LIVE_HUB] = hub
    return [hub]


MODULE = ServiceModule(name="auctions", schema="auctions", migrations=Path(__file__).parent / "migrations", api=api,
                       subscriptions=SUBSCRIPTIONS, on_startup=_live_hub,
                       workers=[lambda r: AuctionScheduler(r.pool)])
