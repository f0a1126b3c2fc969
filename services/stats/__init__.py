"""Deal statistics and market figures: a read model of every channel's events (DESIGN §12)."""

from __future__ import annotations

from pathlib import Path

from services.runtime.module import ServiceModule
from services.stats.api import api
from services.stats.consumers import SUBSCRIPTIONS

MODULE = ServiceModule(name="stats", schema="stats", migrations=Path(__file__).parent / "migrations", api=api,
                       subscriptions=SUBSCRIPTIONS)
