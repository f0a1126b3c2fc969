"""A cursor this API did not issue — valid base64 JSON with the wrong content — is a 422
naming ``query.cursor`` (or ``query.after``) on every list, never a 500."""

from __future__ import annotations

import base64
import json

from tests.integration.register.conftest import auction_body, declaration_body


def forged(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


COMMON = [forged(["notadate", "x"]), forged([]), forged(["2026-11-30T00:00:00", 5]), forged([True]),
          forged({"a": 1}), "%%%"]
# Lists keyed by (time, id) also refuse a lone number; those keyed by a sequence (bids,
# import lines, the feed) take [1] as the position it is, and refuse these instead.
BY_TIME = COMMON + [forged([1])]
BY_SEQUENCE = COMMON + [forged([-1]), forged(["1"]), forged([1.5]), forged([2**63])]


async def test_every_list_refuses_a_forged_cursor(register, client, operator):
    uni, ent = await register(), await register("enterprise")
    venue = await register("venue", sub_kind=None)
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]])
    assert (await uni.post(f"/v1/listings/{listing['listing_id']}/publish")).status == 200
    d = await (await uni.post("/v1/open-licences", declaration_body(p["patent_id"]))).json()
    a = await (await uni.post("/v1/auctions", auction_body(listing["listing_id"]))).json()
    v = await (await venue.post("/v1/venues", {"org_id": venue.id})).json()
    job = await (await uni.post("/v1/patents/imports", data=b'{"x": 1}\n',
                                headers={"Content-Type": "application/x-ndjson"})).json()
    lists = [(uni, "/v1/listings", "cursor"), (uni, "/v1/patents", "cursor"), (uni, "/v1/open-licences", "cursor"),
             (uni, "/v1/licences", "cursor"), (venue, "/v1/venues", "cursor"),
             (venue, f"/v1/venues/{v['id']}/deliveries", "cursor"), (uni, "/v1/roadshows", "cursor"),
             (ent, "/v1/inbox", "cursor"), (ent, "/v1/subscriptions", "cursor"),
             (uni, f"/v1/auctions/{a['id']}/bids", "cursor"), (uni, f"/v1/patents/imports/{job['id']}", "cursor"),
             (uni, f"/v1/listings/{listing['listing_id']}/push-feedback", "cursor"),
             (uni, f"/v1/open-licences/{d['id']}/licences", "cursor"), (venue, "/v1/feed", "after")]
    sequence_keyed = {f"/v1/auctions/{a['id']}/bids", f"/v1/patents/imports/{job['id']}", "/v1/feed"}
    for org, path, param in lists:
        for cursor in BY_SEQUENCE if path in sequence_keyed else BY_TIME:
            r = await org.get(path, params={param: cursor})
            body = await r.json()
            assert r.status == 422, (path, cursor, body)
            assert [e["field"] for e in body["errors"]] == [f"query.{param}"], (path, body)
    r = await client.get("/v1/orgs", params={"cursor": BY_TIME[0]}, headers=operator)
    assert r.status == 422
