"""Deal routes (DESIGN §12): negotiated deals, their export review and payment, technology-
contract registration, and the transaction certificates (交易鉴证) anyone may verify."""

from __future__ import annotations

import time

from aiohttp import web

from services.deals import certificates, domain, handlers, views
from services.deals import repository as repo
from services.deals.models import (
    Cancellation, CertificateList, CertificateQuery, CertificateView, Confirmation, ContractRegistration, Counter,
    DealCreate, DealPage, DealQuery, DealView, ExportDecision, PaymentCallback, PaymentConfirmation, PdfFile, TermsIn,
)
from services.runtime.access import OPERATOR
from services.runtime.cursors import time_and_id
from services.runtime import webhooks
from services.runtime.errors import NotFound, Unauthorized
from services.runtime.http.api import Api, Ctx, Reply, json_reply
from services.runtime.http.consistency import settle
from services.runtime.http.pagination import decode_cursor, page_of
from services.runtime.http.state import DB

api = Api("deals")


def terms_in(t: TermsIn) -> domain.Terms:
    """The body's terms as numbers in one currency (each amount of a deal is in the same one)."""
    amounts = {"price": t.price, "valuation": t.valuation,
               "royalty.amount": t.royalty.amount if t.royalty else None}
    currencies = {name: m.currency for name, m in amounts.items() if m is not None}
    currency = next(iter(currencies.values()), "CNY")
    r = t.royalty
    return domain.Terms(currency=currency, price=t.price.amount if t.price else None,
                        royalty_basis=r.basis if r else None, rate_percent=r.rate_percent if r else None,
                        royalty_amount=r.amount.amount if r and r.amount else None, territory=t.territory,
                        term_years=t.term_years, valuation=t.valuation.amount if t.valuation else None,
                        equity_share_percent=t.equity_share_percent,
                        other_currencies=tuple(n for n, c in currencies.items() if c != currency))


async def _view(ctx: Ctx, row) -> DealView:
    return await views.deal_view(ctx.conn, row)


@api.post("/v1/deals", body=DealCreate, response=DealView, status=201, errors=(403, 404),
          summary="Propose a deal (transfer, licence or equity contribution) from a listing, a demand, or patents")
async def propose(ctx: Ctx[DealCreate]) -> Reply:
    b = ctx.body
    row = await handlers.propose(ctx.conn, ctx.me(), kind=b.kind, listing_id=b.listing_id,
                                 patent_ids=list(b.patent_ids), counterparty_org_id=b.counterparty_org_id,
                                 terms=terms_in(b.terms), method=b.terms.payment_method,
                                 schedule=b.terms.payment_schedule, negotiation_days=b.negotiation_days,
                                 co_owner_consents=list(dict.fromkeys(b.co_owner_consents)))
    return Reply(await _view(ctx, row), 201, {"Location": f"/v1/deals/{row['id']}"})


@api.get("/v1/deals", query=DealQuery, response=DealPage,
         summary="Deals the caller is party to (all, for the operator); ?role, ?status, ?kind")
async def list_deals(ctx: Ctx) -> DealPage:
    q: DealQuery = ctx.query
    me = ctx.me()
    rows = await repo.list_deals(ctx.conn, viewer=None if me.is_operator else me.effective_org_id, role=q.role,
                                 status=q.status, kind=q.kind, after=decode_cursor(q.cursor, time_and_id),
                                 limit=q.limit)
    items, cursor = page_of(rows, q.limit, lambda r: [r["created_at"].isoformat(), r["id"]])
    return DealPage(items=[await _view(ctx, r) for r in items], next_cursor=cursor)


