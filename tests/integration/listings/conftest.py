"""Helpers for the listings tests: organisations with keys, valid patent bodies."""

from __future__ import annotations


import pytest

from services.tools.demo.identifiers import application_number as cn_number
from services.tools.demo.identifiers import uscc

def patent_body(**over) -> dict:
    body = {"number": cn_number(), "title": "一种锂离子电池正极材料及其制备方法",
            "abstract": "本发明公开了一种高镍三元正极材料，循环寿命长。", "kind": "invention",
            "ipc": ["H01M 4/525", "H01M 10/0525"], "applicants": ["复旦大学"], "inventors": ["张三"],
            "filing_date": "2021-03-01", "grant_date": "2023-05-01", "legal_status": "granted"}
    body.update(over)
    return body


class Org:
    def __init__(self, client, org: dict, key: str) -> None:
        self.client = client
        self.id = org["id"]
        self.kind = org["kind"]
        self.headers = {"Authorization": f"Bearer {key}"}

    async def post(self, path: str, json=None, **kw):
        return await self.client.post(path, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def patch(self, path: str, json):
        return await self.client.patch(path, json=json, headers=self.headers)

    async def get(self, path: str, **kw):
        return await self.client.get(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def delete(self, path: str, **kw):
        return await self.client.delete(path, headers=self.headers, **kw)

    async def patent(self, **over) -> dict:
        r = await self.post("/v1/patents", patent_body(**over))
        assert r.status == 201, await r.text()
        return await r.json()

    async def supply(self, patent_ids: list[str], **over) -> dict:
        body = {"kind": "supply", "title": "高镍正极材料专利转让", "patent_ids": patent_ids, "modes": ["transfer"],
                "price": {"amount": "880000.00", "currency": "CNY"}, "industry": "C38", "stage": "pilot",
                "region": "310000", "field": "新能源"}
        body.update(over)
        r = await self.post("/v1/listings", body)
        assert r.status == 201, await r.text()
        return await r.json()


@pytest.fixture
def register(client, operator):
    async def make(kind: str = "institution", sub_kind: str | None = "university", country: str = "CN") -> Org:
        body = {"kind": kind, "name": f"测试{kind}", "country": country}
        if kind == "institution":
            body["sub_kind"] = sub_kind
        if country == "CN":
            body["uscc"] = uscc()
        r = await client.post("/v1/orgs", json=body, headers=operator)
        assert r.status == 201, await r.text()
        data = await r.json()
        return Org(client, data["org"], data["api_key"])

    return make


@pytest.fixture
async def foreign_events(settings):
    """Record events as another context would (its own schema, outbox and relay), for
    contexts that do not exist yet or that a test wants to drive directly."""
    import asyncio
    import contextlib
    from pathlib import Path

    from events.outbox import Outbox
    from events.relay import OutboxRelay
    from services.runtime.storage import apply_migrations, create_pool

    pool = await create_pool(settings, min_size=1, max_size=3)
    relays: list[asyncio.Task] = []
    outboxes: dict[str, Outbox] = {}

    async def emit(context: str, subject: str, payload) -> None:
        if context not in outboxes:
            await apply_migrations(pool, context, Path("events/migrations").resolve(), namespace="events")
            outboxes[context] = Outbox(schema=context, source=f"/psm/{context}")
            relay = OutboxRelay(database_url=settings.database_url, schema=context,
                                kafka_bootstrap=settings.kafka_bootstrap, topic_prefix=settings.topic_prefix)
            relays.append(asyncio.create_task(relay.run(), name=f"test-relay-{context}"))
        async with pool.acquire() as conn, conn.transaction():
            await outboxes[context].record(conn, subject, payload)

    try:
        yield emit
    finally:
        for t in relays:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await pool.close()


async def eventually(check, timeout: float = 5.0, interval: float = 0.05):
    """Poll ``check()`` (async, returns truthy when done) until it passes or time runs out."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
