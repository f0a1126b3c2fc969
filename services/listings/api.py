"""Listings routes: the patent register, bulk imports, supply and demand listings (DESIGN §5)."""

from __future__ import annotations


from services.runtime.access import ANY_ORG, kinds
from services.runtime.errors import Forbidden, NotFound
from services.runtime.http.api import Api, Ctx, Reply
from services.runtime.errors import FieldError, ValidationFailed
from services.runtime.http.body import UnsupportedMediaType
from services.runtime.cursors import sequence, time_and_id
from services.runtime.http.pagination import decode_cursor, encode_cursor, page_of
from services.listings import domain, handlers, imports, reservations, views
from services.listings import repository as repo
from services.listings.models import (
    ImportJob, ImportQuery, ListingCreate, ListingPage, ListingPatch, ListingQuery, ListingView, PatentCreate,
    PatentPage, PatentPatch, PatentQuery, PatentRightsView, PatentView, Recording,
)

api = Api("listings")

OWNERS = kinds("institution", "enterprise")  # the operator always passes
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


def _after(cursor: str | None) -> tuple | None:
    return decode_cursor(cursor, time_and_id)


def _position(row) -> list:
    return [row["created_at"].isoformat(), row["id"]]


@api.post("/v1/patents", body=PatentCreate, response=PatentView, status=201, allow=OWNERS, errors=(409,),
          summary="Register a patent (存量专利盘点)")
async def register_patent(ctx: Ctx[PatentCreate]) -> Reply:
    me = ctx.me()
    b = ctx.body
    owner = b.owner_org_id or me.effective_org_id
    me.require_acting_as(owner, "another organisation's register")
    facts = domain.validate_patent(number=b.number, title=b.title, abstract=b.abstract, kind=b.kind, ipc=b.ipc,
                                   applicants=b.applicants, inventors=b.inventors, filing_date=b.filing_date,
                                   grant_date=b.grant_date, legal_status=b.legal_status, today=handlers.today(),
                                   owner_org_id=owner, co_owner_org_ids=b.co_owner_org_ids)
    if owner == me.effective_org_id:
        await repo.ensure_org(ctx.conn, owner, me.effective_kind)
    row = await handlers.register_patent(ctx.conn, owner, facts)
    return Reply(PatentView.of(await handlers.patent_snapshot(ctx.conn, row)), 201,
                 {"Location": f"/v1/patents/{row['id']}"})


@api.get("/v1/patents", query=PatentQuery, response=PatentPage, summary="Patents in the register")
async def list_patents(ctx: Ctx) -> PatentPage:
    q: PatentQuery = ctx.query
    rows = await repo.list_patents(ctx.conn, q.owner_org_id, _after(q.cursor), q.limit)
    items, cursor = page_of(rows, q.limit, _position)
    return PatentPage(items=[PatentView.of(await handlers.patent_snapshot(ctx.conn, r)) for r in items],
                      next_cursor=cursor)


@api.get("/v1/patents/{id}", response=PatentRightsView, errors=(404,),
         summary="A patent's rights at a glance: owner, co-owners, legal status, encumbrances in force, transfers")
async def get_patent(ctx: Ctx) -> PatentRightsView:
    return await views.rights_view(ctx.conn, await handlers.load_patent(ctx.conn, ctx.path["id"]))


@api.patch("/v1/patents/{id}", body=PatentPatch, response=PatentRightsView, allow=OWNERS,
           errors=(404, 409), summary="Record a legal-status change (fee unpaid, lapsed, invalidated, proceedings "
                                      "suspended, restored) or correct the entry; the market follows through events")
async def patch_patent(ctx: Ctx[PatentPatch]) -> PatentRightsView:
    b = ctx.body
    corrections = {k: getattr(b, k) for k in ("title", "abstract", "applicants", "inventors", "grant_date", "ipc")
                   if k in b.model_fields_set and getattr(b, k) is not None}
    row = await reservations.patch_patent(ctx.conn, ctx.me(), ctx.path["id"], b.legal_status, b.reason, corrections)
    return await views.rights_view(ctx.conn, row)


@api.post("/v1/patents/{id}/transfers/{tid}/recording", body=Recording, response=PatentRightsView,
          allow=OWNERS, errors=(404, 409),
          summary="Record that CNIPA registered the transfer (著录项目变更; Patent Law art. 10)")
async def record_transfer(ctx: Ctx[Recording]) -> PatentRightsView:
    row = await handlers.record_transfer(ctx.conn, ctx.me(), ctx.path["id"], ctx.path["tid"], ctx.body.recording_no,
                                         ctx.body.recorded_on)
    return await views.rights_view(ctx.conn, row)


@api.post("/v1/patents/imports", response=ImportJob, status=202, allow=OWNERS, errors=(413, 415),
          raw_body=("application/x-ndjson", "one patent per line, each a JSON object as POST /v1/patents takes"),
          summary="Bulk import: an NDJSON body (application/x-ndjson), one patent per line, up to 100,000 lines")
