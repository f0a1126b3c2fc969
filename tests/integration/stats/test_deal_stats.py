"""Deal statistics against a fixture spanning three years with known answers: groupings,
growth on the same period a year earlier, empty periods, the plan's targets, CSV, and
the same numbers after a rebuild from the events."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from events.schemas.common import Money
from events.schemas.deals import DealPaid, DealSnapshot, DealTerms
from events.schemas.listings import PatentRegistered, PatentSnapshot
from events.schemas.platform import OrgRegistered
from services.runtime.storage import create_pool
from services.stats.rebuild import rebuild
from services.tools.demo.identifiers import uscc
from tests.conftest import unique
from tests.integration.listings.conftest import eventually, foreign_events  # noqa: F401


def cny(x: str) -> Money:
    return Money(amount=x, currency="CNY")


class History:
    """Organisations, patents and paid deals recorded as their contexts would, dated in the past."""

    def __init__(self, emit) -> None:
        self.emit = emit
        self.tag = unique("h")
        self.n = 0

    async def org(self, name: str, kind: str, sub_kind: str | None, province: str) -> str:
        org_id = f"org_{self.tag}_{name}"
        await self.emit("history", org_id, OrgRegistered(org_id=org_id, kind=kind, sub_kind=sub_kind, name=name,
                                                         country="CN", uscc=uscc("91" + province)))
        return org_id

    async def patent(self, owner: str, ipc: str) -> str:
        self.n += 1
        pid = f"pat_{self.tag}_{self.n}"
        await self.emit("history", pid, PatentRegistered(patent=PatentSnapshot(
            patent_id=pid, number=f"ZL2020{self.n:07d}.X", title="t", kind="invention", ipc=[ipc],
            filing_date=date(2020, 1, 1), legal_status="granted", expires_on=date(2040, 1, 1),
            owner_org_id=owner)))
        return pid

    async def deal(self, owner: str, buyer: str, patent: str, kind: str, on: str, amount: str) -> None:
        self.n += 1
        at = datetime.fromisoformat(on).replace(tzinfo=UTC)
        terms = {"transfer": DealTerms(price=cny(amount)),
                 "equity": DealTerms(valuation=cny(amount), equity_share_percent="10")}.get(
            kind, DealTerms(royalty={"basis": "lump_sum", "amount": cny(amount)}, territory="CN", term_years=3))
        deal_id = f"dl_{self.tag}_{self.n}"
        await self.emit("history", deal_id, DealPaid(deal=DealSnapshot(
            deal_id=deal_id, kind=kind, status="paid", owner_org_id=owner, counterparty_org_id=buyer,
            counterparty_country="CN", proposed_by="owner", patent_ids=[patent], terms=terms, version=1,
            created_at=at, expires_at=at, paid_at=at)))


@pytest.fixture
async def history(foreign_events, client, operator):  # noqa: F811
    h = History(foreign_events)
    uni = await h.org("uni", "institution", "university", "31")
    ri = await h.org("ri", "institution", "research_institute", "31")
    ent = await h.org("ent", "enterprise", None, "32")
    buyer = await h.org("buyer", "enterprise", None, "44")
    battery, drug = await h.patent(uni, "H01M 4/525"), await h.patent(ri, "A61K 31/00")
    machine = await h.patent(ent, "B23K 26/00")
    await h.deal(uni, buyer, battery, "transfer", "2023-05-01", "10.00")
    await h.deal(uni, buyer, battery, "transfer", "2024-03-10", "100.00")
    await h.deal(ri, buyer, drug, "ordinary_licence", "2024-07-01", "50.00")
    await h.deal(ent, buyer, machine, "transfer", "2024-11-30", "1000.00")
    await h.deal(uni, buyer, battery, "transfer", "2025-03-15", "200.00")
    await h.deal(uni, buyer, battery, "equity", "2025-06-30", "300.00")
    await h.deal(ri, buyer, drug, "exclusive_licence", "2025-08-01", "40.00")

    async def arrived():
        r = await client.get("/v1/stats/deals", params={"from": "2023-01-01", "to": "2025-12-31",
                                                         "interval": "year"}, headers=operator)
        body = await r.json()
        return body if sum(p["total"]["deals"] for p in body["periods"]) == 7 else None

    await eventually(arrived, timeout=30)
    return h


def groups(period: dict) -> dict[str, tuple]:
    return {g["key"]: (g["deals"], g["amount"]) for g in period["groups"]}


async def stats(client, operator, **params) -> dict:
    r = await client.get("/v1/stats/deals", params=params, headers=operator)
    assert r.status == 200, await r.text()
    return await r.json()


async def test_by_mode_and_year_with_growth_and_targets(history, client, operator):
    s = await stats(client, operator, **{"from": "2024-01-01", "to": "2025-12-31", "interval": "year",
                                         "group_by": "mode"})
    y2024, y2025 = s["periods"]
    assert (y2024["period"], y2024["start"], y2024["end"]) == ("2024", "2024-01-01", "2024-12-31")
    assert groups(y2024) == {"transfer": (2, "1100.00"), "ordinary_licence": (1, "50.00")}
    assert groups(y2025) == {"transfer": (1, "200.00"), "equity": (1, "300.00"), "exclusive_licence": (1, "40.00"),
                             "ordinary_licence": (0, "0.00")}  # present a year earlier: compared with it
    t24 = {g["key"]: g for g in y2024["groups"]}
    assert t24["transfer"]["year_earlier"]["deals"] == 1 and t24["transfer"]["year_earlier"]["amount"] == "10.00"
    assert t24["transfer"]["growth"] == {"deals": "1.0000", "amount": "109.0000", "royalties": None}
    assert t24["ordinary_licence"]["growth"]["deals"] is None  # nothing a year earlier
    t25 = {g["key"]: g for g in y2025["groups"]}
    assert t25["transfer"]["growth"]["deals"] == "-0.5000" and t25["transfer"]["growth"]["amount"] == "-0.8182"
    assert y2025["total"] == {"deals": 3, "amount": "540.00", "royalties": "0.00"}
    assert y2025["total_growth"]["amount"] == format((540 - 1150) / 1150, ".4f")

    # Item 六: Shanghai's universities and research institutes, +20 % a year; the city's value.
    targets = {t["year"]: t for t in s["targets"]}
    assert (targets[2024]["institution_deals"], targets[2024]["institution_deals_year_earlier"]) == (2, 1)
    assert (targets[2024]["institution_growth"], targets[2024]["institution_growth_met"]) == ("1.0000", True)
    assert (targets[2025]["institution_deals"], targets[2025]["institution_growth"]) == (3, "0.5000")
    assert targets[2024]["city_contract_value"] == "150.00" and targets[2025]["city_contract_value"] == "540.00"
    assert targets[2025]["city_contract_value_target"] == "150000000000.00"
    # A year cut short by the range is compared with the same days of the year before.
    half = {t["year"]: t for t in (await stats(client, operator, **{"from": "2025-01-01", "to": "2025-06-30"}))[
        "targets"]}
    assert (half[2025]["through"], half[2025]["institution_deals"], half[2025]["institution_deals_year_earlier"]) == (
        "2025-06-30", 2, 1)


async def test_empty_periods_and_other_groupings(history, client, operator):
    s = await stats(client, operator, **{"from": "2025-01-01", "to": "2025-04-30", "group_by": "region"})
    assert [p["period"] for p in s["periods"]] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    jan, feb, mar, apr = s["periods"]
    for empty in (jan, feb, apr):
        assert empty["groups"] == [] and empty["total"]["deals"] == 0
    (g,) = mar["groups"]
    assert (g["key"], g["label"], g["deals"], g["amount"]) == ("31", "上海", 1, "200.00")
    assert g["year_earlier"]["amount"] == "100.00" and g["growth"]["amount"] == "1.0000"

    q = await stats(client, operator, **{"from": "2024-10-01", "to": "2024-12-31", "interval": "quarter",
                                         "group_by": "industry"})
    (q4,) = q["periods"]
    assert q4["period"] == "2024-Q4" and groups(q4) == {"B": (1, "1000.00")}
    assert q4["groups"][0]["label"] == "Performing operations; transporting"

    kinds = await stats(client, operator, **{"from": "2024-01-01", "to": "2024-12-31", "interval": "year",
                                             "group_by": "owner_sub_kind"})
    assert groups(kinds["periods"][0]) == {"university": (1, "100.00"), "research_institute": (1, "50.00"),
                                          "none": (1, "1000.00")}
    channels = await stats(client, operator, **{"from": "2024-01-01", "to": "2024-12-31", "interval": "year",
                                                "group_by": "channel"})
    assert groups(channels["periods"][0]) == {"negotiated": (3, "1150.00")}

    # A range cut inside a period counts only its days (and the same days a year before).
    cut = await stats(client, operator, **{"from": "2024-03-11", "to": "2024-12-31", "interval": "year"})
    assert cut["periods"][0]["start"] == "2024-03-11" and cut["periods"][0]["total"]["deals"] == 2

    r = await client.get("/v1/stats/deals", params={"from": "2025-01-01", "to": "2024-01-01"}, headers=operator)
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "query.from"
    r = await client.get("/v1/stats/deals", params={"group_by": "colour"}, headers=operator)
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "query.group_by"


async def test_csv_export(history, client, operator):
    r = await client.get("/v1/stats/deals", params={"from": "2024-01-01", "to": "2024-12-31", "interval": "year"},
                         headers={**operator, "Accept": "text/csv"})
    assert r.status == 200 and r.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await r.text())))
    by = {row["mode"]: row for row in rows}
    assert set(by) == {"transfer", "ordinary_licence"}
    assert (by["transfer"]["deals"], by["transfer"]["amount"], by["transfer"]["growth_amount"]) == (
        "2", "1100.00", "109.0000")


async def test_the_same_numbers_after_a_rebuild_from_events(history, client, operator, settings):
    params = {"from": "2023-01-01", "to": "2025-12-31", "interval": "quarter", "group_by": "region"}
    before = await stats(client, operator, **params)
    market_before = await (await client.get("/v1/stats/market", headers=operator)).json()
    pool = await create_pool(settings, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            # The read model lost: only the events remain.
            await conn.execute("TRUNCATE stats.facts, stats.rollup, stats.rollup_monthly")
        assert (await stats(client, operator, **params))["periods"] != before["periods"]
        report = await rebuild(settings, pool)
    finally:
        await pool.close()
    assert report.facts == 7 and report.events_replayed >= 14
    assert await stats(client, operator, **params) == before
    assert await (await client.get("/v1/stats/market", headers=operator)).json() == market_before


async def test_a_deal_that_arrives_before_its_patent_still_counts(client, settings):
    """Deals and registrations travel on different topics: the mark waits for the patent."""
    from services.stats import repository as repo

    pool = await create_pool(settings, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            # One snapshot (and our own writes): other tests' events may land meanwhile.
            tx = conn.transaction(isolation="repeatable_read")
            await tx.start()
            try:
                before = await repo.market_totals(conn)
                pid, owner = unique("pat_early"), unique("org_early")
                await repo.record_fact(conn, fact_id=unique("f"), on=date(2001, 1, 2), channel="negotiated",
                                       mode="transfer", currency="CNY", deals=1, amount=Decimal("1.00"),
                                       royalties=Decimal("0"), owner_org_id=owner, patent_ids=[pid])
                await repo.upsert_listing(conn, unique("lst"), [pid], datetime(2025, 1, 1, tzinfo=UTC))
                waiting = await repo.market_totals(conn)
                # Not yet registered here: not counted anywhere.
                assert (waiting["patents"], waiting["transacted"]) == (before["patents"], before["transacted"])
                await repo.upsert_patents(conn, [(pid, owner, "H", 3)])
                after = await repo.market_totals(conn)
                assert (after["patents"], after["listed"], after["transacted"]) == (
                    before["patents"] + 1, before["listed"] + 1, before["transacted"] + 1)
                row = await conn.fetchrow("SELECT owner_org_id, sequence FROM stats.patents WHERE id = $1", pid)
                assert (row["owner_org_id"], row["sequence"]) == (owner, 3)
            finally:
                await tx.rollback()
    finally:
        await pool.close()
