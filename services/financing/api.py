"""Financing routes (DESIGN §12a): pledges of patents and of licence income, the pledgee's
consents, CNIPA registration, valuations and the value-degree indicators."""

from __future__ import annotations

from aiohttp import web

from events.schemas.financing import DisposalTerms
from services.financing import domain, handlers, views
from services.financing import repository as repo
from services.financing.models import (
    ConsentIn, DisposalCreate, FactorView, Indicators, PledgeCreate, PledgePage, PledgeQuery, PledgeView, Registration,
    ValuationCreate, Valuation, ValuationList,
)
from services.runtime.cursors import time_and_id
from services.runtime.errors import NotFound
from services.runtime.http.api import Api, Ctx, Reply, json_reply
from services.runtime.http.consistency import settle
from services.runtime.http.pagination import decode_cursor, page_of
from services.runtime.http.state import DB

api = Api("financing")


async def _view(ctx: Ctx, row) -> PledgeView:
    return await views.pledge_view(ctx.conn, row)


@api.post("/v1/pledges", body=PledgeCreate, response=PledgeView, status=201, errors=(403,),
          summary="Propose a pledge of patents (专利权质押) or of licence income (许可收益权质押) to a financier")
async def propose(ctx: Ctx[PledgeCreate]) -> Reply:
    b = ctx.body
    row = await handlers.propose(
        ctx.conn, ctx.me(), kind=b.kind, pledgee_org_id=b.pledgee_org_id, patent_ids=list(b.patent_ids),
        licence_ids=list(b.licence_ids), loan=b.loan.amount, term_months=b.loan.term_months,
        rate_percent=b.loan.rate_percent, valuation_id=b.valuation_id, guaranteed=b.guaranteed, insured=b.insured,
        co_owner_consents=list(b.co_owner_consents))
    return Reply(await _view(ctx, row), 201, {"Location": f"/v1/pledges/{row['id']}"})


@api.get("/v1/pledges", query=PledgeQuery, response=PledgePage,
         summary="Pledges the caller is party to (all, for the operator); ?role=pledgor|pledgee, ?status")
async def list_pledges(ctx: Ctx) -> PledgePage:
    q: PledgeQuery = ctx.query
    me = ctx.me()
    rows = await repo.list_pledges(ctx.conn, viewer=None if me.is_operator else me.effective_org_id, role=q.role,
                                   status=q.status, after=decode_cursor(q.cursor, time_and_id), limit=q.limit)
    items, cursor = page_of(rows, q.limit, lambda r: [r["created_at"].isoformat(), r["id"]])
    return PledgePage(items=[await _view(ctx, r) for r in items], next_cursor=cursor)


@api.get("/v1/pledges/{id}", response=PledgeView, errors=(404,),
         summary="One pledge: loan, consents, registration, the licence-income ledger, history")
async def get_pledge(ctx: Ctx) -> PledgeView:
    return await _view(ctx, await handlers.load(ctx.conn, ctx.me(), ctx.path["id"]))


async def _decided(request: web.Request, row) -> web.Response:
    async with request.app[DB].acquire() as conn:
        return json_reply(await views.pledge_view(conn, row), 200, {"Location": f"/v1/pledges/{row['id']}"})


async def settle_confirmation(request: web.Request, response: web.Response) -> web.Response:
    return await settle(request, response, schema="financing", decided=handlers.decided, render=_decided)


@api.post("/v1/pledges/{id}/confirm", response=PledgeView, errors=(403, 404, 409), settles=settle_confirmation,
          summary="The financier confirms: a patent pledge is asked of the register (200 in force, a 4xx naming "
                  "the refusing rule, or 202 to poll); a licence-income pledge is in force at once")
async def confirm(ctx: Ctx) -> Reply:
    row = await handlers.confirm(ctx.conn, ctx.me(), ctx.path["id"])
    return Reply(await _view(ctx, row), 202 if row["status"] == "reserving" else 200,
                 {"Location": f"/v1/pledges/{row['id']}"})


@api.post("/v1/pledges/{id}/registration", body=Registration, response=PledgeView, errors=(403, 404, 409),
          summary="Record the pledge's registration with CNIPA (专利权质押登记)")
async def registration(ctx: Ctx[Registration]) -> PledgeView:
    b = ctx.body
    return await _view(ctx, await handlers.register(ctx.conn, ctx.me(), ctx.path["id"], b.registration_no,
                                                    b.registered_on))


