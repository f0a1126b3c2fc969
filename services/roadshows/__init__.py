"""Roadshows (路演): lineups, seats and waitlists, leads, enterprise feedback and its report (DESIGN §9)."""

from __future__ import annotations

from pathlib import Path

from services.runtime.module import ServiceModule
from services.roadshows.api import api
from services.roadshows.consumers import SUBSCRIPTIONS

MODULE = ServiceModule(name="roadshows", schema="roadshows", migrations=Path(__file__).parent / "migrations", api=api,
                       subscriptions=SUBSCRIPTIONS)
