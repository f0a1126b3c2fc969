"""``GET /v1/auctions/{id}/live``: a WebSocket with every accepted bid, extension and
the close, in order, each with its event ``sequence``.

Works across replicas: every process follows the auctions topic itself (no consumer
group: each sees every partition) and fans events out to its own sockets, so a bid
accepted by any replica reaches every viewer. A client that reconnects with
``?after=<sequence>`` first gets what it missed, read from this schema's outbox (the
record of every event, committed with the change), then the live tail; the
subscription starts before that read and repeats are dropped by sequence, so the
seam between the two loses nothing. The outbox keeps published events for
``PSM_OUTBOX_RETENTION_S`` (7 days): a viewer away for longer gets the auction's state
and what follows, and reads the full history from ``GET /v1/auctions/{id}/bids``.
"""

from __future__ import annotations

import asyncio
import contextlib

import logging
from collections import defaultdict

import asyncpg
from aiohttp import WSMsgType, web
from aiokafka import AIOKafkaConsumer
from pydantic import BaseModel, Field

from events.envelope import CloudEvent, MalformedEvent
from events.schemas.auctions import AuctionClosed, AuctionExtended, AuctionOpened, AuctionSettled, BidAccepted
from events.topics import Topic, physical
from events.clients import start_safely, stop_safely
from services.auctions import handlers
from services.auctions import repository as repo
from services.auctions.api import api, mask
from services.runtime.errors import DomainError, FieldError, Unauthorized, ValidationFailed
from services.runtime.http.problems import from_domain_error
from services.runtime.http.state import AUTHENTICATOR, DB

log = logging.getLogger("psm.auctions.live")

LIVE_TYPES = {AuctionOpened.TYPE: "opened", BidAccepted.TYPE: "bid_accepted", AuctionExtended.TYPE: "extended",
              AuctionClosed.TYPE: "closed", AuctionSettled.TYPE: "settled"}


class LiveHub:
    """Follows the auctions topic and hands each live event to the sockets watching it."""

    def __init__(self, kafka_bootstrap: str, topic_prefix: str) -> None:
        self.kafka_bootstrap = kafka_bootstrap
        self.topic = physical(Topic.AUCTIONS.value, topic_prefix)
        self.watchers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self.ready = asyncio.Event()

    def watch(self, auction_id: str) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue(maxsize=10_000)
        self.watchers[auction_id].add(q)
        return q

    def unwatch(self, auction_id: str, q: asyncio.Queue) -> None:
        self.watchers[auction_id].discard(q)
        if not self.watchers[auction_id]:
            del self.watchers[auction_id]

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(self.topic, bootstrap_servers=self.kafka_bootstrap, group_id=None,
                                    auto_offset_reset="latest", enable_auto_commit=False)
        try:
            await start_safely(consumer)
            # Fix "latest" to an offset now: from here on every event produced reaches
            # the watchers, so a socket that waits for this before reading the outbox
            # has no gap between what it read and what it is sent.
            for _ in range(100):  # without a group, partitions are assigned once metadata is in
                if consumer.assignment():
                    break
                await asyncio.sleep(0.05)
            for tp in consumer.assignment():
                await consumer.position(tp)
            self.ready.set()
            async for record in consumer:
                try:
                    event = CloudEvent.from_json(record.value or b"")
                except MalformedEvent:
                    continue  # the consumers that own this topic dead-letter it
                if event.type in LIVE_TYPES:
                    for q in list(self.watchers.get(event.subject, ())):
                        if q.full():
                            continue  # a stuck viewer; it resynchronises with ?after= on reconnect
                        q.put_nowait(event)
        finally:
            self.ready.clear()
            await stop_safely(consumer)


def message(event: CloudEvent, viewer_registration: str | None) -> dict:
    """One live message; money as REST has it ({amount, currency}), bidders masked, and no
    organisation named (a settlement says that it settled and at what price)."""
    data = dict(event.data)
    if event.type == AuctionSettled.TYPE:
        data = {k: v for k, v in data.items() if k not in ("seller_org_id", "winner_org_id")}
    if "bidder" in data:
        data["you"] = data["bidder"] == viewer_registration
        data["bidder"] = mask(data["bidder"])
    if "winner" in data and data["winner"]:
        data["you"] = data["winner"] == viewer_registration
        data["winner"] = mask(data["winner"])
    return {"type": LIVE_TYPES[event.type], "sequence": event.sequence, "time": event.time.isoformat(), "data": data}


