"""Distribution routes (DESIGN §10): venues and their deliveries, the change feed,
subscriptions, the inbox and feedback to listing owners.

Webhook payloads (every venue delivery): Standard Webhooks headers ``webhook-id``
(the same on every retry), ``webhook-timestamp``, ``webhook-signature`` (``v1,`` +
base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with the secret's base64 part);
body ``{"type": <event type>, "timestamp": <when it happened>, "data": Change}``.
Pushes to a subscription webhook: the same headers, ``type`` ``psm.push.delivered.v1``,
``data`` ``{push_id, listing_id, subscription_ids, listing}``.
"""

from __future__ import annotations


from services.runtime.access import ANY_ORG, kinds
from services.distribution import domain, handlers, views
from services.distribution import repository as repo
from services.distribution.event_types import catalogue
from services.distribution.models import (
    Delivery, DeliveryPage, DeliveryQuery, EventTypeList, FeedbackCreate, FeedPage, FeedQuery, InboxPage, InboxQuery,
    Push, PushFeedback, PushFeedbackPage, Recover, Replay, Replayed, SecretRotated, Subscription, SubscriptionCreate,
    SubscriptionDeleted, SubscriptionPage, SubscriptionPatch, Venue, VenueCreate, VenueCreated, VenueDeleted,
    VenuePatch,
)
from services.runtime.errors import FieldError, NotFound, ValidationFailed
from services.runtime.http.api import Api, Ctx, Reply
from services.runtime.cursors import sequence, time_and_id
from services.runtime.http.pagination import Page, PageQuery, decode_cursor, encode_cursor, page_of

api = Api("distribution")

VENUES = kinds("venue")
ENTERPRISES = kinds("enterprise")


def _after(cursor: str | None) -> tuple | None:
    return decode_cursor(cursor, time_and_id)


def _created(key: str = "id"):
    return lambda r: [r["created_at"].isoformat(), r[key]]


def _changes(body, keep_null: tuple[str, ...]) -> dict:
    """What a PATCH body sent: URLs as strings, a filter as its dict. A null clears only
    the fields in ``keep_null``; elsewhere (filter, event types, enabled, active) it is
    as if the field had not been sent."""
    out = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if value is None and name not in keep_null:
            continue
        out[name] = value.model_dump() if name == "filter" else str(value) if name == "webhook_url" and value else value
    return out


# -- venues ------------------------------------------------------------------------------
@api.post("/v1/venues", body=VenueCreate, response=VenueCreated, status=201, allow=VENUES, errors=(403,),
          summary="Register a venue: its filter and webhook; the signing secret is shown once")
async def register_venue(ctx: Ctx[VenueCreate]) -> Reply:
    b = ctx.body
    row, secret = await handlers.register_venue(ctx.conn, ctx.me(), b.org_id,
                                                str(b.webhook_url) if b.webhook_url else None, b.filter.model_dump(),
                                                list(b.event_types), b.rate_limit_per_s,
                                                allow_private=ctx.settings.webhooks_allow_private)
    v = views.venue_view(row)
    return Reply(VenueCreated(**v.model_dump(), secret=secret), 201, {"Location": f"/v1/venues/{v.id}"})


@api.get("/v1/venues", query=PageQuery, response=Page[Venue], allow=VENUES, summary="Your venues (all, for the operator)")
async def list_venues(ctx: Ctx) -> Page[Venue]:
    q: PageQuery = ctx.query
    me = ctx.me()
    rows = await repo.list_venues(ctx.conn, None if me.is_operator else me.org_id, _after(q.cursor), q.limit)
    items, cursor = page_of(rows, q.limit, _created())
    return Page[Venue](items=[views.venue_view(r) for r in items], next_cursor=cursor)


@api.get("/v1/venues/{id}", response=Venue, allow=VENUES, errors=(404,), summary="One venue")
async def get_venue(ctx: Ctx) -> Venue:
    return views.venue_view(await handlers.load_venue(ctx.conn, ctx.me(), ctx.path["id"]))


@api.patch("/v1/venues/{id}", body=VenuePatch, response=Venue, allow=VENUES, errors=(404,),
           summary="Change a venue's webhook, filter, opt-in event types or rate limit, or re-enable it; "
                   "from the next change")
async def update_venue(ctx: Ctx[VenuePatch]) -> Venue:
    changes = _changes(ctx.body, keep_null=("webhook_url", "rate_limit_per_s"))
    row = await handlers.update_venue(ctx.conn, ctx.me(), ctx.path["id"], changes,
                                      allow_private=ctx.settings.webhooks_allow_private)
    return views.venue_view(row)


@api.delete("/v1/venues/{id}", response=VenueDeleted, allow=VENUES, errors=(404,),
            summary="Delete a venue: nothing more is sent to it; its pending deliveries are dropped (counted)")