@api.get("/v1/deals/{id}", response=DealView, errors=(404,), summary="One deal: terms, confirmations, history")
async def get_deal(ctx: Ctx) -> DealView:
    return await _view(ctx, await handlers.load(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/deals/{id}/counter", body=Counter, response=DealView, errors=(403, 404, 409),
          summary="Counter with new terms (answering the version read): earlier confirmations lapse")
async def counter(ctx: Ctx[Counter]) -> DealView:
    b = ctx.body
    row = await handlers.counter(ctx.conn, ctx.me(), ctx.path["id"], b.version, terms_in(b.terms),
                                 b.terms.payment_method, b.terms.payment_schedule)
    return await _view(ctx, row)


async def _agreed(request: web.Request, row) -> web.Response:
    async with request.app[DB].acquire() as conn:
        return json_reply(await views.deal_view(conn, row), 200, {"Location": f"/v1/deals/{row['id']}"})


async def settle_confirmation(request: web.Request, response: web.Response) -> web.Response:
    return await settle(request, response, schema="deals", decided=handlers.decided, render=_agreed)


@api.post("/v1/deals/{id}/confirm", body=Confirmation, response=DealView, errors=(403, 404, 409),
          settles=settle_confirmation,
          summary="Confirm the current terms; the second confirmation asks the patent register, which answers "
                  "200 agreed, a 4xx naming the refusing rule, or 202 (agreeing) with the deal to poll")
async def confirm(ctx: Ctx[Confirmation]) -> Reply:
    row = await handlers.confirm(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.version)
    status = 202 if row["status"] == "agreeing" else 200
    return Reply(await _view(ctx, row), status, {"Location": f"/v1/deals/{row['id']}"})


@api.post("/v1/deals/{id}/export-review", body=ExportDecision, response=DealView, allow=OPERATOR,
          errors=(404, 409), summary="Approve or refuse a transfer abroad (知识产权对外转让审查), with reasons")
async def export_review(ctx: Ctx[ExportDecision]) -> DealView:
    b = ctx.body
    return await _view(ctx, await handlers.review_export(ctx.conn, ctx.me(), ctx.path["id"], b.approve, b.reasons,
                                                         list(b.documents)))


@api.post("/v1/deals/{id}/payment", body=PaymentConfirmation, response=DealView, allow=OPERATOR, errors=(404, 409),
          summary="Payment confirmed (the operator, for its escrow or the bank's callback): the deal is complete")
async def payment(ctx: Ctx[PaymentConfirmation]) -> DealView:
    return await _view(ctx, await handlers.pay(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.payment_reference))


@api.post("/v1/deals/{id}/payment-callback", body=PaymentCallback, response=DealView, allow=None,
          errors=(401, 404, 409),
          summary="The payment provider's signed callback (Standard Webhooks headers): the deal is paid")
async def payment_callback(ctx: Ctx[PaymentCallback]) -> DealView:
    secret = ctx.settings.payment_callback_secret
    if secret is None:
        raise NotFound("this marketplace takes no payment callbacks (no provider secret is configured)",
                       rule="payment-callbacks-off")
    try:
        webhooks.verify(secret.get_secret_value(), ctx.request.headers, ctx.body_bytes, time.time())
    except webhooks.BadSignature as e:
        raise Unauthorized(f"the callback is not signed by the payment provider: {e}") from None
    b = ctx.body
    return await _view(ctx, await handlers.paid_by_callback(ctx.conn, ctx.path["id"], b.payment_reference, b.amount))


@api.post("/v1/deals/{id}/cancel", body=Cancellation, response=DealView, errors=(403, 404, 409),
          summary="Cancel a deal not yet paid (either party, or the operator)")
async def cancel(ctx: Ctx[Cancellation]) -> DealView:
    return await _view(ctx, await handlers.cancel(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.reason))


@api.post("/v1/deals/{id}/contract-registration", body=ContractRegistration, response=DealView, errors=(404, 409),
          summary="Record the technology-contract registration (技术合同登记) of a completed deal")
async def contract_registration(ctx: Ctx[ContractRegistration]) -> DealView:
    b = ctx.body
    return await _view(ctx, await handlers.register_contract(ctx.conn, ctx.me(), ctx.path["id"], b.registration_no,
                                                             b.registered_on))


# -- certificates ------------------------------------------------------------------------
async def _certificate(ctx: Ctx):
    code = certificates.normalise(ctx.path["code"])
    row = await repo.get_certificate(ctx.conn, code) if code else None
    if row is None:
        # A mistyped or tampered code and an unknown one read alike: nothing was certified under it.
        raise NotFound(f"no certificate has the code {ctx.path['code']!r}", rule="certificate-not-found")
    return row


@api.get("/v1/certificates/{code}", allow=None, response=CertificateView, errors=(404,),
         summary="Verify a transaction certificate (交易鉴证) by its code: what it certifies (no key needed)")
async def verify(ctx: Ctx) -> CertificateView:
    return views.certificate_view(await _certificate(ctx))


@api.get("/v1/certificates/{code}/pdf", allow=None, response=PdfFile, media_type="application/pdf", errors=(404,),
         summary="The certificate as the PDF the parties print (no key needed: the code is the credential)")
async def certificate_pdf(ctx: Ctx) -> web.Response:
    row = await _certificate(ctx)
    url = f"{ctx.request.scheme}://{ctx.request.host}/v1/certificates/{row['code']}"
    return web.Response(body=certificates.render_pdf(row, url), content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="certificate-{row["code"]}.pdf"'})


@api.get("/v1/certificates", query=CertificateQuery, response=CertificateList,
         summary="The certificates of a deal, auction or open-licence licence the caller is party to")
async def certificates_of(ctx: Ctx) -> CertificateList:
    q: CertificateQuery = ctx.query
    me = ctx.me()
    row = await repo.certificate_of(ctx.conn, q.subject, q.subject_id)
    if row is None or not (me.is_operator or any(me.acts_as(p["org_id"]) for p in row["parties"] if p["org_id"])):
        return CertificateList(items=[])
    return CertificateList(items=[views.certificate_view(row)])