@api.post("/v1/pledges/{id}/consents", body=ConsentIn, response=PledgeView, errors=(403, 404, 409),
          summary="The pledgee consents to a transfer, an open-licence declaration or a licence (Civil Code art. 444)")
async def give_consent(ctx: Ctx[ConsentIn]) -> PledgeView:
    return await _view(ctx, await handlers.consent(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.scope, give=True))


@api.delete("/v1/pledges/{id}/consents/{scope}", response=PledgeView, errors=(403, 404, 409),
            summary="Revoke a consent for what has not been done yet (what was done with it stands)")
async def revoke_consent(ctx: Ctx) -> PledgeView:
    scope = ctx.path["scope"]
    if scope not in ("transfer", "open_licence", "licence"):
        raise NotFound(f"no consent scope {scope!r} (transfer, open_licence, licence)")
    return await _view(ctx, await handlers.consent(ctx.conn, ctx.me(), ctx.path["id"], scope, give=False))


@api.post("/v1/pledges/{id}/release", response=PledgeView, errors=(403, 404, 409),
          summary="The financier releases the pledge (the loan is repaid): the patents are free of it")
async def release(ctx: Ctx) -> PledgeView:
    return await _view(ctx, await handlers.release(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/pledges/{id}/default", response=PledgeView, errors=(403, 404, 409),
          summary="The financier declares the loan in default")
async def default(ctx: Ctx) -> PledgeView:
    return await _view(ctx, await handlers.default(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/pledges/{id}/disposal", body=DisposalCreate, response=PledgeView, errors=(403, 404, 409),
          summary="质物处置: on default, the pledgee puts the pledged patents up for auction (priority holders named)")
async def disposal(ctx: Ctx[DisposalCreate]) -> PledgeView:
    b = ctx.body
    terms = DisposalTerms(starts_at=b.starts_at, ends_at=b.ends_at, start_price=b.start_price, increment=b.increment,
                          deposit=b.deposit)
    return await _view(ctx, await handlers.request_disposal(ctx.conn, ctx.me(), ctx.path["id"], terms,
                                                            list(b.priority_holders)))


@api.post("/v1/pledges/{id}/cancel", response=PledgeView, errors=(403, 404, 409),
          summary="Cancel a pledge not yet confirmed (either party)")
async def cancel(ctx: Ctx) -> PledgeView:
    return await _view(ctx, await handlers.cancel(ctx.conn, ctx.me(), ctx.path["id"]))


# -- valuations and indicators -----------------------------------------------------------
@api.post("/v1/patents/{id}/valuations", body=ValuationCreate, response=Valuation, status=201, errors=(403, 404),
          summary="Record a valuation report (GB/T 42748-2023: evaluator, method, value, date, reference)")
async def value(ctx: Ctx[ValuationCreate]) -> Reply:
    b = ctx.body
    row = await handlers.value(ctx.conn, ctx.me(), ctx.path["id"], evaluator=b.evaluator, method=b.method,
                               amount=b.value, valued_on=b.valued_on, report_ref=b.report_ref)
    return Reply(views.valuation_view(row), 201, {"Location": f"/v1/patents/{ctx.path['id']}/valuations"})


@api.get("/v1/patents/{id}/valuations", response=ValuationList, errors=(404,),
         summary="A patent's valuation reports, newest first")
async def valuations(ctx: Ctx) -> ValuationList:
    return ValuationList(items=[views.valuation_view(v) for v in await repo.valuations_of(ctx.conn, ctx.path["id"])])


@api.get("/v1/patents/{id}/indicators", response=Indicators, errors=(404,),
         summary="The value-degree score (价值度) with every factor: weight, value, contribution, evidence")
async def indicators(ctx: Ctx) -> Indicators:
    patent, facts = await handlers.indicators(ctx.conn, ctx.path["id"])
    score, factors = domain.score(facts)
    latest = (await repo.valuations_of(ctx.conn, patent["id"]))[:1]
    return Indicators(patent_id=patent["id"], score=score,
                      factors=[FactorView(name=f.name, weight=f.weight, value=f.value, contribution=f.contribution,
                                          evidence=f.evidence) for f in factors],
                      latest_valuation=views.valuation_view(latest[0]) if latest else None)
