"""Roadshow fixtures: published listings, a venue's roadshow (once the listings have
reached the roadshows service), attendees."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.integration.listings.conftest import Org, eventually, foreign_events, register  # noqa: F401

START = (datetime.now(UTC) + timedelta(days=10)).replace(hour=6, minute=0, second=0, microsecond=0)


def at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


async def published_listing(owner: Org, **over) -> str:
    p = await owner.patent()
    listing = await owner.supply([p["patent_id"]], **over)
    r = await owner.post(f"/v1/listings/{listing['listing_id']}/publish")
    assert r.status == 200, await r.text()
    return listing["listing_id"]


def roadshow_body(lineup: list[tuple[str, int]], **over) -> dict:
    body = {"title": "长三角新能源专利路演", "description": "高校专利成果发布；现场对接", "starts_at": at(0),
            "ends_at": at(180), "mode": "hybrid", "location": "上海市徐汇区, 漕河泾; 3号楼",
            "stream_url": "https://live.example.cn/rs", "capacity": 20,
            "lineup": [{"listing_id": lid, "slot_starts_at": at(m)} for lid, m in lineup]}
    body.update(over)
    return body


async def create(venue: Org, body: dict, *, expect: int = 201) -> dict:
    """POST the roadshow, waiting while its listings have not yet reached roadshows."""
    async def attempt():
        r = await venue.post("/v1/roadshows", body)
        data = await r.json()
        if r.status == 422 and any(("no published listing" in e["message"] or " is draft:" in e["message"])
                                  for e in data.get("errors", [])):
            return None
        assert r.status == expect, data
        return data

    return await eventually(attempt, timeout=8)


async def published_roadshow(venue: Org, lineup: list[tuple[str, int]], **over) -> dict:
    rs = await create(venue, roadshow_body(lineup, **over))
    r = await venue.post(f"/v1/roadshows/{rs['id']}/publish")
    assert r.status == 200, await r.text()
    return await r.json()


async def attendees(register, n: int, kind: str = "enterprise") -> list[Org]:
    out: list[Org] = []
    for i in range(0, n, 25):
        out += await asyncio.gather(*(register(kind) for _ in range(i, min(i + 25, n))))
    return out


async def problem(r, status: int) -> dict:
    body = await r.json()
    assert r.status == status, body
    assert r.content_type == "application/problem+json"
    return body
