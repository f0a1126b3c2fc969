"""Auction routes (DESIGN §8). The live WebSocket is in live.py."""

from __future__ import annotations

import hashlib
from decimal import ROUND_DOWN, Decimal

from services.runtime.access import ANY_ORG, OPERATOR, kinds
from services.auctions import domain, handlers
from services.auctions import repository as repo
from services.auctions.models import (
    AuctionCreate, AuctionPage, AuctionQuery, AuctionTerms, AuctionView, BidCreate, BidPage, BidView, ExportDecision, Extension,
    MyRegistration, Registration, RegistrationPage, Relist,
)
from aiohttp import web

from services.runtime.errors import FieldError, ValidationFailed
from services.runtime.http.api import Api, Ctx, Reply, json_reply
from services.runtime.http.consistency import settle as settle_saga
from services.runtime.http.state import DB
from services.runtime.cursors import sequence, time_and_id
from services.runtime.http.pagination import PageQuery, decode_cursor, encode_cursor, page_of
from services.runtime.http.problems import from_domain_error
from events.schemas.common import Money

api = Api("auctions")
SELLERS = kinds("institution", "enterprise")


def terms_of(b: AuctionTerms) -> tuple[str, domain.Terms]:
    currencies = {m.currency for m in (b.start_price, b.increment, b.deposit, b.reserve_price) if m is not None}
    if len(currencies) != 1:
        raise ValidationFailed([FieldError("start_price.currency", "all amounts of an auction share one currency")])
    return currencies.pop(), domain.Terms(
        starts_at=b.starts_at, ends_at=b.ends_at, start_price=b.start_price.amount,
        reserve_price=b.reserve_price.amount if b.reserve_price else None, increment=b.increment.amount,
        deposit=b.deposit.amount, window_s=b.extension.window_s, extend_s=b.extension.extend_s)


async def view(ctx: Ctx, row, reg=None) -> AuctionView:
    """``reg``: the caller's registration, when the caller already has it."""
    me = ctx.principal
    if reg is None and me is not None:
        reg = await repo.registration_of(ctx.conn, row["id"], me.effective_org_id)

    def m(amount):
        return None if amount is None else Money(amount=amount, currency=row["currency"])

    auction = repo.to_domain(row)
    return AuctionView(
        id=row["id"], listing_id=row["listing_id"], status=row["status"], starts_at=row["starts_at"],
        ends_at=row["ends_at"], start_price=m(row["start_price"]), increment=m(row["increment"]),
        deposit=m(row["deposit"]), current_price=m(row["current_price"]), bid_count=row["bid_count"],
        reserve_met=auction.reserve_met, leading=reg is not None and row["leader"] == reg["id"],
        extension=Extension(window_s=row["window_s"], extend_s=row["extend_s"]), relisted_from=row["relisted_from"],
        my_registration=MyRegistration(id=reg["id"], deposit_status=reg["deposit_status"]) if reg else None,
        final_price=m(row["final_price"]), disposes=row["disposes"], beneficiary_org_id=row["beneficiary_org_id"],
        priority_holders=list(row["priority_holders"]),
    )


async def _scheduled(request: web.Request, row) -> web.Response:
    async with request.app[DB].acquire() as conn:
        body = await view(Ctx(request, conn, None, None, None, {}), row)
    return json_reply(body, 201, {"Location": f"/v1/auctions/{row['id']}"})


async def settle_auction(request: web.Request, response: web.Response) -> web.Response:
    """The patent register's decision on the lot, when it comes within the saga bound:
    201 with the scheduled auction, or the refusal naming its rule; else the 202."""
    return await settle_saga(request, response, schema="auctions", decided=handlers.decided, render=_scheduled)


@api.post("/v1/auctions", body=AuctionCreate, response=AuctionView, status=201, allow=SELLERS, errors=(404, 409),
          settles=settle_auction,
          summary="Put a published supply listing up for auction: the patent register reserves the lot (the "
                  "listing becomes reserved) — 201 scheduled, a 4xx naming the refusing rule, or 202 (pending)")
