"""A payment provider confirms a deal's payment with a signed callback (Standard Webhooks):
verified against the configured secret, fresh, for the contract value; a repeat changes
nothing; anything else is refused and changes nothing."""

from __future__ import annotations

import json
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from services.runtime.http.app import create_app
from services.runtime.webhooks import new_secret
from services.tools.main import all_modules
from tests.conftest import OPERATOR_KEY
from tests.integration.deals.conftest import agree, ok
from tests.integration.listings.conftest import Org, register  # noqa: F401

SECRET = new_secret()


@pytest.fixture
async def paying_client(settings):
    app = create_app(settings.model_copy(update={"operator_key": SecretStr(OPERATOR_KEY),
                                                 "payment_callback_secret": SecretStr(SECRET)}), all_modules())
    async with TestClient(TestServer(app)) as c:
        yield c


def signed(body: dict, *, msg_id: str = "msg_1", secret: str = SECRET, at: float | None = None) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    from datetime import UTC, datetime
    stamp = datetime.fromtimestamp(at if at is not None else time.time(), UTC)
    # Signed with the reference library, as a provider would.
    signature = Webhook(secret).sign(msg_id, stamp, raw.decode())
    return raw, {"webhook-id": msg_id, "webhook-timestamp": str(int(stamp.timestamp())),
                 "webhook-signature": signature, "content-type": "application/json"}


async def test_a_signed_callback_pays_the_deal_once(paying_client):
    c = paying_client
    operator = {"Authorization": f"Bearer {OPERATOR_KEY}"}

    async def org(kind: str) -> Org:
        from services.tools.demo.identifiers import uscc
        body = {"kind": kind, "name": "x", "country": "CN", "uscc": uscc(),
                **({"sub_kind": "university"} if kind == "institution" else {})}
        data = await ok(await c.post("/v1/orgs", json=body, headers=operator), 201)
        return Org(c, data["org"], data["api_key"])

    uni, ent = await org("institution"), await org("enterprise")
    p = await uni.patent()
    d = await agree(uni, ent, [p["patent_id"]])
    url = f"/v1/deals/{d['deal_id']}/payment-callback"
    good = {"payment_reference": "PAY-77", "amount": {"amount": "880000.00", "currency": "CNY"}}

    refusals = [
        (signed(good, secret=new_secret()), 401),  # another secret
        (signed(good, at=time.time() - 3600), 401),  # a replay from an hour ago
        ((json.dumps(good).encode(), {"content-type": "application/json"}), 401),  # unsigned
        (signed({**good, "amount": {"amount": "1.00", "currency": "CNY"}}), 422),  # not the contract value
    ]
    for (raw, headers), status in refusals:
        r = await c.post(url, data=raw, headers=headers)
        assert r.status == status, await r.text()
    assert (await ok(await uni.get(f"/v1/deals/{d['deal_id']}")))["status"] == "agreed"  # nothing changed

    raw, headers = signed(good)
    paid = await ok(await c.post(url, data=raw, headers=headers))
    assert (paid["status"], paid["payment_reference"]) == ("paid", "PAY-77")
    assert [h["step"] for h in paid["history"]][-1] == "paid"
    # The provider repeats its callback (it retries until answered): the same answer, no second payment.
    raw, headers = signed(good, msg_id="msg_2")
    again = await ok(await c.post(url, data=raw, headers=headers))
    assert again["history"] == paid["history"]
    assert (await ok(await ent.get(f"/v1/patents/{p['patent_id']}")))["owner_org_id"] == ent.id


async def test_callbacks_are_off_without_a_secret(register, client):  # noqa: F811
    uni, ent = await register(), await register("enterprise")
    p = await uni.patent()
    d = await agree(uni, ent, [p["patent_id"]])
    raw, headers = signed({"payment_reference": "X", "amount": {"amount": "880000.00", "currency": "CNY"}})
    r = await client.post(f"/v1/deals/{d['deal_id']}/payment-callback", data=raw, headers=headers)
    assert r.status == 404 and (await r.json())["type"].endswith("/payment-callbacks-off")
