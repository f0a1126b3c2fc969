"""Deal statistics: periods, groupings, growth against the same period a year earlier,
and progress against the plan's targets.

Pure: no I/O. The plan (沪府办发〔2024〕7号) measures itself in deals, item 六: "到2025年底，
本市高校和科研机构专利转让、许可、作价入股数量年均增幅超过20%，全市涉及专利的技术合同成交额
超过1500亿元". Here "本市" is read as an owner whose USCC registration authority is in
Shanghai (province code 31), and "技术合同成交额" as the contract value of every deal
completed on the marketplace with such an owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from services.runtime.calendar import add_months

INTERVALS = ("month", "quarter", "year")
GROUPINGS = ("mode", "channel", "owner_kind", "owner_sub_kind", "industry", "region")
INSTITUTION_GROWTH_TARGET = Decimal("0.20")  # item 六: >20 % a year
CITY_CONTRACT_VALUE_TARGET = Decimal("150000000000")  # item 六: >1500亿元 (CNY)
# Item 二十五: "到2025年底，本市专利商标质押融资登记规模超过300亿元，惠及中小企业数量超过2000家".
PLEDGE_AMOUNT_TARGET = Decimal("30000000000")
PLEDGE_SME_TARGET = 2000
SHANGHAI = "31"

# GB/T 2260 province codes, as the 3rd–4th characters of a USCC (GB 32100-2015) give them.
PROVINCES = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
    "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
    "63": "青海", "64": "宁夏", "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门",
}
# IPC sections (WIPO International Patent Classification).
IPC_SECTIONS = {
    "A": "Human necessities", "B": "Performing operations; transporting", "C": "Chemistry; metallurgy",
    "D": "Textiles; paper", "E": "Fixed constructions", "F": "Mechanical engineering; lighting; heating; weapons",
    "G": "Physics", "H": "Electricity",
}


def region_of(country: str, uscc: str | None) -> str:
    """A Chinese organisation's province (from its USCC), else its country."""
    if country != "CN":
        return country
    code = (uscc or "")[2:4]
    return code if code in PROVINCES else "unknown"


def industry_of(ipc: Iterable[str]) -> str | None:
    """The IPC section of the first classification (a design has none: Locarno)."""
    for symbol in ipc:
        section = symbol.strip()[:1].upper()
        if section in IPC_SECTIONS:
            return section
    return None


def label(group_by: str, value: str) -> str | None:
    if group_by == "region":
        return PROVINCES.get(value)
    if group_by == "industry":
        return IPC_SECTIONS.get(value)
    return None


# -- periods -----------------------------------------------------------------------------
def period_start(day: date, interval: str) -> date:
    if interval == "year":
        return date(day.year, 1, 1)
    if interval == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, day.month, 1)


def period_key(start: date, interval: str) -> str:
    if interval == "year":
        return f"{start.year}"
    if interval == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def next_period(start: date, interval: str) -> date:
    return add_months(start, {"month": 1, "quarter": 3, "year": 12}[interval])


def periods(first: date, last: date, interval: str) -> list[date]:
    """Every period touching [first, last], empty ones included."""
    out, start = [], period_start(first, interval)
    while start <= last:
        out.append(start)
        start = next_period(start, interval)
    return out


def split_by_month(first: date, last: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """[first, last] as whole calendar months (first and last month, by their first day)
    and the partial months at its edges (day ranges)."""
    start = first if first.day == 1 else add_months(date(first.year, first.month, 1), 1)
    end_next = add_months(date(last.year, last.month, 1), 1)  # the month after last's
    end = end_next if (end_next - timedelta(days=1)) == last else date(last.year, last.month, 1)
    if start >= end:  # no whole month inside: days only
        return None, [(first, last)]
    edges = []
    if first < start:
        edges.append((first, start - timedelta(days=1)))
    if end <= last:
        edges.append((end, last))
    return (start, add_months(end, -1)), edges


def year_earlier(start: date) -> date:
    return add_months(start, -12)


# -- measures ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Measures:
    deals: int = 0
    amount: Decimal = Decimal("0.00")
    royalties: Decimal = Decimal("0.00")

    def __add__(self, other: Measures) -> Measures:
        return Measures(self.deals + other.deals, self.amount + other.amount, self.royalties + other.royalties)


def growth(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """(current − previous) / previous to four places; None when there is nothing to grow from."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) / Decimal(previous)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Row:
    period: date
    group: str
    measures: Measures


def table(rows: Iterable[Row], starts: list[date]) -> dict[date, dict[str, Measures]]:
    """Rows summed by period and group (every period present, empty ones too). A group
    whose sums are all zero is left out: its facts moved to another value (an owner
    learnt late leaves zeros under ``unknown``)."""
    out: dict[date, dict[str, Measures]] = {s: {} for s in starts}
    for r in rows:
        if r.period in out:
            out[r.period][r.group] = out[r.period].get(r.group, Measures()) + r.measures
    for groups in out.values():
        for key in [k for k, m in groups.items() if m == Measures()]:
            del groups[key]
    return out


@dataclass(frozen=True)
class YearTarget:
    year: int
    through: date  # the last day counted (a year still running is compared up to the same day)
    institution_deals: int
    institution_deals_year_earlier: int
    institution_growth: Decimal | None
    institution_growth_met: bool | None
    city_contract_value: Decimal
    city_contract_value_progress: Decimal


def target_spans(first_year: int, last_year: int, to: date) -> list[tuple[int, date, date]]:
    """(year, 1 January, last day counted) for each year of a range ending on ``to``."""
    return [(y, date(y, 1, 1), min(date(y, 12, 31), to)) for y in range(first_year, last_year + 1)]


def year_target(year: int, through: date, institutions: int, institutions_before: int,
                city_value: Decimal) -> YearTarget:
    """Item 六 for one year: the institutions' deal count against +20 % on the same days of
    the year before, and the city's contract value against 1500亿元."""
    g = growth(institutions, institutions_before)
    return YearTarget(
        year=year, through=through, institution_deals=institutions, institution_deals_year_earlier=institutions_before,
        institution_growth=g, institution_growth_met=None if g is None else g > INSTITUTION_GROWTH_TARGET,
        city_contract_value=city_value,
        city_contract_value_progress=(city_value / CITY_CONTRACT_VALUE_TARGET).quantize(Decimal("0.000001")))