async def delete_venue(ctx: Ctx) -> VenueDeleted:
    return VenueDeleted(id=ctx.path["id"], dropped_deliveries=await handlers.delete_venue(ctx.conn, ctx.me(),
                                                                                          ctx.path["id"]))


@api.post("/v1/venues/{id}/secret", response=SecretRotated, allow=VENUES, errors=(404,),
          summary="Rotate the signing secret (shown once); the old one keeps signing beside it for an overlap")
async def rotate_secret(ctx: Ctx) -> SecretRotated:
    secret, until = await handlers.rotate_secret(ctx.conn, ctx.me(), ctx.path["id"],
                                                 ctx.settings.webhook_secret_overlap_s)
    return SecretRotated(id=ctx.path["id"], secret=secret, previous_secret_valid_until=until)


@api.post("/v1/venues/{id}/recover", body=Recover, response=Replayed, allow=VENUES, errors=(404,),
          summary="Recovery: send again every delivery that failed (dead-lettered) in a window")
async def recover(ctx: Ctx[Recover]) -> Replayed:
    return Replayed(requeued=await handlers.recover(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.since,
                                                    ctx.body.until))


@api.get("/v1/event-types", response=EventTypeList, allow=ANY_ORG, fresh=False,
         summary="Every event type a venue receives: its webhook body's JSON schema and an example; opt-in types "
                 "go only to venues listing them in event_types")
async def event_types(ctx: Ctx) -> EventTypeList:
    return EventTypeList(items=list(catalogue()))


@api.post("/v1/venues/{id}/resume", response=Venue, allow=VENUES, errors=(404,),
          summary="Resume a paused venue now (it also resumes by itself after the pause)")
async def resume_venue(ctx: Ctx) -> Venue:
    await handlers.load_venue(ctx.conn, ctx.me(), ctx.path["id"])
    await repo.resume(ctx.conn, ctx.path["id"])
    return views.venue_view(await repo.get_venue(ctx.conn, ctx.path["id"]))


@api.get("/v1/venues/{id}/deliveries", query=DeliveryQuery, response=DeliveryPage, allow=VENUES, errors=(404,),
         summary="The delivery log: status, attempts, last error, latency (?status=dead for the dead letters)")
async def list_deliveries(ctx: Ctx) -> DeliveryPage:
    q: DeliveryQuery = ctx.query
    await handlers.load_venue(ctx.conn, ctx.me(), ctx.path["id"])
    rows = await repo.list_deliveries(ctx.conn, ctx.path["id"], q.status, _after(q.cursor), q.limit)
    items, cursor = page_of(rows, q.limit, _created())
    return DeliveryPage(items=[views.delivery_view(r) for r in items], next_cursor=cursor)


@api.post("/v1/venues/{id}/deliveries/{did}/retry", response=Delivery, allow=VENUES, errors=(404, 409),
          summary="Send a delivered or dead-lettered delivery again (same webhook-id)")
async def retry_delivery(ctx: Ctx) -> Delivery:
    return views.delivery_view(await handlers.retry_delivery(ctx.conn, ctx.me(), ctx.path["id"], ctx.path["did"]))


@api.post("/v1/venues/{id}/replay", body=Replay, response=Replayed, allow=VENUES, errors=(404,),
          summary="Bulk replay: send again every delivery created since a time (same webhook-ids, in order)")
async def replay(ctx: Ctx[Replay]) -> Replayed:
    n = await handlers.replay(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.since, list(ctx.body.status))
    return Replayed(requeued=n)


# -- the change feed -------------------------------------------------------------------------
@api.get("/v1/feed", query=FeedQuery, response=FeedPage, allow=VENUES, errors=(404, 409),
         summary="The change feed: every catalogue change matching your venue's filter, ordered, gap-free, "
                 "resumable from any cursor")
async def feed(ctx: Ctx) -> FeedPage:
    q: FeedQuery = ctx.query
    me = ctx.me()
    flt, opted_in = None, None
    if q.venue_id is not None:
        v = await handlers.load_venue(ctx.conn, me, q.venue_id)
        flt, opted_in = domain.Filter.of(v["filter"]), frozenset(v["event_types"])
    elif not me.is_operator:
        venues = await repo.venues_of(ctx.conn, me.org_id)
        if not venues:
            raise NotFound("register a venue first (POST /v1/venues): its filter selects your feed",
                           rule="no-venue")
        if len(venues) > 1:
            raise ValidationFailed([FieldError("query.venue_id", "you run several venues: say whose filter applies")])
        flt, opted_in = domain.Filter.of(venues[0]["filter"]), frozenset(venues[0]["event_types"])
    after = decode_cursor(q.after, sequence, field="query.after") if q.after else 0
    rows, position = await handlers.feed(ctx.conn, flt, after, q.limit, opted_in=opted_in)
    return FeedPage(items=[views.change_view(r) for r in rows],
                    next_cursor=encode_cursor([position]))


