"""Distribution (一点发布、全网通达, DESIGN §10): every catalogue change to every venue
(signed webhooks, a change feed) and new supply to the enterprises that asked (精准推送)."""

from __future__ import annotations

from pathlib import Path

from services.distribution.api import api
from services.distribution.consumers import SUBSCRIPTIONS
from services.distribution.delivery import DeliveryWorker
from services.distribution.domain import DeliveryPolicy
from services.distribution.push import Matcher
from services.runtime.module import ServiceModule
from services.runtime.settings import Settings
from services.runtime.storage.retention import Retention


def retention(settings: Settings) -> list[Retention]:
    """Deliveries that ended are forgotten after a while: delivered or dropped ones once
    ``POST /v1/venues/{id}/replay`` no longer reaches them, dead letters once
    ``…/recover`` does not. Pending ones never (they are still owed)."""
    return [Retention("distribution", "deliveries", "created_at", settings.delivery_retention_s,
                      where="status IN ('delivered', 'dropped')", label="distribution.deliveries (ended)"),
            Retention("distribution", "deliveries", "created_at", settings.dead_letter_retention_s,
                      where="status = 'dead'", label="distribution.deliveries (dead)")]


def distribution_module(policy: DeliveryPolicy | None = None) -> ServiceModule:
    """The module. Its delivery workers' retry policy is ``policy`` if given (tests
    shorten it), else the ``PSM_DELIVERY_*`` settings over ``DeliveryPolicy``'s defaults."""
    return ServiceModule(name="distribution", schema="distribution", migrations=Path(__file__).parent / "migrations",
                         api=api, subscriptions=SUBSCRIPTIONS, retention=retention,
                         workers=(lambda r: DeliveryWorker(r.pool, r.settings, policy, r.registry),
                                  lambda r: Matcher(r.pool, r.es, r.settings.index_prefix)))


MODULE = distribution_module()
