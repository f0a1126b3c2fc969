"""Financing fixtures: organisations (financiers among them) with keys."""

from __future__ import annotations

from tests.integration.listings.conftest import Org, eventually, foreign_events, register  # noqa: F401
