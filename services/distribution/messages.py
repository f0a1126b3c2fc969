"""What a venue receives: one change of the network-wide log, the same in the pull feed
(``GET /v1/feed``) and in the ``data`` of every webhook (Standard Webhooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field

from services.runtime.cursors import encode_cursor


class Change(BaseModel):
    """One entry of the change feed, and the ``data`` of every venue webhook."""

    cursor: str = Field(description="resume the feed after this change: GET /v1/feed?after=<cursor>")
    seq: int = Field(description="the change's place in the network-wide log (gap-free)")
    subject: str = Field(description="the entity: listing, open-licence declaration, auction or roadshow id")
    type: str = Field(description="the event type, e.g. psm.listing.published.v1")
    entity_type: str = Field(description="listing | demand | open_licence | auction | roadshow")
    snapshot: dict[str, Any] = Field(description="the entity's full state after the change")
    occurred_at: datetime


def change_of(r: asyncpg.Record) -> Change:
    """A change-log row as the message a venue gets."""
    return Change(cursor=encode_cursor([r["seq"]]), seq=r["seq"], subject=r["subject"], type=r["change_type"],
                  entity_type=r["attributes"]["type"], snapshot=r["snapshot"], occurred_at=r["occurred_at"])
