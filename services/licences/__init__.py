"""Open licences (专利开放许可): declarations, acceptances, licences, filing, royalties (DESIGN §7)."""

from __future__ import annotations

from pathlib import Path

from services.licences.api import api
from services.licences.consumers import SUBSCRIPTIONS
from services.runtime.module import ServiceModule

MODULE = ServiceModule(name="licences", schema="licences", migrations=Path(__file__).parent / "migrations", api=api,
                       subscriptions=SUBSCRIPTIONS)
