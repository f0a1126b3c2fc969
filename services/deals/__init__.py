"""Negotiated deals (协议转让, licences, 作价入股), export review, technology-contract
registration and transaction certificates (DESIGN §12)."""

from __future__ import annotations

from pathlib import Path

from services.deals.api import api
from services.deals.consumers import SUBSCRIPTIONS
from services.deals.sweeper import LapseSweeper
from services.runtime.module import ServiceModule

MODULE = ServiceModule(name="deals", schema="deals", migrations=Path(__file__).parent / "migrations", api=api,
                       subscriptions=SUBSCRIPTIONS, workers=[lambda r: LapseSweeper(r.pool)])
