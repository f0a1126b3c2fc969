"""The distribution API's renderings of venues, changes, deliveries, subscriptions and
pushes (the API layer)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from services.distribution.messages import change_of as change_view  # noqa: F401 — the feed's items
from services.distribution.models import Delivery, Push, PushFeedback, Subscription, Venue


def venue_view(r: asyncpg.Record) -> Venue:
    now = datetime.now(UTC)
    status = ("feed_only" if r["webhook_url"] is None else "disabled" if r["disabled_at"] is not None
              else "paused" if r["paused_until"] is not None and r["paused_until"] > now
              else "throttled" if r["throttled_until"] is not None and r["throttled_until"] > now else "active")
    return Venue(id=r["id"], org_id=r["org_id"], webhook_url=r["webhook_url"], filter=r["filter"],
                 event_types=list(r["event_types"]),
                 rate_limit_per_s=float(r["rate_limit_per_s"]) if r["rate_limit_per_s"] is not None else None,
                 status=status, disabled_reason=r["disabled_reason"], paused_until=r["paused_until"],
                 throttled_until=r["throttled_until"], consecutive_failures=r["consecutive_failures"],
                 created_at=r["created_at"], updated_at=r["updated_at"])


def delivery_view(r: asyncpg.Record) -> Delivery:
    return Delivery(id=r["id"], endpoint_id=r["endpoint_id"], subject=r["subject"], change_type=r["change_type"],
                    status=r["status"], attempts=r["attempts"],
                    next_attempt_at=r["next_attempt_at"] if r["status"] == "pending" else None,
                    last_error=r["last_error"], last_status=r["last_status"], latency_ms=r["latency_ms"],
                    created_at=r["created_at"], delivered_at=r["delivered_at"])


def subscription_view(r: asyncpg.Record, secret: str | None = None) -> Subscription:
    return Subscription(id=r["id"], org_id=r["org_id"], filter=r["filter"], query=r["query"], channel=r["channel"],
                        webhook_url=r.get("webhook_url"), active=r["active"], created_at=r["created_at"],
                        secret=secret)


def push_view(r: asyncpg.Record) -> Push:
    return Push(id=r["id"], kind=r["kind"], listing_id=r["listing_id"], listing=r["listing"], notice=r["notice"],
                subscription_ids=list(r["subscription_ids"]),
                channel=r["channel"], read_at=r["read_at"], created_at=r["created_at"])


def feedback_view(r: asyncpg.Record) -> PushFeedback:
    return PushFeedback(push_id=r["push_id"], listing_id=r["listing_id"], from_org_id=r["from_org_id"],
                        interest_level=r["interest_level"], cooperation=r["cooperation"], comment=r["comment"],
                        created_at=r["created_at"])
