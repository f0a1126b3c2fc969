"""Open-licence fixtures: declaring (once the patent has reached the licences
service), probing a refusal until the read model has caught up, the catalogue."""

from __future__ import annotations

from tests.integration.listings.conftest import Org, eventually, foreign_events, register  # noqa: F401


def cny(amount: str) -> dict:
    return {"amount": amount, "currency": "CNY"}


def declaration_body(patent_id: str, **over) -> dict:
    body = {"patent_id": patent_id, "royalty": {"basis": "percent_of_revenue", "rate_percent": "3.5"},
            "payment": {"method": "bank_transfer", "schedule": "annually, within 30 days of the year's end"},
            "term_years": 5, "cnipa_announcement_no": "KF2025-000123"}
    body.update(over)
    return body


async def declare(org: Org, patent_id: str, **over) -> dict:
    """Declare, waiting (on 404) for the patent to reach the licences service; a 202 (the
    register decided after the saga bound, as under a full suite's load) is followed to
    its decision, which must be the same as a 201's: in force."""
    async def attempt():
        r = await org.post("/v1/open-licences", declaration_body(patent_id, **over))
        if r.status == 404:
            return None
        assert r.status in (201, 202), await r.text()
        return await r.json()

    d = await eventually(attempt, timeout=5)
    if d["status"] == "pending":
        async def in_force():
            got = await (await org.get(f"/v1/open-licences/{d['id']}")).json()
            return got if got["status"] != "pending" else None

        d = await eventually(in_force, timeout=30)
    assert d["status"] == "in_force", d
    return d


async def refused(org: Org, body: dict, rule: str) -> dict:
    """POST a declaration until it is refused for ``rule`` (the read models catch up);
    use a body that a later pre-check refuses meanwhile, so that nothing is declared."""
    seen = []

    async def attempt():
        r = await org.post("/v1/open-licences", body)
        data = await r.json()
        seen.append((r.status, data.get("type")))
        assert r.status in (404, 422), data
        if data["type"].endswith("/" + rule):
            assert r.status == 422 and r.content_type == "application/problem+json"
            return data
        return None

    try:
        return await eventually(attempt, timeout=5)
    except AssertionError:
        raise AssertionError(f"never refused for {rule}; last answers: {seen[-3:]}") from None


async def accept(org: Org, declaration_id: str, **body) -> object:
    return await org.post(f"/v1/open-licences/{declaration_id}/acceptances", body)


async def catalogue(org: Org, **params) -> list[dict]:
    r = await org.get("/v1/catalogue/search", params={"type": "open_licence", **params})
    assert r.status == 200, await r.text()
    return (await r.json())["items"]
