"""Auction use cases. Bids to one auction are serialised by the auction row's lock
(SELECT … FOR UPDATE): whatever the number of bidders and replicas, each bid sees the
state the previous one left, so accepted bids strictly increase and their sequence
numbers are consecutive. A 201 is sent only after the transaction holding the bid
and its outbox event has committed."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from events.outbox import Outbox
from events.consistency import announce_outcome
from events.schemas.auctions import (
    AuctionCancelled, AuctionClosed, AuctionDefaulted, AuctionExtended, AuctionOpened, AuctionScheduled, AuctionSettled, BidAccepted,
    BidderRegistered, DepositConfirmed, DepositsSettled, ExportReviewDecided, ExportReviewRequested,
)
from events.schemas.common import Money
from events.schemas.financing import PledgeDisposalRequested
from events.schemas.listings import ListingSnapshot
from events.schemas.register import (
    AuctionReservationRequested, ReservationGranted, ReservationRefused, ReservationRequest,
)
from services.runtime.access import Principal
from services.auctions import domain
from services.auctions import repository as repo
from services.runtime.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from services.runtime.ids import new_id
from services.runtime.clock import now

OUTBOX = Outbox(schema="auctions", source="/psm/auctions")


def money(row: asyncpg.Record, amount: Decimal) -> Money:
    return Money(amount=amount, currency=row["currency"])


async def load(conn: asyncpg.Connection, auction_id: str, *, lock: bool = False) -> asyncpg.Record:
    row = await repo.get(conn, auction_id, lock=lock)
    if row is None:
        raise NotFound(f"no auction {auction_id}")
    return row


async def create(conn: asyncpg.Connection, me: Principal, listing_id: str, currency: str, terms: domain.Terms,
                 relisted_from: asyncpg.Record | None = None) -> asyncpg.Record:
    """A new auction, ``pending`` until the patent register reserves its lot (a reservation
    in a saga): the register decides, against its own state, whether the listing is
    still published and its patents free to be sold. A disposal (质物处置) is relisted by
    its pledgee, within 30 days and at most 20 % lower (法释〔2016〕18号 arts. 26–27)."""
    disposal = relisted_from is not None and relisted_from["disposes"] is not None
    if disposal:
        me.require_acting_as(relisted_from["beneficiary_org_id"], "this disposal")
        domain.check_disposal_relist(closed_at=relisted_from["closed_at"], old_start=relisted_from["start_price"],
                                     new_start=terms.start_price, now=now())
        seller, requester = relisted_from["seller_org_id"], relisted_from["beneficiary_org_id"]
    else:
        listing = await repo.listing(conn, listing_id)
        if listing is None:
            raise NotFound(f"no listing {listing_id}", rule="listing-not-found", field="listing_id")
        me.require_acting_as(listing["owner_org_id"], "this listing")
        seller = requester = listing["owner_org_id"]
    domain.validate_terms(terms, now())
    auction_id, reservation_id = new_id("auc"), new_id("rsv")
    extra = {"disposes": relisted_from["disposes"], "beneficiary": relisted_from["beneficiary_org_id"],
             "priority_holders": list(relisted_from["priority_holders"]),
             "patent_ids": list(relisted_from["patent_ids"])} if disposal else {}
    try:
        async with conn.transaction():
            row = await repo.insert_auction(conn, auction_id, listing_id, seller, currency, terms,
                                            relisted_from["id"] if relisted_from else None, reservation_id, **extra)
    except asyncpg.UniqueViolationError:
        raise Conflict("this listing already has a running auction", rule="auction-already-running") from None
    await OUTBOX.record(conn, auction_id, AuctionReservationRequested(reservation=ReservationRequest(
        reservation_id=reservation_id, kind="auction", reference_id=auction_id, requester_org_id=requester,
        listing_id=listing_id, replaces=relisted_from["id"] if relisted_from else None,
        disposes=extra.get("disposes"), patent_ids=extra.get("patent_ids", []))))
    return row


async def create_disposal(conn: asyncpg.Connection, e: PledgeDisposalRequested) -> None:
    """质物处置 asked by a pledgee: an auction of the pledged patents, on a listing the register
    creates for it (on their owner's behalf) when it reserves them. Terms the auction rules
    refuse make it ``refused`` at once, naming the rule."""
    p, t = e.pledge, e.terms
    if await repo.auction_disposing(conn, p.pledge_id) is not None:
        return  # a redelivery
    auction_id, reservation_id = new_id("auc"), new_id("rsv")
    listing_id = "lst_" + auction_id.removeprefix("auc_")
    terms = domain.Terms(starts_at=t.starts_at, ends_at=t.ends_at, start_price=t.start_price.amount,
                         reserve_price=None, increment=t.increment.amount, deposit=t.deposit.amount, window_s=0,
                         extend_s=0)
    row = await repo.insert_auction(conn, auction_id, listing_id, p.pledgor_org_id, t.start_price.currency, terms,
                                    None, reservation_id, disposes=p.pledge_id, beneficiary=p.pledgee_org_id,
                                    priority_holders=list(e.priority_holders), patent_ids=list(p.patent_ids))
    try:
        domain.validate_terms(terms, now())
    except DomainError as refusal:
        await repo.set_status(conn, auction_id, domain.REFUSED, {"rule": refusal.rule, "detail": refusal.detail,
                                                                 "status": refusal.status, "field": None})
        return
    await OUTBOX.record(conn, auction_id, AuctionReservationRequested(reservation=ReservationRequest(
        reservation_id=reservation_id, kind="auction", reference_id=row["id"], requester_org_id=p.pledgee_org_id,
        listing_id=listing_id, patent_ids=list(p.patent_ids), disposes=p.pledge_id)))


async def put_up_for_sale(conn: asyncpg.Connection, me: Principal, auction_id: str) -> asyncpg.Record:
    """变卖: a relisted disposal that sold nothing is offered at its start price to the first
    buyer (法释〔2016〕18号 art. 28)."""
    row = await load(conn, auction_id, lock=True)
    if row["disposes"] is None:
        raise Conflict("only a pledge's disposal is offered for a fixed-price sale", rule="not-a-disposal")
    me.require_acting_as(row["beneficiary_org_id"], "this disposal")
    if row["status"] != domain.CLOSED_UNSOLD or row["relisted_from"] is None:
        raise Conflict("a disposal is offered for a fixed-price sale once its relisted auction sold nothing",
                       rule="sale-not-yet")
    return await repo.set_status(conn, auction_id, domain.FOR_SALE)


async def purchase(conn: asyncpg.Connection, me: Principal, auction_id: str) -> asyncpg.Record:
    """The first buyer of a disposal offered for sale takes it at the price offered; the
    operator settles it as a won auction."""
    row = await load(conn, auction_id, lock=True)  # serialises buyers: the first one wins
    if row["status"] != domain.FOR_SALE:
        raise Conflict(f"auction {auction_id} is not offered for sale (it is {row['status']})", rule="not-for-sale")
    buyer = me.effective_org_id
    if me.is_operator or buyer in (row["seller_org_id"], row["beneficiary_org_id"]):
        raise Forbidden("a buyer is neither the pledgor nor the pledgee", rule="not-a-buyer")
    reg = await repo.registration_of(conn, auction_id, buyer) or await repo.insert_registration(
        conn, new_id("reg"), auction_id, buyer)
    row = await repo.sell_at_start_price(conn, auction_id, reg["id"])
    await OUTBOX.record(conn, auction_id, AuctionClosed(
        auction_id=auction_id, listing_id=row["listing_id"], outcome=domain.CLOSED_WON,
        price=money(row, row["final_price"]), winner=reg["id"], bid_count=row["bid_count"], disposes=row["disposes"]))
    return row


async def decided(conn: asyncpg.Connection, auction_id: str) -> asyncpg.Record | None:
    row = await repo.get(conn, auction_id)
    return row if row is not None and row["status"] != domain.PENDING else None


async def on_reservation_decided(conn: asyncpg.Connection, e: ReservationGranted | ReservationRefused) -> None:
    row = await repo.get(conn, e.reference_id, lock=True)
    if row is None or row["status"] != domain.PENDING:
        return
    if isinstance(e, ReservationRefused):
        await repo.set_status(conn, row["id"], domain.REFUSED, {"rule": e.rule, "detail": e.detail,
                                                                "status": e.status, "field": e.field})
    else:
        row = await repo.set_status(conn, row["id"], domain.SCHEDULED)
        listing = await repo.listing(conn, row["listing_id"])
        await OUTBOX.record(conn, row["id"], AuctionScheduled(
            auction_id=row["id"], listing_id=row["listing_id"], starts_at=row["starts_at"], ends_at=row["ends_at"],
            start_price=money(row, row["start_price"]), seller_org_id=row["seller_org_id"],
            increment=money(row, row["increment"]), deposit=money(row, row["deposit"]),
            relisted_from=row["relisted_from"],
            lot=ListingSnapshot.model_validate(listing["snapshot"]) if listing and listing["snapshot"] else None,
            disposes=row["disposes"], priority_holders=list(row["priority_holders"])))
    await announce_outcome(conn, "auctions", row["id"])


async def cancel_for_patent(conn: asyncpg.Connection, patent_id: str, legal_status: str) -> None:
    """The patent left force: every auction of it not yet decided is cancelled and every
    deposit released (a patent that is not in force cannot be sold)."""
    for row in await repo.undecided_with_patent(conn, patent_id):
        await repo.set_status(conn, row["id"], domain.CANCELLED)
        await OUTBOX.record(conn, row["id"], AuctionCancelled(auction_id=row["id"], listing_id=row["listing_id"],
                                                        reason=f"patent-{legal_status}"))
        released = await repo.release_deposits(conn, row["id"], keep=None)
        if released:
            await OUTBOX.record(conn, row["id"], DepositsSettled(auction_id=row["id"], released=released))
        if row["status"] == domain.PENDING:
            await announce_outcome(conn, "auctions", row["id"])


async def register(conn: asyncpg.Connection, me: Principal, auction_id: str) -> tuple[asyncpg.Record, bool]:
    row = await load(conn, auction_id)
    bidder = me.effective_org_id
    if bidder == row["seller_org_id"]:
        raise Forbidden("the seller cannot bid in its own auction", rule="seller-cannot-bid")
    if row["status"] not in ("scheduled", "open"):
        raise Conflict(f"the auction is {row['status']}", rule="auction-not-open")
    reg = await repo.insert_registration(conn, new_id("reg"), auction_id, bidder)
    if reg is None:
        return await repo.registration_of(conn, auction_id, bidder), False
    await OUTBOX.record(conn, auction_id, BidderRegistered(auction_id=auction_id, registration_id=reg["id"],
                                                     bidder_org_id=bidder))
    return reg, True


async def confirm_deposit(conn: asyncpg.Connection, auction_id: str, registration_id: str) -> asyncpg.Record:
    row = await load(conn, auction_id)
    reg = await repo.registration(conn, registration_id)
    if reg is None or reg["auction_id"] != auction_id:
        raise NotFound(f"no registration {registration_id} in auction {auction_id}")
    if reg["deposit_status"] == "confirmed":
        return reg
    if reg["deposit_status"] != "pending":
        raise Conflict(f"the deposit is already {reg['deposit_status']}", rule="deposit-settled")
    reg = await repo.set_deposit(conn, registration_id, "confirmed")
    await OUTBOX.record(conn, auction_id, DepositConfirmed(auction_id=auction_id, registration_id=registration_id,
                                                     amount=money(row, row["deposit"])))
    return reg


async def place_bid(conn: asyncpg.Connection, me: Principal, auction_id: str, amount: Money,
                    max_amount: Money | None) -> tuple[asyncpg.Record, domain.BidOutcome, dict]:
    """Returns the auction's row as saved, the outcome and the bidder's registration (its
    id and deposit status). Two statements and the commit hold the auction's row lock,
    which is what serialises bids: the lock with the registration, then the bids with the
    auction's new state and its events."""
    row, reg = await repo.lock_for_bid(conn, auction_id, me.effective_org_id)
    if row is None:
        raise NotFound(f"no auction {auction_id}")
    for name, m in (("amount", amount), ("max_amount", max_amount)):
        if m is not None and m.currency != row["currency"]:
            raise ValidationFailed([FieldError(f"{name}.currency", f"this auction is in {row['currency']}")])
    auction = repo.to_domain(row)
    auction.ensure_open(now())  # a closed auction says so first, whoever asks
    domain.require_bidder(reg is not None, reg is not None and reg["deposit_status"] == "confirmed")
    was = auction.status
    outcome = auction.place_bid(reg["id"], amount.amount, max_amount.amount if max_amount else None, now(),
                                auction.bid_count + 1, priority=me.effective_org_id in row["priority_holders"])
    events = []
    if auction.status == domain.OPEN and was == domain.SCHEDULED:
        events.append(AuctionOpened(auction_id=auction_id, listing_id=row["listing_id"], ends_at=auction.ends_at))
    events += [BidAccepted(
        auction_id=auction_id, listing_id=row["listing_id"], bid_sequence=b.sequence, bidder=b.bidder,
        amount=money(row, b.amount), proxy=b.proxy, placed_at=b.placed_at, reserve_met=auction.reserve_met,
        ends_at=auction.ends_at) for b in outcome.accepted]
    if outcome.extended_to is not None:
        events.append(AuctionExtended(auction_id=auction_id, listing_id=row["listing_id"], ends_at=outcome.extended_to))
    # The auction's new state, its bids and every event of the bid in one statement: the
    # row lock that serialises bids is held for as few round trips as possible.
    row = await repo.save_with_bids(conn, auction, outcome.accepted, OUTBOX, [(auction_id, e) for e in events])
    return row, outcome, reg


async def advance(conn: asyncpg.Connection, row: asyncpg.Record) -> None:
    """The scheduler's step for one due auction (its row is locked): open and/or close it."""
    auction = repo.to_domain(row)
    t = now()
    if auction.open(t):
        await OUTBOX.record(conn, auction.id, AuctionOpened(auction_id=auction.id, listing_id=auction.listing_id,
                                                      ends_at=auction.ends_at))
    outcome = auction.close(t)
    await repo.save(conn, auction)
    if outcome is None:
        return
    price = money(row, auction.final_price) if auction.final_price is not None else None
    await OUTBOX.record(conn, auction.id, AuctionClosed(auction_id=auction.id, listing_id=auction.listing_id,
                                                  outcome=outcome, price=price, winner=auction.winner,
                                                  bid_count=auction.bid_count, disposes=row["disposes"]))
    # Losers get their deposits back at once; the winner's is held until settlement.
    released = await repo.release_deposits(conn, auction.id, keep=auction.winner)
    if released:
        await OUTBOX.record(conn, auction.id, DepositsSettled(auction_id=auction.id, released=released))


async def close_due(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn, conn.transaction():
        rows = await repo.due(conn)
        for row in rows:
            await advance(conn, row)
        return len(rows)


async def _winner_org(conn: asyncpg.Connection, auction: domain.Auction) -> str:
    reg = await repo.registration(conn, auction.winner)
    return reg["bidder_org_id"]


async def settle(conn: asyncpg.Connection, auction_id: str) -> asyncpg.Record:
    row = await load(conn, auction_id, lock=True)
    auction = repo.to_domain(row)
    winner_org = await _winner_org(conn, auction) if auction.winner else None
    country = await repo.org_country(conn, winner_org) if winner_org else None
    if auction.status == domain.CLOSED_WON and country is None:
        raise Conflict("the winner's organisation is not known here yet; try again shortly", rule="winner-unknown")
    status = auction.settle(country or "")
    row = await repo.save(conn, auction)
    if status == domain.SETTLED:
        await _settled(conn, row, auction, winner_org)
    else:
        await OUTBOX.record(conn, auction_id, ExportReviewRequested(auction_id=auction_id, listing_id=row["listing_id"],
                                                              winner_org_id=winner_org, winner_country=country))
    return row


async def _settled(conn: asyncpg.Connection, row, auction: domain.Auction, winner_org: str) -> None:
    await OUTBOX.record(conn, auction.id, AuctionSettled(auction_id=auction.id, listing_id=row["listing_id"],
                                                   price=money(row, auction.final_price),
                                                   seller_org_id=row["seller_org_id"], winner_org_id=winner_org,
                                                   disposes=row["disposes"]))
    released = await repo.release_deposits(conn, auction.id, keep=None)
    if released:
        await OUTBOX.record(conn, auction.id, DepositsSettled(auction_id=auction.id, released=released))


async def review_export(conn: asyncpg.Connection, auction_id: str, approve: bool) -> asyncpg.Record:
    row = await load(conn, auction_id, lock=True)
    auction = repo.to_domain(row)
    status = auction.review_export(approve)
    row = await repo.save(conn, auction)
    await OUTBOX.record(conn, auction_id, ExportReviewDecided(auction_id=auction_id, listing_id=row["listing_id"],
                                                        approved=approve))
    if status == domain.SETTLED:
        await _settled(conn, row, auction, await _winner_org(conn, auction))
    else:
        released = await repo.release_deposits(conn, auction_id, keep=None)
        if released:
            await OUTBOX.record(conn, auction_id, DepositsSettled(auction_id=auction_id, released=released))
    return row


async def default(conn: asyncpg.Connection, auction_id: str) -> asyncpg.Record:
    row = await load(conn, auction_id, lock=True)
    auction = repo.to_domain(row)
    auction.default()
    row = await repo.save(conn, auction)
    await repo.set_deposit(conn, auction.winner, "forfeited")
    await OUTBOX.record(conn, auction_id, AuctionDefaulted(auction_id=auction_id, listing_id=row["listing_id"]))
    await OUTBOX.record(conn, auction_id, DepositsSettled(auction_id=auction_id, released=[], forfeited=[auction.winner]))
    return row
