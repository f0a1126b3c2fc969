"""Auction fixtures: a seller with a published listing that auctions already knows,
and bidders with confirmed deposits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.listings.conftest import Org, eventually, foreign_events, register  # noqa: F401


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def cny(amount: str) -> dict:
    return {"amount": amount, "currency": "CNY"}


@pytest.fixture
def auction_house(client, operator, register):
    class House:
        async def lot(self) -> tuple[Org, str]:
            """A university with a published supply listing, known to the auctions service."""
            seller = await register()
            p = await seller.patent()
            listing = await seller.supply([p["patent_id"]])
            r = await seller.post(f"/v1/listings/{listing['listing_id']}/publish")
            assert r.status == 200, await r.text()
            return seller, listing["listing_id"]

        async def auction(self, seller: Org, listing_id: str, *, start: str = "1000.00", inc: str = "100.00",
                          reserve: str | None = None, starts_in: float = 0, seconds: float = 3600,
                          window_s: int = 0, extend_s: int = 0, expect: int = 201) -> dict:
            now = datetime.now(UTC)
            body = {"listing_id": listing_id, "starts_at": iso(now + timedelta(seconds=starts_in)),
                    "ends_at": iso(now + timedelta(seconds=starts_in + seconds)), "start_price": cny(start),
                    "increment": cny(inc), "deposit": cny("5000.00"),
                    "extension": {"window_s": window_s, "extend_s": extend_s}}
            if reserve:
                body["reserve_price"] = cny(reserve)

            async def created():
                r = await seller.post("/v1/auctions", body)
                if r.status in (404, 409) and expect not in (404, 409):
                    # The listing (or its publication) has not reached the auctions service yet.
                    return None
                assert r.status == expect, await r.text()
                return await r.json()

            return await eventually(created, timeout=10)

        async def bidder(self, auction_id: str, *, country: str = "CN", confirm: bool = True) -> Org:
            b = await register("enterprise", country=country)
            r = await b.post(f"/v1/auctions/{auction_id}/registrations")
            assert r.status == 201, await r.text()
            reg = await r.json()
            if confirm:
                r = await client.post(f"/v1/auctions/{auction_id}/registrations/{reg['id']}/deposit",
                                      headers=operator)
                assert r.status == 200, await r.text()
            b.registration_id = reg["id"]
            return b

    return House()


async def bid(org: Org, auction_id: str, amount: str, max_amount: str | None = None, **kw):
    body = {"amount": cny(amount)}
    if max_amount:
        body["max_amount"] = cny(max_amount)
    return await org.post(f"/v1/auctions/{auction_id}/bids", body, **kw)
