"""Deal fixtures: two parties and a patent, and the bodies of each kind of deal."""

from __future__ import annotations

from tests.integration.auctions.conftest import auction_house, cny  # noqa: F401
from tests.integration.listings.conftest import Org, eventually, foreign_events, register  # noqa: F401


def transfer_terms(price: str = "880000.00") -> dict:
    return {"price": cny(price), "payment_method": "escrow", "payment_schedule": "on signing"}


def licence_terms(**over) -> dict:
    terms = {"royalty": {"basis": "entry_fee_plus_rate", "rate_percent": "2.5", "amount": cny("100000.00")},
             "territory": "中国大陆", "term_years": 5}
    terms.update(over)
    return terms


def equity_terms() -> dict:
    return {"valuation": cny("3000000.00"), "equity_share_percent": "12.5"}


async def ok(r, *statuses: int) -> dict:
    assert r.status in (statuses or (200, 201)), await r.text()
    return await r.json()


async def propose(owner: Org, counterparty: Org, patent_ids: list[str], kind: str = "transfer",
                  terms: dict | None = None, **over) -> dict:
    body = {"kind": kind, "patent_ids": patent_ids, "counterparty_org_id": counterparty.id,
            "terms": terms or (transfer_terms() if kind == "transfer" else equity_terms() if kind == "equity"
                               else licence_terms()), **over}
    return await ok(await owner.post("/v1/deals", body), 201)


async def agree(owner: Org, counterparty: Org, patent_ids: list[str], kind: str = "transfer", **over) -> dict:
    """A deal the owner proposed and the counterparty confirmed: the register's answer."""
    d = await propose(owner, counterparty, patent_ids, kind, **over)
    return await ok(await counterparty.post(f"/v1/deals/{d['deal_id']}/confirm", {"version": d["version"]}))