async def _missed(conn: asyncpg.Connection, auction_id: str, after: int) -> list[CloudEvent]:
    return [e for e in await repo.events_after(conn, auction_id, after) if e.type in LIVE_TYPES]


# A browser cannot set headers on a WebSocket: it offers the key as a subprotocol instead,
# ``new WebSocket(url, ["psm.v1", "psm.bearer." + key])``; the server answers "psm.v1" and
# never echoes the key. (The key's characters, [A-Za-z0-9_-], are all valid in a token.)
SUBPROTOCOL = "psm.v1"
BEARER_PROTOCOL = "psm.bearer."


def _token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if header:
        return header
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    return next((p.removeprefix(BEARER_PROTOCOL) for p in offered if p.startswith(BEARER_PROTOCOL)), "")


LIVE_HUB = web.AppKey("auctions_live_hub", LiveHub)
HUB_READY_TIMEOUT_S = 5.0


class LiveQuery(BaseModel):
    after: int = Field(default=0, ge=0, description="the last event sequence you have; what follows is replayed")


@api.websocket("/v1/auctions/{id}/live", query=LiveQuery, errors=(401, 404, 422),
               summary="WebSocket: the auction's state, then every accepted bid, extension and the close, in order")
async def live(request: web.Request) -> web.StreamResponse:
    auction_id = request.match_info["id"]
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        after = -1
    hub = request.app[LIVE_HUB]
    try:
        token = _token(request)
        if not token:
            raise Unauthorized("send your API key as 'Authorization: Bearer <key>' (or, from a browser, as the "
                               f"subprotocol '{BEARER_PROTOCOL}<key>' beside '{SUBPROTOCOL}')")
        if after < 0:
            raise ValidationFailed([FieldError("query.after", "a non-negative event sequence")])
        async with request.app[DB].acquire() as conn:
            principal = await request.app[AUTHENTICATOR].authenticate(conn, token,
                                                                      request.headers.get("On-Behalf-Of"))
            await handlers.load(conn, auction_id)
    except DomainError as e:
        return from_domain_error(e)

    ws = web.WebSocketResponse(heartbeat=20, protocols=(SUBPROTOCOL,))
    await ws.prepare(request)
    queue = hub.watch(auction_id)
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HUB_READY_TIMEOUT_S):  # not wait_for: see events/relay.py
                await hub.ready.wait()
        async with request.app[DB].acquire() as conn:
            row = await handlers.load(conn, auction_id)
            mine = await repo.registration_of(conn, auction_id, principal.effective_org_id)
            reg = mine["id"] if mine else None
            missed = await _missed(conn, auction_id, after)
        # What the client has after this, and the point the live tail continues from.
        last = max([after, *(e.sequence for e in missed)])
        await ws.send_json({"type": "state", "sequence": last, "data": {
            "id": auction_id, "status": row["status"], "ends_at": row["ends_at"].isoformat(),
            "current_price": None if row["current_price"] is None else {
                "amount": f"{row['current_price']:.2f}", "currency": row["currency"]},
            "bid_count": row["bid_count"], "leading": reg is not None and row["leader"] == reg}})
        for event in missed:
            await ws.send_json(message(event, reg))
        sent = last

        async def pump() -> None:
            nonlocal sent
            while True:
                event = await queue.get()
                if event.sequence <= sent:
                    continue
                await ws.send_json(message(event, reg))
                sent = event.sequence

        pumping = asyncio.create_task(pump(), name=f"live-{auction_id}")
        try:
            async for msg in ws:  # the client only closes; anything it sends is ignored
                if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            pumping.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionResetError):
                await pumping
    finally:
        hub.unwatch(auction_id, queue)
        await ws.close()
    return ws