# -- subscriptions, inbox, feedback ----------------------------------------------------------
@api.post("/v1/subscriptions", body=SubscriptionCreate, response=Subscription, status=201, allow=ENTERPRISES,
          summary="Subscribe to new supply (精准推送): a structured filter and/or a free-text query; "
                  "pushed to your inbox or webhook, once per listing")
async def subscribe(ctx: Ctx[SubscriptionCreate]) -> Reply:
    b = ctx.body
    row, secret = await handlers.subscribe(ctx.conn, ctx.me(), b.filter.model_dump(), b.query, b.channel,
                                           str(b.webhook_url) if b.webhook_url else None,
                                           allow_private=ctx.settings.webhooks_allow_private)
    return Reply(views.subscription_view(row, secret), 201, {"Location": f"/v1/subscriptions/{row['id']}"})


@api.get("/v1/subscriptions/{id}", response=Subscription, allow=ENTERPRISES, errors=(404,),
         summary="One of your subscriptions")
async def get_subscription(ctx: Ctx) -> Subscription:
    return views.subscription_view(await handlers.load_subscription(ctx.conn, ctx.me(), ctx.path["id"]))


@api.patch("/v1/subscriptions/{id}", body=SubscriptionPatch, response=Subscription, allow=ENTERPRISES,
           errors=(404,), summary="Change a subscription's filter, query or webhook, or pause it (active: false)")
async def update_subscription(ctx: Ctx[SubscriptionPatch]) -> Subscription:
    changes = _changes(ctx.body, keep_null=("query", "webhook_url"))
    row = await handlers.update_subscription(ctx.conn, ctx.me(), ctx.path["id"], changes,
                                             allow_private=ctx.settings.webhooks_allow_private)
    return views.subscription_view(row)


@api.delete("/v1/subscriptions/{id}", response=SubscriptionDeleted, allow=ENTERPRISES, errors=(404,),
            summary="Delete a subscription: nothing more is pushed for it")
async def delete_subscription(ctx: Ctx) -> SubscriptionDeleted:
    await handlers.delete_subscription(ctx.conn, ctx.me(), ctx.path["id"])
    return SubscriptionDeleted(id=ctx.path["id"])


@api.get("/v1/subscriptions", query=PageQuery, response=SubscriptionPage, allow=ENTERPRISES,
         summary="Your subscriptions")
async def list_subscriptions(ctx: Ctx) -> SubscriptionPage:
    q: PageQuery = ctx.query
    me = ctx.me()
    rows = await repo.list_subscriptions(ctx.conn, None if me.is_operator else me.effective_org_id, _after(q.cursor),
                                         q.limit)
    items, cursor = page_of(rows, q.limit, _created())
    return SubscriptionPage(items=[views.subscription_view(r) for r in items], next_cursor=cursor)


@api.get("/v1/inbox", query=InboxQuery, response=InboxPage, allow=ANY_ORG,
         summary="Listings pushed to you, newest first (?unread=true)")
async def inbox(ctx: Ctx) -> InboxPage:
    q: InboxQuery = ctx.query
    rows = await repo.inbox(ctx.conn, ctx.me().effective_org_id, q.unread, _after(q.cursor), q.limit)
    items, cursor = page_of(rows, q.limit, _created())
    return InboxPage(items=[views.push_view(r) for r in items], next_cursor=cursor)


@api.post("/v1/inbox/{id}/read", response=Push, allow=ANY_ORG, errors=(404,), summary="Mark an inbox item read")
async def mark_read(ctx: Ctx) -> Push:
    push = await handlers.load_push(ctx.conn, ctx.me(), ctx.path["id"])
    return views.push_view(await repo.mark_read(ctx.conn, push["id"]))


@api.post("/v1/inbox/{id}/feedback", body=FeedbackCreate, response=PushFeedback, status=201, allow=ANY_ORG,
          errors=(404, 409), summary="Tell the listing's owner how interested you are (计划第八条); once per item")
async def give_feedback(ctx: Ctx[FeedbackCreate]) -> Reply:
    b = ctx.body
    row = await handlers.give_feedback(ctx.conn, ctx.me(), ctx.path["id"], b.interest_level, b.cooperation, b.comment)
    return Reply(views.feedback_view(row), 201)


@api.get("/v1/listings/{id}/push-feedback", query=PageQuery, response=PushFeedbackPage, allow=ANY_ORG,
         errors=(403, 404), summary="Feedback of enterprises the listing was pushed to (for its owner)")
async def push_feedback(ctx: Ctx) -> PushFeedbackPage:
    q: PageQuery = ctx.query
    await handlers.feedback_for_owner(ctx.conn, ctx.me(), ctx.path["id"])
    rows = await repo.feedback_of(ctx.conn, ctx.path["id"], _after(q.cursor), q.limit)
    items, cursor = page_of(rows, q.limit, _created("push_id"))
    return PushFeedbackPage(items=[views.feedback_view(r) for r in items], next_cursor=cursor)
