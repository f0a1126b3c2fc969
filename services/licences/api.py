"""Open-licence routes (DESIGN §7): declarations, acceptances, licences, filing, royalties."""

from __future__ import annotations


from services.runtime.access import ANY_ORG
from aiohttp import web

from services.runtime.http.api import Api, Ctx, Reply, json_reply
from services.runtime.http.consistency import settle
from services.runtime.cursors import time_and_id
from services.runtime.http.pagination import decode_cursor, page_of
from services.licences import domain, handlers, views
from services.licences import repository as repo
from services.licences.models import (
    Acceptance, ContractRegistration, Declaration, DeclarationCreate, DeclarationPage, DeclarationQuery, Filing, Licence, LicencePage,
    LicenceQuery, PaymentCreate, PaymentReceipt, Withdrawal,
)

api = Api("licences")


def _after(cursor: str | None) -> tuple | None:
    return decode_cursor(cursor, time_and_id)


def _declared_position(row) -> list:
    return [row["declared_at"].isoformat(), row["id"]]


def _created_position(row) -> list:
    return [row["created_at"].isoformat(), row["id"]]


async def _declared(request: web.Request, d) -> web.Response:
    return json_reply(views.declaration_view(d), 201, {"Location": f"/v1/open-licences/{d['id']}"})


async def settle_declaration(request: web.Request, response: web.Response) -> web.Response:
    """The patent register's decision, when it comes within the saga bound: 201 with the
    declaration in force, or the refusal as a problem naming its rule; else the 202."""
    return await settle(request, response, schema="licences", decided=handlers.decided, render=_declared)


@api.post("/v1/open-licences", body=DeclarationCreate, response=Declaration, status=201, allow=ANY_ORG,
          errors=(404, 409), settles=settle_declaration,
          summary="Declare an open licence (专利开放许可声明): the patent register decides it; 201 in force, "
                  "a 4xx naming the refusing rule, or 202 (pending) with the declaration to poll")
async def declare(ctx: Ctx[DeclarationCreate]) -> Reply:
    b = ctx.body
    d = await handlers.declare(ctx.conn, ctx.me(), domain.DeclarationTerms(
        patent_id=b.patent_id, royalty=domain.Royalty(b.royalty.basis, b.royalty.rate_percent,
                                                      b.royalty.amount.amount if b.royalty.amount else None,
                                                      b.royalty.amount.currency if b.royalty.amount else "CNY"),
        payment_method=b.payment.method, payment_schedule=b.payment.schedule, term_years=b.term_years,
        cnipa_announcement_no=b.cnipa_announcement_no, evaluation_report_no=b.evaluation_report_no,
        co_owner_consents=tuple(b.co_owner_consents), pledgee_consents=tuple(b.pledgee_consents)))
    return Reply(views.declaration_view(d), 202, {"Location": f"/v1/open-licences/{d['id']}"})


@api.get("/v1/open-licences", query=DeclarationQuery, response=DeclarationPage, summary="Open-licence declarations")
async def list_declarations(ctx: Ctx) -> DeclarationPage:
    q: DeclarationQuery = ctx.query
    rows = await repo.list_declarations(ctx.conn, patent_id=q.patent_id, status=q.status, after=_after(q.cursor),
                                        limit=q.limit)
    items, cursor = page_of(rows, q.limit, _declared_position)
    return DeclarationPage(items=[views.declaration_view(r) for r in items], next_cursor=cursor)


@api.get("/v1/open-licences/{id}", response=Declaration, errors=(404,), summary="One declaration and its terms")
async def get_declaration(ctx: Ctx) -> Declaration:
    return views.declaration_view(await handlers.load_declaration(ctx.conn, ctx.path["id"]))


@api.post("/v1/open-licences/{id}/withdraw", body=Withdrawal, response=Declaration, errors=(404, 409),
          summary="Withdraw (with every co-owner's consent): no new acceptances; licences granted stay")
async def withdraw(ctx: Ctx[Withdrawal]) -> Declaration:
    d = await handlers.withdraw(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.co_owner_consents)
    return views.declaration_view(d)


@api.post("/v1/open-licences/{id}/acceptances", body=Acceptance, response=Licence, status=201, errors=(404, 409),
          summary="Accept: an ordinary licence on the declared terms, at once, to any organisation alike")
async def accept(ctx: Ctx[Acceptance]) -> Reply:
    row = await handlers.accept(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.licensee_org_id)
    return Reply(await views.licence_view(ctx.conn, row), 201, {"Location": f"/v1/licences/{row['id']}"})


@api.get("/v1/open-licences/{id}/licences", query=LicenceQuery, response=LicencePage, errors=(404,),
         summary="Licences granted under a declaration (those the caller is party to; all, for the operator)")
async def licences_of_declaration(ctx: Ctx) -> LicencePage:
    d = await handlers.load_declaration(ctx.conn, ctx.path["id"])
    return await _licences(ctx, open_licence_id=d["id"])


@api.get("/v1/licences", query=LicenceQuery, response=LicencePage,
         summary="Licences the caller is party to (?role=licensor|licensee, ?status=filing_overdue …)")
async def list_licences(ctx: Ctx) -> LicencePage:
    return await _licences(ctx, open_licence_id=None)


async def _licences(ctx: Ctx, open_licence_id: str | None) -> LicencePage:
    q: LicenceQuery = ctx.query
    me = ctx.me()
    rows = await repo.list_licences(ctx.conn, viewer=None if me.is_operator else me.effective_org_id, role=q.role,
                                    status=q.status, open_licence_id=open_licence_id, today=handlers.today(),
                                    after=_after(q.cursor), limit=q.limit)
    items, cursor = page_of(rows, q.limit, _created_position)
    return LicencePage(items=[await views.licence_view(ctx.conn, r) for r in items], next_cursor=cursor)


@api.get("/v1/licences/{id}", response=Licence, errors=(404,),
         summary="One licence: terms, filing (备案) status, royalties due, paid and outstanding")
async def get_licence(ctx: Ctx) -> Licence:
    return await views.licence_view(ctx.conn, await handlers.load_licence(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/licences/{id}/filing", body=Filing, response=Licence, errors=(404, 409),
          summary="Record the licence's filing (备案) with CNIPA (due 3 months after it takes effect)")
async def file_licence(ctx: Ctx[Filing]) -> Licence:
    row = await handlers.file(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.filing_no, ctx.body.filed_on)
    return await views.licence_view(ctx.conn, row)


@api.post("/v1/licences/{id}/payments", body=PaymentCreate, response=PaymentReceipt, status=201, errors=(404, 409),
          summary="Pay royalties for a period: the amount due is computed from the declared basis")
async def pay(ctx: Ctx[PaymentCreate]) -> Reply:
    b = ctx.body
    paid = await handlers.pay(ctx.conn, ctx.me(), ctx.path["id"], b.period, b.amount, b.reported_revenue)
    return Reply(views.receipt(paid), 201, {"Location": f"/v1/licences/{paid.licence_id}"})


@api.post("/v1/licences/{id}/contract-registration", body=ContractRegistration, response=Licence, errors=(404, 409),
          summary="Record the technology-contract registration (技术合同登记) of a filed licence (plan item 九)")
async def register_contract(ctx: Ctx[ContractRegistration]) -> Licence:
    row = await handlers.register_contract(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.registration_no,
                                           ctx.body.registered_on)
    return await views.licence_view(ctx.conn, row)