async def start_import(ctx: Ctx) -> Reply:
    me = ctx.me()
    await repo.ensure_org(ctx.conn, me.effective_org_id, me.effective_kind)
    if ctx.request.content_type not in NDJSON_TYPES:
        raise UnsupportedMediaType("send the patents as application/x-ndjson, one JSON object per line",
                                   field="Content-Type")
    try:
        text = (await ctx.request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed([FieldError("body", "NDJSON must be UTF-8")]) from None
    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if nul := [i for i, line in lines if "\x00" in line]:
        # PostgreSQL stores no NUL character: such a line could never be a patent.
        raise ValidationFailed([FieldError("body", f"line {nul[0]} contains a NUL character (\\u0000)")])
    row = await imports.accept(ctx.conn, me, lines)
    return Reply(views.import_job(row, [], None), 202, {"Location": f"/v1/patents/imports/{row['id']}"})


@api.get("/v1/patents/imports/{id}", query=ImportQuery, response=ImportJob, errors=(404,),
         summary="An import's progress and its per-line errors")
async def get_import(ctx: Ctx) -> ImportJob:
    q: ImportQuery = ctx.query
    row, errors = await imports.progress(ctx.conn, ctx.me(), ctx.path["id"], decode_cursor(q.cursor, sequence) or 0,
                                         q.limit)
    page, cursor = errors[:q.limit], (encode_cursor([errors[q.limit - 1]["line"]]) if len(errors) > q.limit else None)
    return views.import_job(row, page, cursor)


@api.post("/v1/listings", body=ListingCreate, response=ListingView, status=201, allow=OWNERS,
          summary="Create a supply or demand listing (as a draft)")
async def create_listing(ctx: Ctx[ListingCreate]) -> Reply:
    me = ctx.me()
    b = ctx.body
    if b.kind == "demand" and me.effective_kind not in ("enterprise", "operator"):
        raise Forbidden("demands are posted by enterprises", rule="demand-by-enterprise")
    values = handlers.listing_values(b, fields=set(ListingCreate.model_fields) - {"kind", "patent_ids"})
    snapshot = await handlers.create_listing(ctx.conn, me, b.kind, b.patent_ids, values)
    return Reply(ListingView.of(snapshot), 201, {"Location": f"/v1/listings/{snapshot.listing_id}"})


@api.get("/v1/listings", query=ListingQuery, response=ListingPage, summary="Listings (your drafts included)")
async def list_listings(ctx: Ctx) -> ListingPage:
    q: ListingQuery = ctx.query
    me = ctx.me()
    rows = await repo.list_listings(ctx.conn, owner=q.owner_org_id, kind=q.kind, status=q.status,
                                    after=_after(q.cursor), limit=q.limit,
                                    viewer=None if me.is_operator else me.effective_org_id)
    items, cursor = page_of(rows, q.limit, _position)
    return ListingPage(items=[ListingView.of(await handlers.listing_snapshot(ctx.conn, r)) for r in items],
                       next_cursor=cursor)


@api.get("/v1/listings/{id}", response=ListingView, allow=ANY_ORG, errors=(404,), summary="One listing")
async def get_listing(ctx: Ctx) -> ListingView:
    row = await handlers.load_listing(ctx.conn, ctx.path["id"])
    if row["status"] == "draft" and not ctx.me().acts_as(row["owner_org_id"]):
        raise NotFound(f"no listing {ctx.path['id']}")
    return ListingView.of(await handlers.listing_snapshot(ctx.conn, row))


@api.patch("/v1/listings/{id}", body=ListingPatch, response=ListingView, errors=(404, 409),
           summary="Edit a draft or published listing (rules are checked again)")
async def patch_listing(ctx: Ctx[ListingPatch]) -> ListingView:
    b = ctx.body
    sent = set(b.model_fields_set)
    values = handlers.listing_values(b, fields=sent - {"patent_ids"})
    for name in ("title", "description", "modes", "negotiable", "tags"):
        if name in values and values[name] is None:
            values.pop(name)
    return ListingView.of(await handlers.update_listing(ctx.conn, ctx.me(), ctx.path["id"],
                                                        b.patent_ids if "patent_ids" in sent else None, values))


@api.post("/v1/listings/{id}/publish", response=ListingView, errors=(404, 409),
          summary="Publish: the listing reaches the catalogue and every venue")
async def publish_listing(ctx: Ctx) -> ListingView:
    return ListingView.of(await handlers.publish_listing(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/listings/{id}/withdraw", response=ListingView, errors=(404, 409), summary="Withdraw a listing")
async def withdraw_listing(ctx: Ctx) -> ListingView:
    return ListingView.of(await handlers.withdraw_listing(ctx.conn, ctx.me(), ctx.path["id"]))
