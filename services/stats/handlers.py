"""The statistics' projection: every completed deal in every channel becomes one fact.

* a negotiated deal counts when paid (complete), at its contract value;
* an auction when settled, at its hammer price, as a transfer;
* an open-licence licence when granted, at its fixed amount (lump sum, entry fee or
  first year's fixed royalty; a rate alone has no value until revenue is reported);
* every royalty payment adds to ``royalties`` (no deal of its own).

Each fact is keyed by its source, so a redelivery or a replay adds nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg

from events.schemas.auctions import AuctionSettled
from events.schemas.deals import DealPaid
from events.schemas.licences import LicenceGranted, RoyaltyPaid
from services.stats import repository as repo

ZERO = Decimal("0.00")


async def deal_paid(conn: asyncpg.Connection, e: DealPaid, at: datetime) -> None:
    d = e.deal
    value = d.terms.contract_value()
    await repo.record_fact(conn, fact_id=f"deal:{d.deal_id}", on=(d.paid_at or at).date(), channel="negotiated",
                           mode=d.kind, currency=value.currency if value else "CNY", deals=1,
                           amount=value.amount if value else ZERO, royalties=ZERO, owner_org_id=d.owner_org_id,
                           patent_ids=d.patent_ids)


async def auction_settled(conn: asyncpg.Connection, e: AuctionSettled, at: datetime) -> None:
    if e.winner_org_id is None or e.seller_org_id is None:
        return
    await repo.record_fact(conn, fact_id=f"auction:{e.auction_id}", on=at.date(), channel="auction", mode="transfer",
                           currency=e.price.currency, deals=1, amount=e.price.amount, royalties=ZERO,
                           owner_org_id=e.seller_org_id, patent_ids=await repo.listing_patents(conn, e.listing_id))


async def licence_granted(conn: asyncpg.Connection, e: LicenceGranted, at: datetime) -> None:
    channel = "open_licence" if e.open_licence_id else "negotiated"
    mode = f"{e.kind}_licence"
    await repo.record_licence(conn, e.licence_id, channel, mode, e.licensor_org_id, e.patent_id)
    if e.open_licence_id is None:
        return  # a deal's licence: the deal counted when it was paid
    amount = e.terms.amount if e.terms is not None and e.terms.amount is not None else None
    await repo.record_fact(conn, fact_id=f"open_licence:{e.licence_id}", on=e.effective_date, channel=channel,
                           mode=mode, currency=amount.currency if amount else "CNY", deals=1,
                           amount=amount.amount if amount else ZERO, royalties=ZERO,
                           owner_org_id=e.licensor_org_id, patent_ids=[e.patent_id])


async def royalty_paid(conn: asyncpg.Connection, e: RoyaltyPaid, at: datetime) -> None:
    lic = await repo.licence(conn, e.licence_id)
    await repo.record_fact(conn, fact_id=f"royalty:{e.payment_id}", on=at.date(),
                           channel=lic["channel"] if lic else "open_licence",
                           mode=lic["mode"] if lic else "ordinary_licence", currency=e.amount.currency, deals=0,
                           amount=ZERO, royalties=e.amount.amount, owner_org_id=e.licensor_org_id,
                           patent_ids=[e.patent_id])
