"""Statistics routes (DESIGN §12): deals by period and grouping against the plan's
targets, and the market's inventory coverage and activity."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from services.runtime.clock import today
from services.runtime.errors import FieldError, ValidationFailed
from services.runtime.http.api import Api, Ctx
from services.stats import domain
from services.stats import repository as repo
from services.stats.models import (
    CsvFile, DealStats, DealStatsQuery, Figures, Group, Growth, InstitutionInventory, MarketQuery, MarketStats, Period,
    PledgePeriod, PledgeStats, PledgeStatsQuery, YearTarget,
)
from aiohttp import web

api = Api("stats")
MAX_DAYS = 366 * 20


def _figures(m: domain.Measures) -> Figures:
    return Figures(deals=m.deals, amount=m.amount, royalties=m.royalties)


def _growth(now: domain.Measures, then: domain.Measures) -> Growth:
    def g(a, b) -> str | None:
        x = domain.growth(a, b)
        return None if x is None else format(x, "f")

    return Growth(deals=g(now.deals, then.deals), amount=g(now.amount, then.amount),
                  royalties=g(now.royalties, then.royalties))


def _range(q: DealStatsQuery | PledgeStatsQuery) -> tuple[date, date]:
    to = q.to or today()
    first = q.from_ or date(to.year - 1, 1, 1)
    if first > to:
        raise ValidationFailed([FieldError("query.from", f"on or before 'to' ({to})")])
    if (to - first).days > MAX_DAYS:
        raise ValidationFailed([FieldError("query.from", "a range of at most twenty years")])
    return first, to


async def deal_stats(ctx: Ctx, q: DealStatsQuery) -> DealStats:
    first, to = _range(q)
    starts = domain.periods(first, to, q.interval)
    # Exactly the days asked, and the same days a year earlier (the rollup is by day, so a
    # period cut by the range is compared with the same cut a year before).
    now = domain.table(await _rows(ctx, q, first, to), starts)
    then = domain.table(await _rows(ctx, q, domain.year_earlier(first), domain.year_earlier(to)),
                        [domain.year_earlier(s) for s in starts])
    periods = []
    for s in starts:
        groups_now, groups_then = now[s], then[domain.year_earlier(s)]
        keys = sorted(set(groups_now) | set(groups_then))
        total_now = sum(groups_now.values(), domain.Measures())
        total_then = sum(groups_then.values(), domain.Measures())
        end = date.fromordinal(domain.next_period(s, q.interval).toordinal() - 1)
        periods.append(Period(
            period=domain.period_key(s, q.interval), start=max(s, first), end=min(end, to), total=_figures(total_now),
            total_year_earlier=_figures(total_then), total_growth=_growth(total_now, total_then),
            groups=[Group(key=k, label=domain.label(q.group_by, k), **_figures(groups_now.get(k, domain.Measures()))
                          .model_dump(), year_earlier=_figures(groups_then.get(k, domain.Measures())),
                          growth=_growth(groups_now.get(k, domain.Measures()), groups_then.get(k, domain.Measures())))
                    for k in keys]))
    targets = []
    for year, a, b in domain.target_spans(first.year, to.year, to):
        institutions, _ = await repo.sum_between(ctx.conn, dimension="plan", value="sh_institution", first=a, last=b)
        before, _ = await repo.sum_between(ctx.conn, dimension="plan", value="sh_institution",
                                           first=domain.year_earlier(a), last=domain.year_earlier(b))
        _, city = await repo.sum_between(ctx.conn, dimension="region", value=domain.SHANGHAI, first=a, last=b)
        t = domain.year_target(year, b, institutions, before, city)
        targets.append(YearTarget(
            year=t.year, through=t.through, institution_deals=t.institution_deals,
            institution_deals_year_earlier=t.institution_deals_year_earlier,
            institution_growth=None if t.institution_growth is None else format(t.institution_growth, "f"),
            institution_growth_met=t.institution_growth_met, city_contract_value=t.city_contract_value,
            city_contract_value_target=domain.CITY_CONTRACT_VALUE_TARGET,
            city_contract_value_progress=format(t.city_contract_value_progress, "f")))
    return DealStats(from_=first, to=to, interval=q.interval, group_by=q.group_by, currency=q.currency,
                     periods=periods, targets=targets)


async def _rows(ctx: Ctx, q: DealStatsQuery, first: date, last: date) -> list[domain.Row]:
    rows = await repo.rollup(ctx.conn, dimension=q.group_by, currency=q.currency, first=first, last=last,
                             interval=q.interval)
    return [domain.Row(r["period"], r["value"], domain.Measures(r["deals"], r["amount"], r["royalties"]))
            for r in rows]


def _csv(stats: DealStats) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["period", "start", "end", stats.group_by, "label", "currency", "deals", "amount", "royalties",
                "deals_year_earlier", "amount_year_earlier", "royalties_year_earlier", "growth_deals",
                "growth_amount", "growth_royalties"])
    for p in stats.periods:
        for g in p.groups:
            w.writerow([p.period, p.start, p.end, g.key, g.label or "", stats.currency, g.deals, f"{g.amount:.2f}",
                        f"{g.royalties:.2f}", g.year_earlier.deals, f"{g.year_earlier.amount:.2f}",
                        f"{g.year_earlier.royalties:.2f}", g.growth.deals or "", g.growth.amount or "",
                        g.growth.royalties or ""])
    return out.getvalue()


@api.get("/v1/stats/deals", query=DealStatsQuery, response=DealStats, also=(("text/csv", CsvFile),),
         summary="Deals by period and grouping (transfers, licences incl. open licences, equity), growth on the "
                 "year before and the plan's targets; Accept: text/csv for a spreadsheet")
async def deals(ctx: Ctx) -> DealStats | web.Response:
    stats = await deal_stats(ctx, ctx.query)
    if "text/csv" in ctx.request.headers.get("Accept", ""):
        return web.Response(text=_csv(stats), content_type="text/csv", charset="utf-8", headers={
            "Content-Disposition": f'attachment; filename="deals-{stats.from_}-{stats.to}-{stats.group_by}.csv"'})
    return stats


@api.get("/v1/stats/market", query=MarketQuery, response=MarketStats,
         summary="Inventory coverage per institution (registered → listed → transacted, plan item 一) and the "
                 "market's activity: listings published, roadshow leads, pushes delivered")
async def market(ctx: Ctx) -> MarketStats:
    t = await repo.market_totals(ctx.conn)
    rows = await repo.inventory(ctx.conn, ctx.query.limit)
    return MarketStats(
        patents_registered=t["patents"], patents_listed=t["listed"], patents_transacted=t["transacted"],
        listings_published=t["listings_published"], roadshow_leads=t["roadshow_leads"],
        pushes_delivered=t["pushes_delivered"],
        institutions=[InstitutionInventory(
            org_id=r["id"], name=r["name"], sub_kind=r["sub_kind"], region=r["region"],
            patents_registered=r["registered"], patents_listed=r["listed"], patents_transacted=r["transacted"],
            listed_share=format((Decimal(r["listed"]) / r["registered"]).quantize(Decimal("0.0001")), "f"))
            for r in rows])



@api.get("/v1/stats/pledges", query=PledgeStatsQuery, response=PledgeStats,
         summary="Pledge financing by period: pledges in force, loans secured, SMEs served; outstanding; the plan's "
                 "targets (item 二十五)")
async def pledges(ctx: Ctx) -> PledgeStats:
    q: PledgeStatsQuery = ctx.query
    first, to = _range(q)
    rows = {r["period"]: r for r in await repo.pledges_by_period(ctx.conn, first=first, last=to, interval=q.interval,
                                                                  currency=q.currency)}
    periods = []
    for s in domain.periods(first, to, q.interval):
        r = rows.get(s)
        end = date.fromordinal(domain.next_period(s, q.interval).toordinal() - 1)
        periods.append(PledgePeriod(period=domain.period_key(s, q.interval), start=max(s, first), end=min(end, to),
                                    pledges=r["pledges"] if r else 0, amount=r["amount"] if r else Decimal("0.00"),
                                    smes=r["smes"] if r else 0))
    t = await repo.pledge_totals(ctx.conn, first=first, last=to, currency=q.currency)
    return PledgeStats(from_=first, to=to, interval=q.interval, currency=q.currency, periods=periods,
                       pledges=t["pledges"], amount=t["amount"], smes=t["smes"], outstanding=t["outstanding"],
                       amount_target=domain.PLEDGE_AMOUNT_TARGET, sme_target=domain.PLEDGE_SME_TARGET)
