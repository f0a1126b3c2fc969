"""Listings: the patent register, bulk imports, supply and demand listings (DESIGN §5)."""

from __future__ import annotations

from pathlib import Path

from services.listings.api import api
from services.listings.consumers import SUBSCRIPTIONS
from services.listings.expiry import ExpirySweeper
from services.listings.imports import ImportWorker
from services.runtime.module import ServiceModule

MODULE = ServiceModule(name="listings", schema="listings", migrations=Path(__file__).parent / "migrations", api=api,
                       subscriptions=SUBSCRIPTIONS,
                       workers=[lambda r: ImportWorker(r.pool), lambda r: ExpirySweeper(r.pool)])
