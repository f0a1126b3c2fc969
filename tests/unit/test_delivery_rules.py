"""Delivery rules (pure, and the target check): the default retry schedule spans a day,
Retry-After is read both ways, and internal addresses are named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.distribution import domain, targets
from services.distribution.domain import DeliveryPolicy


def test_the_default_schedule_spans_more_than_a_day_with_jitter():
    p = DeliveryPolicy()
    assert p.min_span_s() >= 24 * 3600  # every wait at its shortest (half its step): 25.7 h
    waits = [p.next_attempt_in(n).total_seconds() for n in range(1, p.max_attempts)]
    assert sum(waits) >= p.min_span_s() and p.next_attempt_in(p.max_attempts) is None
    assert len({round(p.next_attempt_in(5).total_seconds(), 6) for _ in range(20)}) > 1  # jittered


def test_retry_after_is_honoured_up_to_a_cap():
    p = DeliveryPolicy(backoff_base_s=1, backoff_cap_s=2, max_retry_after_s=60)
    assert p.retry_wait(1, 30) == timedelta(seconds=30)
    assert p.retry_wait(1, 9999) == timedelta(seconds=60)
    assert p.retry_wait(1, None) <= timedelta(seconds=1)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert domain.retry_after_seconds("120", now) == 120
    assert domain.retry_after_seconds("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60
    assert domain.retry_after_seconds("soon", now) is None


def test_a_request_may_wait_fifteen_seconds_at_most():
    with pytest.raises(ValueError, match="15"):
        DeliveryPolicy(request_timeout_s=20, lease_s=60)


def test_status_classes():
    assert [domain.status_class(s, None) for s in (204, 302, 429, 503)] == ["2xx", "3xx", "4xx", "5xx"]
    assert domain.status_class(None, "TimeoutError: ") == "timeout"
    assert domain.status_class(None, "ClientConnectorError: refused") == "connection"


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.0.1", "169.254.169.254",
                                     "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "0.0.0.0", "224.0.0.1"])
def test_internal_addresses(address):
    assert targets.internal(address) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "101.6.6.6"])
def test_public_addresses(address):
    assert targets.internal(address) is None


async def test_the_resolver_drops_internal_addresses_unless_allowed():
    with pytest.raises(targets.InternalTarget, match="internal"):
        await targets.SafeResolver(allow_private=False).resolve("localhost", 80)
    assert await targets.SafeResolver(allow_private=True).resolve("localhost", 80)
    assert targets.refused_literal("http://127.0.0.1:5432/", allow_private=False) is not None
    assert targets.refused_literal("http://127.0.0.1:5432/", allow_private=True) is None
