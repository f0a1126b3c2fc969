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


def distribution_module(policy: DeliveryPolicy | None = None) -> ServiceModule:
    """The module. Its delivery workers' retry policy is ``policy`` if given (tests
    shorten it), else the ``PSM_DELIVERY_*`` settings over ``DeliveryPolicy``'s defaults."""
    return ServiceModule(name="distribution", schema="distribution", migrations=Path(__file__).parent / "migrations",
                         api=api, subscriptions=SUBSCRIPTIONS,
                         workers=(lambda r: DeliveryWorker(r.pool, r.settings, policy, r.registry), lambda r: Matcher(r.pool, r.es, r.settings.index_prefix)))


MODULE = distribution_module()
