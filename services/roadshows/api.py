"""Roadshow routes (DESIGN §9): the roadshow, seats, leads (举手), feedback, the report, the calendar."""

from __future__ import annotations


from aiohttp import web

from services.runtime.access import ANY_ORG, kinds
from services.runtime.http.api import Api, Ctx, Reply
from services.runtime.cursors import time_and_id
from services.runtime.http.pagination import decode_cursor, page_of
from services.roadshows import domain, handlers, ics, views
from services.roadshows import repository as repo
from services.roadshows.models import (
    CalendarFile, Cancellation, Feedback, FeedbackCreate, FeedbackList, FeedbackUpdate, InterestCreate, Lead, ListingFeedback,
    ListingRoadshows, ListingSlot, Registration, RegistrationCreate, RegistrationQuery, Registrations, Report,
    Reschedule, Roadshow, RoadshowCreate, RoadshowPage, RoadshowQuery,
)

api = Api("roadshows")

ORGANISERS = kinds("venue")


def slots_in(lineup) -> tuple[domain.SlotIn, ...]:
    return tuple(domain.SlotIn(s.listing_id, s.slot_starts_at, s.slot_ends_at) for s in lineup)


def _location(rid: str) -> dict[str, str]:
    return {"Location": f"/v1/roadshows/{rid}"}


@api.post("/v1/roadshows", body=RoadshowCreate, response=Roadshow, status=201, allow=ORGANISERS, errors=(403,),
          summary="Schedule a roadshow (a draft): lineup of published listings in non-overlapping slots")
async def create(ctx: Ctx[RoadshowCreate]) -> Reply:
    b = ctx.body
    row = await handlers.create(ctx.conn, ctx.me(), domain.RoadshowPlan(
        title=b.title, description=b.description, starts_at=b.starts_at, ends_at=b.ends_at, mode=b.mode,
        location=b.location, stream_url=b.stream_url, capacity=b.capacity, lineup=slots_in(b.lineup)))
    return Reply(await views.view(ctx.conn, row), 201, _location(row["id"]))


# Before /v1/roadshows/{id}: that pattern would take "rs_….ics" for an id.
@api.get("/v1/roadshows/{id}.ics", allow=None, errors=(404,), response=CalendarFile, media_type="text/calendar",
         summary="The roadshow as an iCalendar file (RFC 5545), for attendees' calendars; public once published")
