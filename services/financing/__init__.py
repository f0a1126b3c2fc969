"""Pledge financing (质押融资): pledges of patents and licence income, consents, valuations
and the value-degree indicators (DESIGN §12a)."""

from __future__ import annotations

from pathlib import Path

from services.financing.api import api
from services.financing.consumers import SUBSCRIPTIONS
from services.runtime.module import ServiceModule

MODULE = ServiceModule(name="financing", schema="financing", migrations=Path(__file__).parent / "migrations", api=api,
                       subscriptions=SUBSCRIPTIONS)