async def create_auction(ctx: Ctx[AuctionCreate]) -> Reply:
    currency, terms = terms_of(ctx.body)
    row = await handlers.create(ctx.conn, ctx.me(), ctx.body.listing_id, currency, terms)
    return Reply(await view(ctx, row), 202, {"Location": f"/v1/auctions/{row['id']}"})


@api.post("/v1/auctions/{id}/relist", body=Relist, response=AuctionView, status=201,
          allow=SELLERS | kinds("financier"),
          errors=(404, 409), settles=settle_auction,
          summary="Relist an unsold lot (流拍) as a new auction, by default 15 % lower")
async def relist(ctx: Ctx[Relist]) -> Reply:
    old = await handlers.load(ctx.conn, ctx.path["id"])
    if old["status"] != domain.CLOSED_UNSOLD:
        raise domain.AuctionError(f"only an unsold auction is relisted (this one is {old['status']})",
                                  rule="auction-not-unsold")
    b = ctx.body

    def keep(m: Money | None, column: str) -> Money | None:
        return m if m is not None else (Money(amount=old[column], currency=old["currency"])
                                        if old[column] is not None else None)

    start = b.start_price or Money(amount=(old["start_price"] * (100 - b.discount_percent) / 100).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN), currency=old["currency"])
    terms = AuctionTerms(starts_at=b.starts_at, ends_at=b.ends_at, start_price=start,
                         reserve_price=b.reserve_price, increment=keep(b.increment, "increment"),
                         deposit=keep(b.deposit, "deposit"),
                         extension=b.extension or Extension(window_s=old["window_s"], extend_s=old["extend_s"]))
    currency, t = terms_of(terms)
    row = await handlers.create(ctx.conn, ctx.me(), old["listing_id"], currency, t, relisted_from=old)
    return Reply(await view(ctx, row), 202, {"Location": f"/v1/auctions/{row['id']}"})


@api.post("/v1/auctions/{id}/sale", response=AuctionView, allow=kinds("financier"), errors=(404, 409),
          summary="变卖: a pledgee offers a disposal that sold nothing twice at its last start price")
