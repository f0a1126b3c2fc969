"""Online auctions (DESIGN §8)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.auctions.api import api
from services.auctions import live as _live  # noqa: F401 — registers the WebSocket route on api
from services.auctions.consumers import SUBSCRIPTIONS
from services.auctions.live import LIVE_HUB, LiveHub
from services.auctions.scheduler import AuctionScheduler
from services.runtime.http.state import DB, SETTINGS
from services.runtime.module import ServiceModule


def _hub(app: web.Application) -> LiveHub:
    hub = LiveHub(app[SETTINGS].kafka_bootstrap, app[SETTINGS].topic_prefix)
    app[LIVE_HUB] = hub
    return hub


MODULE = ServiceModule(name="auctions", schema="auctions", migrations=Path(__file__).parent / "migrations", api=api,
                       subscriptions=SUBSCRIPTIONS, workers=[lambda app: AuctionScheduler(app[DB]), _hub])
