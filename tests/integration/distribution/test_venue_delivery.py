"""Venue delivery as the best webhook platforms run it: each answer of the receiver
honoured (2xx, 3xx, 410, 429 with Retry-After, 5xx, timeout, connection refused), a
venue's own rate limit, self-service edits and deletion, recovery of a window, secret
rotation with two signatures, opt-in event types, and metrics."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime, timedelta

import jsonschema
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from standardwebhooks import Webhook

from services.runtime.http.app import create_app
from tests.integration.distribution.conftest import FAST, eventually, make_org, modules, published
from tests.integration.listings.conftest import foreign_events  # noqa: F401


class Scripted:
    """A receiver answering from a script, one entry per request (then 204): a status,
    headers, or ``"hang"`` (no answer before the sender's timeout). Keeps every request."""

    def __init__(self) -> None:
        self.script: list[tuple] = []
        self.requests: list[dict] = []  # {"at", "id", "raw", "headers"}
        self.redirect_target_hits = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append({"at": time.monotonic(), "id": request.headers["webhook-id"], "raw": raw,
                              "headers": dict(request.headers)})
        step = self.script.pop(0) if self.script else (204, {})
        if step == "hang":
            await asyncio.sleep(FAST.request_timeout_s + 1.5)
            return web.Response(status=204)
        status, headers = step
        return web.Response(status=status, headers=headers)

    async def elsewhere(self, request: web.Request) -> web.Response:
        self.redirect_target_hits += 1
        return web.Response(status=204)

    async def start(self) -> Scripted:
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        app.router.add_post("/elsewhere", self.elsewhere)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


async def scripted_venue(register, receiver: Scripted, filter: dict | None = None, **extra):
    org = await register("venue")
    r = await org.post("/v1/venues", {"org_id": org.id, "filter": filter or {}, "webhook_url": receiver.url, **extra})
    assert r.status == 201, await r.text()
    return org, await r.json()


async def deliveries(org, venue_id: str) -> list[dict]:
    r = await org.get(f"/v1/venues/{venue_id}/deliveries")
    assert r.status == 200, await r.text()
    return (await r.json())["items"]


async def test_each_answer_is_honoured_in_turn(client, register):
    """One change, tried until it goes through: 500 → 302 (not followed) → 429 with
    Retry-After: 2 (nothing sooner) → a hang past the timeout → 503 → 204."""
    rx = await Scripted().start()
    try:
        rx.script = [(500, {}), (302, {"Location": rx.url.replace("/hook", "/elsewhere")}),
                     (429, {"Retry-After": "2"}), "hang", (503, {}), (204, {})]
        org, v = await scripted_venue(register, rx)
        uni = await register("institution")
        await published(uni, title="钠离子电池")

        async def delivered():
            items = await deliveries(org, v["id"])
            return items if items and items[0]["status"] == "delivered" else None

        (d,) = await eventually(delivered, timeout=40)
        assert d["attempts"] == 6 and len(rx.requests) == 6
        assert {r["id"] for r in rx.requests} == {d["id"]}  # one webhook-id throughout
        assert rx.redirect_target_hits == 0  # a 3xx is a failure, never followed
        at = [r["at"] for r in rx.requests]
        assert at[3] - at[2] >= 1.9  # Retry-After: 2 held the endpoint back
        assert at[4] - at[3] >= FAST.request_timeout_s - 0.1  # the hang ran into the request timeout
    finally:
        await rx.stop()

    metrics = await (await client.get("/metrics")).text()
    for outcome, cls in (("success", "2xx"), ("failure", "3xx"), ("failure", "4xx"), ("failure", "5xx"),
                         ("failure", "timeout")):
        assert f'psm_delivery_attempts_total{{outcome="{outcome}",status_class="{cls}"}}' in metrics, (outcome, cls)
    assert "psm_delivery_latency_seconds_bucket" in metrics and "psm_delivery_endpoints_disabled" in metrics


async def test_a_429_throttles_the_venue_and_says_so(client, register):
    rx = await Scripted().start()
    try:
        rx.script = [(429, {"Retry-After": "30"})]
        org, v = await scripted_venue(register, rx)
        await published(await register("institution"))

        async def throttled():
            got = await (await org.get(f"/v1/venues/{v['id']}")).json()
            return got if got["status"] == "throttled" else None

        got = await eventually(throttled, timeout=15)
        until = datetime.fromisoformat(got["throttled_until"])
        assert timedelta(seconds=25) < until - datetime.now(UTC) <= timedelta(seconds=31)
        (d,) = await deliveries(org, v["id"])
        assert (d["status"], d["last_status"]) == ("pending", 429)
        assert datetime.fromisoformat(d["next_attempt_at"]) >= until - timedelta(seconds=1)

        async def backlog_shown():  # the gauges are refreshed every few seconds
            text = await (await client.get("/metrics")).text()
            return f'psm_delivery_backlog{{endpoint="{v["id"]}"}} 1.0' in text or None

        await eventually(backlog_shown, timeout=15)
    finally:
        await rx.stop()


async def test_410_disables_the_venue_with_an_event_and_an_inbox_notice(register):
    rx = await Scripted().start()
    try:
        rx.script = [(410, {})]
        org, v = await scripted_venue(register, rx)
        uni = await register("institution")
        await published(uni)

        async def disabled():
            got = await (await org.get(f"/v1/venues/{v['id']}")).json()
            return got if got["status"] == "disabled" else None

        got = await eventually(disabled, timeout=15)
        assert "410" in got["disabled_reason"]
        inbox = (await (await org.get("/v1/inbox")).json())["items"]
        (notice,) = [i for i in inbox if i["kind"] == "notice"]
        assert notice["notice"]["endpoint_id"] == v["id"] and notice["listing_id"] is None
        await published(uni, title="第二条")
        await asyncio.sleep(1.0)
        assert len(rx.requests) == 1  # nothing more while disabled

        r = await org.patch(f"/v1/venues/{v['id']}", {"enabled": True})
        assert r.status == 200 and (await r.json())["status"] == "active", await r.text()
        # The change tried while it was disabled goes now (the one published meanwhile was
        # never queued for it: it reads the feed for those, or they came by recover).
        await eventually(lambda: asyncio.sleep(0, result=len(rx.requests) >= 2 or None), timeout=15)
    finally:
        await rx.stop()


async def test_connection_refused_is_a_failure_retried(register):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    org = await register("venue")
    r = await org.post("/v1/venues", {"org_id": org.id, "webhook_url": f"http://127.0.0.1:{port}/hook"})
    v = await r.json()
    await published(await register("institution"))

    async def failed_twice():
        items = await deliveries(org, v["id"])
        return items if items and items[0]["attempts"] >= 2 else None

    (d,) = await eventually(failed_twice, timeout=15)
    assert d["status"] == "pending" and d["last_status"] is None and "Connect" in d["last_error"]


async def test_a_venue_rate_limit_spaces_its_deliveries(register):
    rx = await Scripted().start()
    try:
        await scripted_venue(register, rx, rate_limit_per_s=2)
        uni = await register("institution")
        for n in range(6):
            await published(uni, title=f"限速{n}")
        await eventually(lambda: asyncio.sleep(0, result=len(rx.requests) >= 6 or None), timeout=20)
        span = rx.requests[5]["at"] - rx.requests[0]["at"]
        # 6 messages at 2 a second come in at least 3 rounds, each starting at least 1 s after
        # every message of the one before has arrived: the sixth arrives ≥ 2 s after the first.
        assert span >= 2.0, span
    finally:
        await rx.stop()


async def test_patch_applies_to_the_next_change_and_a_deleted_venue_gets_nothing_more(register):
    rx = await Scripted().start()
    try:
        org, v = await scripted_venue(register, rx, {"types": ["demand"]})
        uni = await register("institution")
        first = await published(uni, title="不匹配")
        await asyncio.sleep(1.0)
        assert rx.requests == []
        r = await org.patch(f"/v1/venues/{v['id']}", {"filter": {"types": ["listing"]}})
        assert r.status == 200 and (await r.json())["filter"]["types"] == ["listing"], await r.text()
        second = await published(uni, title="匹配")
        await eventually(lambda: asyncio.sleep(0, result=len(rx.requests) >= 1 or None), timeout=15)
        subjects = {Webhook(v["secret"]).verify(q["raw"], q["headers"])["data"]["subject"] for q in rx.requests}
        assert subjects == {second["listing_id"]} and first["listing_id"] not in subjects

        rx.script = [(500, {})] * 50  # a backlog builds up …
        await published(uni, title="积压")
        await eventually(lambda: asyncio.sleep(0, result=len(rx.requests) >= 2 or None), timeout=15)
        r = await org.delete(f"/v1/venues/{v['id']}")
        gone = await r.json()
        assert r.status == 200 and gone["dropped_deliveries"] == 1, gone  # … and is dropped, and said so
        seen = len(rx.requests)
        await published(uni, title="删除之后")
        await asyncio.sleep(2.0)
        assert len(rx.requests) == seen  # nothing more, not even the retries of the dropped one
        assert (await org.get(f"/v1/venues/{v['id']}")).status == 404
    finally:
        await rx.stop()


async def test_recover_resends_what_failed_in_the_window(register):
    rx = await Scripted().start()
    try:
        rx.script = [(500, {})] * FAST.max_attempts
        org, v = await scripted_venue(register, rx)
        before = datetime.now(UTC)
        await published(await register("institution"))

        async def dead():
            items = await deliveries(org, v["id"])
            return items if items and items[0]["status"] == "dead" else None

        (d,) = await eventually(dead, timeout=40)
        r = await org.post(f"/v1/venues/{v['id']}/recover", {"since": (before - timedelta(hours=1)).isoformat(),
                                                              "until": before.isoformat()})
        assert (await r.json())["requeued"] == 0  # the window before it failed: nothing
        r = await org.post(f"/v1/venues/{v['id']}/recover", {"since": before.isoformat()})
        assert (await r.json())["requeued"] == 1

        async def delivered():
            items = await deliveries(org, v["id"])
            return items if items[0]["status"] == "delivered" else None

        (again,) = await eventually(delivered, timeout=15)
        assert again["id"] == d["id"] == rx.requests[-1]["id"]  # the same webhook-id
    finally:
        await rx.stop()


async def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap(register):
    rx = await Scripted().start()
    try:
        org, v = await scripted_venue(register, rx)
        old = v["secret"]
        r = await org.post(f"/v1/venues/{v['id']}/secret")
        rotated = await r.json()
        assert rotated["secret"] != old and rotated["previous_secret_valid_until"] is not None
        await published(await register("institution"))
        await eventually(lambda: asyncio.sleep(0, result=len(rx.requests) >= 1 or None), timeout=15)
        req = rx.requests[0]
        assert len(req["headers"]["webhook-signature"].split()) == 2
        for secret in (old, rotated["secret"]):  # the reference library accepts it under either
            assert Webhook(secret).verify(req["raw"], req["headers"])["type"] == "psm.listing.published.v1"
    finally:
        await rx.stop()


async def test_event_catalogue_and_opt_in_auction_activity(client, register, foreign_events):  # noqa: F811
    from events.schemas.auctions import BidAccepted
    from events.schemas.common import Money

    org = await register("venue")
    r = await org.get("/v1/event-types")
    catalogue = {t["type"]: t for t in (await r.json())["items"]}
    for t in catalogue.values():
        jsonschema.validate(t["example"], t["json_schema"])  # every example is a valid body of its type
    assert catalogue["psm.auction.bid_accepted.v1"]["opt_in"] and not catalogue["psm.listing.published.v1"]["opt_in"]
    assert {"psm.auction.extended.v1", "psm.auction.settled.v1", "psm.auction.closed.v1"} <= set(catalogue)

    live, quiet = await Scripted().start(), await Scripted().start()
    try:
        await scripted_venue(register, live, event_types=["psm.auction.bid_accepted.v1"])
        await scripted_venue(register, quiet)
        now = datetime.now(UTC)
        await foreign_events("auctions", "auc_live", BidAccepted(
            auction_id="auc_live", listing_id="lst_x", bid_sequence=1, bidder="reg_1",
            amount=Money(amount="1100.00", currency="CNY"), proxy=False, placed_at=now, reserve_met=True,
            ends_at=now + timedelta(minutes=5)))
        await eventually(lambda: asyncio.sleep(0, result=len(live.requests) >= 1 or None), timeout=15)
        assert b'"psm.auction.bid_accepted.v1"' in live.requests[0]["raw"]
        await asyncio.sleep(1.0)
        assert quiet.requests == []  # not opted in
    finally:
        await live.stop()
        await quiet.stop()


async def test_webhook_urls_inside_are_refused_unless_the_setting_allows_them(settings, operator):
    key = operator["Authorization"].removeprefix("Bearer ")
    app = create_app(settings.model_copy(update={"operator_key": SecretStr(key), "webhooks_allow_private": False}),
                     modules(FAST))
    async with TestClient(TestServer(app)) as c:
        from services.tools.demo.identifiers import uscc

        r = await c.post("/v1/orgs", json={"kind": "venue", "name": "场所", "country": "CN", "uscc": uscc()},
                         headers=operator)
        made = await r.json()
        headers = {"Authorization": f"Bearer {made['api_key']}"}
        for url in ("http://127.0.0.1:5432/", "http://localhost:8080/hook", "http://10.1.2.3/hook",
                    "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://[::ffff:127.0.0.1]/x",
                    "http://192.168.1.10/hook"):
            r = await c.post("/v1/venues", json={"org_id": made["org"]["id"], "webhook_url": url}, headers=headers)
            body = await r.json()
            assert r.status == 422 and body["errors"][0]["field"] == "webhook_url", (url, body)
            assert "internal" in body["errors"][0]["message"], (url, body)


async def test_a_subscription_is_edited_and_deleted_by_its_owner(register):
    ent = await register("enterprise")
    r = await ent.post("/v1/subscriptions", {"filter": {"industries": ["C38"]}, "query": "电池"})
    sub = await r.json()
    assert r.status == 201, sub
    r = await ent.patch(f"/v1/subscriptions/{sub['id']}", {"query": "固态电池", "active": False})
    changed = await r.json()
    assert r.status == 200 and (changed["query"], changed["active"]) == ("固态电池", False), changed
    r = await ent.patch(f"/v1/subscriptions/{sub['id']}", {"query": None, "filter": {}})
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "filter"  # nothing left to match on
    other = await register("enterprise")
    assert (await other.delete(f"/v1/subscriptions/{sub['id']}")).status == 404  # not its owner
    r = await ent.delete(f"/v1/subscriptions/{sub['id']}")
    assert r.status == 200 and (await r.json())["deleted"] is True
    assert (await ent.get(f"/v1/subscriptions/{sub['id']}")).status == 404
    assert sub["id"] not in [s["id"] for s in (await (await ent.get("/v1/subscriptions")).json())["items"]]


async def test_an_endpoint_failing_for_too_long_is_disabled(settings, operator):
    """Days, in production (DeliveryPolicy.disable_after_s); a second and a half here."""
    from dataclasses import replace

    key = operator["Authorization"].removeprefix("Bearer ")
    policy = replace(FAST, disable_after_s=1.5)
    app = create_app(settings.model_copy(update={"operator_key": SecretStr(key)}), modules(policy))
    rx = await Scripted().start()
    try:
        async with TestClient(TestServer(app)) as c:
            rx.script = [(500, {})] * 1000
            venue_org = await make_org(c, operator, "venue")
            _, v = await scripted_venue(lambda _kind: asyncio.sleep(0, result=venue_org), rx)
            await published(await make_org(c, operator))

            async def disabled():
                got = await (await venue_org.get(f"/v1/venues/{v['id']}")).json()
                return got if got["status"] == "disabled" else None

            got = await eventually(disabled, timeout=20)
            assert got["disabled_reason"].startswith("every try failed for")
            inbox = (await (await venue_org.get("/v1/inbox")).json())["items"]
            assert [i["notice"]["endpoint_id"] for i in inbox if i["kind"] == "notice"] == [v["id"]]
            tries = len(rx.requests)
            await asyncio.sleep(1.0)
            assert len(rx.requests) == tries  # nothing more once disabled
    finally:
        await rx.stop()