async def calendar(ctx: Ctx) -> web.Response:
    row = await handlers.load(ctx.conn, None, ctx.path["id"])
    lineup = await repo.lineup_of(ctx.conn, row["id"])
    sequence = await repo.event_sequence(ctx.conn, row["id"])
    text = ics.calendar(uid=f"{row['id']}@psm.roadshows", title=row["title"], description=row["description"],
                        starts_at=row["starts_at"], ends_at=row["ends_at"], location=row["location"],
                        url=row["stream_url"], status=row["status"], sequence=sequence or 0, stamp=row["updated_at"],
                        lineup=[(s["slot_starts_at"], s["listing_title"]) for s in lineup],
                        organiser=row["organiser_org_id"])
    return web.Response(body=text.encode(), content_type="text/calendar", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{row["id"]}.ics"'})


@api.get("/v1/roadshows", query=RoadshowQuery, response=RoadshowPage,
         summary="Roadshows (?upcoming=true, ?listing_id=, ?status=); drafts only for their organiser")
async def list_roadshows(ctx: Ctx) -> RoadshowPage:
    q: RoadshowQuery = ctx.query
    me = ctx.me()
    after = decode_cursor(q.cursor, time_and_id)
    rows = await repo.list_roadshows(ctx.conn, viewer=None if me.is_operator else me.effective_org_id,
                                     status=q.status, listing_id=q.listing_id,
                                     upcoming_after=handlers.now() if q.upcoming else None,
                                     after=after, limit=q.limit)
    items, cursor = page_of(rows, q.limit, lambda r: [r["starts_at"].isoformat(), r["id"]])
    return RoadshowPage(items=[await views.view(ctx.conn, r) for r in items], next_cursor=cursor)


@api.get("/v1/roadshows/{id}", response=Roadshow, errors=(404,), summary="One roadshow, its lineup and seats")
async def get_roadshow(ctx: Ctx) -> Roadshow:
    return await views.view(ctx.conn, await handlers.load(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/roadshows/{id}/publish", response=Roadshow, errors=(403, 404, 409),
          summary="Publish: open for registration, shown in the catalogue (type=roadshow)")
async def publish(ctx: Ctx) -> Roadshow:
    return await views.view(ctx.conn, await handlers.publish(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/roadshows/{id}/reschedule", body=Reschedule, response=Roadshow, errors=(403, 404, 409),
          summary="Move the roadshow (slots move with it unless a new lineup is given); attendees are told")
async def reschedule(ctx: Ctx[Reschedule]) -> Roadshow:
    b = ctx.body
    row = await handlers.reschedule(ctx.conn, ctx.me(), ctx.path["id"], b.starts_at, b.ends_at,
                                    list(slots_in(b.lineup)) if b.lineup is not None else None)
    return await views.view(ctx.conn, row)


@api.post("/v1/roadshows/{id}/cancel", body=Cancellation, response=Roadshow, errors=(403, 404, 409),
          summary="Cancel the roadshow; attendees are told")
async def cancel(ctx: Ctx[Cancellation]) -> Roadshow:
    row = await handlers.cancel(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.reason)
    return await views.view(ctx.conn, row)


@api.post("/v1/roadshows/{id}/registrations", body=RegistrationCreate, response=Registration, status=201,
          allow=ANY_ORG, errors=(404, 409),
          summary="Register: a seat while any is left, else the waitlist (promoted in arrival order)")
async def register(ctx: Ctx[RegistrationCreate]) -> Reply:
    reg = await handlers.register(ctx.conn, ctx.me(), ctx.path["id"])
    position = await repo.waitlist_position(ctx.conn, reg["roadshow_id"], reg["arrival"])
    return Reply(views.registration_view(reg, position), 201,
                 {"Location": f"/v1/roadshows/{reg['roadshow_id']}/registrations/{reg['id']}"})


@api.get("/v1/roadshows/{id}/registrations", query=RegistrationQuery, response=Registrations, errors=(404,),
         summary="Registrations in arrival order: all for the organiser, one's own for an attendee")
async def list_registrations(ctx: Ctx) -> Registrations:
    rows = await handlers.registrations(ctx.conn, ctx.me(), ctx.path["id"], ctx.query.status)
    return Registrations(items=[views.registration_view(r) for r in rows])


@api.get("/v1/roadshows/{id}/registrations/{rid}", response=Registration, errors=(404,),
         summary="One registration (the registrant and the organiser)")
async def get_registration(ctx: Ctx) -> Registration:
    return views.registration_view(await handlers.one_registration(ctx.conn, ctx.me(), ctx.path["id"],
                                                                   ctx.path["rid"]))


@api.post("/v1/roadshows/{id}/registrations/{rid}/cancel", response=Registration, errors=(404, 409),
          summary="Cancel a registration; a freed seat goes to the head of the waitlist at once")
async def cancel_registration(ctx: Ctx) -> Registration:
    reg = await handlers.cancel_registration(ctx.conn, ctx.me(), ctx.path["id"], ctx.path["rid"])
    return views.registration_view(reg)


@api.post("/v1/roadshows/{id}/interest", body=InterestCreate, response=Lead, status=201, errors=(404, 409),
          summary="举手: a registered attendee's interest in a listing — a lead for the listing's owner")
async def interest(ctx: Ctx[InterestCreate]) -> Reply:
    lead, new = await handlers.express_interest(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.listing_id,
                                                ctx.body.note)
    return Reply(views.lead_view(lead), 201 if new else 200)


@api.post("/v1/roadshows/{id}/feedback", body=FeedbackCreate, response=Feedback, status=201, errors=(404, 409),
          summary="Structured feedback (计划第八条) by a registered enterprise: one per listing; 422 names the rule")
async def submit_feedback(ctx: Ctx[FeedbackCreate]) -> Reply:
    b = ctx.body
    f = await handlers.submit_feedback(ctx.conn, ctx.me(), ctx.path["id"], domain.FeedbackIn(
        listing_id=b.listing_id, industrialisation_prospect=b.industrialisation_prospect,
        improvement_needs=b.improvement_needs, concerns=tuple(b.concerns), cooperation=b.cooperation))
    return Reply(views.feedback_view(f), 201, {"Location": f"/v1/roadshows/{f['roadshow_id']}/feedback/{f['id']}"})


@api.get("/v1/roadshows/{id}/feedback", response=FeedbackList, errors=(404,),
         summary="The caller's own feedback at this roadshow (never anyone else's)")
async def my_feedback(ctx: Ctx) -> FeedbackList:
    rows = await handlers.my_feedback(ctx.conn, ctx.me(), ctx.path["id"])
    return FeedbackList(items=[views.feedback_view(r) for r in rows])


@api.get("/v1/roadshows/{id}/feedback/{fid}", response=Feedback, errors=(404,),
         summary="One feedback (the enterprise that gave it)")
async def get_feedback(ctx: Ctx) -> Feedback:
    return views.feedback_view(await handlers.one_feedback(ctx.conn, ctx.me(), ctx.path["id"], ctx.path["fid"]))


@api.patch("/v1/roadshows/{id}/feedback/{fid}", body=FeedbackUpdate, response=Feedback, errors=(404,),
           summary="Edit one's feedback until the roadshow's report is closed")
async def edit_feedback(ctx: Ctx[FeedbackUpdate]) -> Feedback:
    f = await handlers.edit_feedback(ctx.conn, ctx.me(), ctx.path["id"], ctx.path["fid"],
                                     ctx.body.model_dump(exclude_unset=True, exclude_none=True))
    return views.feedback_view(f)


@api.get("/v1/roadshows/{id}/report", response=Report, errors=(403, 404),
         summary="Per listing: feedback count, mean prospect (exact decimal), concerns, cooperation, leads")
async def report(ctx: Ctx) -> Report:
    return views.report(await handlers.report(ctx.conn, ctx.me(), ctx.path["id"]))


@api.post("/v1/roadshows/{id}/report/close", response=Report, errors=(403, 404, 409),
          summary="Close the report: feedback can no longer be given or edited")
async def close_report(ctx: Ctx) -> Report:
    await handlers.close_report(ctx.conn, ctx.me(), ctx.path["id"])
    return views.report(await handlers.report(ctx.conn, ctx.me(), ctx.path["id"]))


@api.get("/v1/listings/{id}/feedback", response=ListingFeedback, errors=(403, 404),
         summary="All roadshow feedback on a listing, with a monthly trend and leads: its owner (or mandated venue) only")
async def listing_feedback(ctx: Ctx) -> ListingFeedback:
    rows, leads = await handlers.listing_feedback(ctx.conn, ctx.me(), ctx.path["id"])
    return views.listing_feedback(ctx.path["id"], rows, leads)


@api.get("/v1/listings/{id}/roadshows", response=ListingRoadshows,
         summary="Upcoming published roadshows presenting a listing: \"in roadshow on <date>\"")
async def listing_roadshows(ctx: Ctx) -> ListingRoadshows:
    rows = await repo.upcoming_slots_of_listing(ctx.conn, ctx.path["id"], handlers.now())
    return ListingRoadshows(listing_id=ctx.path["id"], items=[ListingSlot(
        roadshow_id=r["roadshow_id"], roadshow_title=r["title"], mode=r["mode"], location=r["location"],
        slot_starts_at=r["slot_starts_at"], slot_ends_at=r["slot_ends_at"],
        label=f"in roadshow on {r['slot_starts_at'].date().isoformat()}") for r in rows])