async def sale(ctx: Ctx) -> AuctionView:
    return await view(ctx, await handlers.put_up_for_sale(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/auctions/{id}/purchase", response=AuctionView, errors=(403, 404, 409),
          summary="Buy a disposal offered for sale at its price: the first buyer wins; settled like a won auction")
async def purchase(ctx: Ctx) -> AuctionView:
    return await view(ctx, await handlers.purchase(ctx.conn, ctx.me(), ctx.path["id"]))


@api.get("/v1/auctions", query=AuctionQuery, response=AuctionPage,
         summary="Auctions by end time (?status=, ?listing_id=, ?ends_after=, ?ends_before=, ?mine=true)")
async def list_auctions(ctx: Ctx) -> AuctionPage:
    q: AuctionQuery = ctx.query
    me = ctx.me()
    rows = await repo.list_auctions(ctx.conn, status=q.status, listing_id=q.listing_id, ends_after=q.ends_after,
                                    ends_before=q.ends_before, party=me.effective_org_id if q.mine else None,
                                    after=decode_cursor(q.cursor, time_and_id), limit=q.limit)
    items, cursor = page_of(rows, q.limit, lambda r: [r["ends_at"].isoformat(), r["id"]])
    return AuctionPage(items=[await view(ctx, r) for r in items], next_cursor=cursor)


@api.get("/v1/auctions/{id}/registrations", query=PageQuery, response=RegistrationPage, errors=(403, 404),
         summary="An auction's registered bidders and their deposits (its seller and the operator)")
async def list_registrations(ctx: Ctx) -> RegistrationPage:
    row = await handlers.load(ctx.conn, ctx.path["id"])
    ctx.me().require_acting_as(row["seller_org_id"], "this auction's registrations")
    q: PageQuery = ctx.query
    rows = await repo.registrations_of(ctx.conn, row["id"], decode_cursor(q.cursor, time_and_id), q.limit)
    items, cursor = page_of(rows, q.limit, lambda r: [r["created_at"].isoformat(), r["id"]])
    return RegistrationPage(items=[Registration(**dict(r)) for r in items], next_cursor=cursor)


@api.get("/v1/auctions/{id}", response=AuctionView, errors=(404,), summary="An auction's public state")
async def get_auction(ctx: Ctx) -> AuctionView:
    return await view(ctx, await handlers.load(ctx.conn, ctx.path["id"]))


@api.post("/v1/auctions/{id}/registrations", response=Registration, status=201, allow=ANY_ORG, errors=(404, 409),
          summary="Register as a bidder (a deposit must then be confirmed)")
async def register(ctx: Ctx) -> Reply:
    reg, new = await handlers.register(ctx.conn, ctx.me(), ctx.path["id"])
    return Reply(Registration(**dict(reg)), 201 if new else 200)


# Not fresh: it reads only this service's own rows (the registration, the deposit amount),
# which no other context's event changes.
@api.post("/v1/auctions/{id}/registrations/{rid}/deposit", response=Registration, allow=OPERATOR, errors=(404, 409),
          fresh=False, summary="Confirm a bidder's deposit (operator, or the payment callback)")
async def confirm_deposit(ctx: Ctx) -> Registration:
    reg = await handlers.confirm_deposit(ctx.conn, ctx.path["id"], ctx.path["rid"])
    return Registration(**dict(reg))


@api.post("/v1/auctions/{id}/bids", body=BidCreate, response=AuctionView, status=201, errors=(404, 409), fresh=False,
          summary="Bid (amount, and optionally a secret max_amount for proxy bidding)")
async def place_bid(ctx: Ctx[BidCreate]):
    row, outcome, reg = await handlers.place_bid(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.amount,
                                                 ctx.body.max_amount)
    if outcome.refused is not None:
        # Refused, but the proxy's answer is real and is committed with this response.
        return from_domain_error(outcome.refused)
    # The row as saved (RETURNING *) and the bidder's registration are what the view
    # needs: no second read while the auction's row lock is held.
    return Reply(await view(ctx, row, reg), 201)


def mask(registration_id: str) -> str:
    return "bidder-" + hashlib.sha256(registration_id.encode()).hexdigest()[:6]


@api.get("/v1/auctions/{id}/bids", query=PageQuery, response=BidPage, errors=(404,),
         summary="Accepted bids in sequence order (bidders masked)")
async def list_bids(ctx: Ctx) -> BidPage:
    row = await handlers.load(ctx.conn, ctx.path["id"])
    q: PageQuery = ctx.query
    rows = await repo.bids(ctx.conn, row["id"], decode_cursor(q.cursor, sequence) or 0, q.limit)
    me = ctx.me()
    items = [BidView(id=f"{row['id']}:{r['sequence']}", amount=Money(amount=r["amount"], currency=row["currency"]),
                     sequence=r["sequence"], placed_at=r["placed_at"], proxy=r["proxy"],
                     bidder=r["bidder_org_id"] if me.is_operator or me.effective_org_id == r["bidder_org_id"]
                     else mask(r["registration_id"]))
             for r in rows[:q.limit]]
    return BidPage(items=items, next_cursor=encode_cursor([rows[q.limit - 1]["sequence"]]) if len(rows) > q.limit
                   else None)


@api.post("/v1/auctions/{id}/settle", response=AuctionView, allow=OPERATOR, errors=(404, 409),
          summary="Payment confirmed: settle (a winner outside CN goes to export review first)")
async def settle(ctx: Ctx) -> AuctionView:
    return await view(ctx, await handlers.settle(ctx.conn, ctx.path["id"]))


@api.post("/v1/auctions/{id}/export-review", body=ExportDecision, response=AuctionView, allow=OPERATOR,
          errors=(404, 409), summary="知识产权对外转让审查: approve or refuse a transfer abroad")
async def export_review(ctx: Ctx[ExportDecision]) -> AuctionView:
    return await view(ctx, await handlers.review_export(ctx.conn, ctx.path["id"], ctx.body.approve))


@api.post("/v1/auctions/{id}/default", response=AuctionView, allow=OPERATOR, errors=(404, 409),
          summary="The winner did not pay: the deposit is forfeited and the listing released")
async def default(ctx: Ctx) -> AuctionView:
    return await view(ctx, await handlers.default(ctx.conn, ctx.path["id"]))
