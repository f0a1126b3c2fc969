"""Register fixtures: organisations, patents and listings (from the listings tests),
and the final outcome of a command another context decides (201, a refusal, or a 202
followed until decided)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.auctions.conftest import auction_house, cny, iso  # noqa: F401
from tests.integration.licences.conftest import declaration_body  # noqa: F401
from tests.integration.listings.conftest import Org, eventually, foreign_events, register  # noqa: F401


async def decided(org: Org, r, path: str) -> tuple[int, dict]:
    """(status, body) of a saga command's answer; a 202 is followed until its resource is
    decided, so a slow register never counts as an outcome of its own."""
    body = await r.json()
    if r.status != 202:
        return r.status, body

    async def final():
        got = await (await org.get(f"{path}/{body['id']}")).json()
        return got if got["status"] != "pending" else None

    got = await eventually(final, timeout=30)
    if got["status"] == "refused":
        return got["refusal"]["status"], {"type": "/problems/" + got["refusal"]["rule"],
                                          "instance": f"{path}/{got['id']}", **got["refusal"]}
    return 201, got


def auction_body(listing_id: str, *, hours: float = 1) -> dict:
    now = datetime.now(UTC)
    return {"listing_id": listing_id, "starts_at": iso(now + timedelta(hours=hours)),
            "ends_at": iso(now + timedelta(hours=hours + 1)), "start_price": cny("1000.00"),
            "increment": cny("100.00"), "deposit": cny("100.00")}


def rule_of(body: dict) -> str:
    return body["type"].rsplit("/", 1)[-1]


async def rights(org: Org, patent_id: str) -> dict:
    r = await org.get(f"/v1/patents/{patent_id}")
    assert r.status == 200, await r.text()
    return await r.json()


def kinds(patent: dict) -> list[str]:
    return sorted(e["kind"] for e in patent["encumbrances"])
