"""The demo's supply listings (institutions offering their patents) and demands
(enterprises' technology needs). Pure, like the generator that calls it."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

from services.tools.demo import vocabulary as vocab
from services.tools.demo.model import DemoListing, DemoOrg, DemoPatent

LISTED_SHARE = 0.25  # of an institution's patents in force, offered on the market
PORTFOLIO_SIZES = ((1, 60), (2, 15), (3, 12), (4, 8), (5, 5))
SUPPLY_MODES = (
    (("transfer",), 30), (("transfer", "ordinary_licence"), 10), (("ordinary_licence",), 15),
    (("exclusive_licence",), 8), (("sole_licence",), 4), (("transfer", "exclusive_licence"), 8),
    (("ordinary_licence", "equity"), 6), (("equity",), 5), (("transfer", "equity"), 4),
)
DEMAND_MODES = (
    (("transfer",), 35), (("exclusive_licence",), 20), (("transfer", "exclusive_licence"), 15),
    (("ordinary_licence",), 15), (("equity",), 8), (("transfer", "equity"), 7),
)
STAGES = (("lab", 30), ("prototype", 30), ("pilot", 25), ("mass_production", 15))
PRICE_RANGE_WAN = {"lab": (5, 60), "prototype": (20, 150), "pilot": (50, 300), "mass_production": (100, 800)}


def _pick(r: random.Random, weighted):
    return r.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _mode_word(modes: tuple[str, ...]) -> str:
    if "transfer" in modes:
        return "转让"
    return "作价入股" if modes == ("equity",) else "许可"


def make_supply(r: random.Random, register: list[DemoPatent], orgs: dict[str, DemoOrg]) -> list[DemoListing]:
    by_owner: dict[str, list[DemoPatent]] = defaultdict(list)
    for p in register:
        by_owner[p.owner].append(p)
    out: list[DemoListing] = []
    for owner, patents in by_owner.items():
        org = orgs[owner]
        # Mostly granted patents; now and then a pending application (its right to apply is for sale).
        in_force = [p for p in patents
                    if p.legal_status == "granted" or (p.legal_status == "pending" and r.random() < 0.15)]
        first = [p for p in in_force if p.featured]
        pools: dict[tuple[str, str], list[DemoPatent]] = defaultdict(list)
        for p in in_force:
            if not p.featured:
                pools[(p.domain, p.topic)].append(p)
        for pool in pools.values():
            r.shuffle(pool)
        groups = [[p] for p in first]
        target = round(len(patents) * LISTED_SHARE)
        while sum(map(len, groups)) < target and any(pools.values()):
            stocked = [(k, len(v)) for k, v in pools.items() if v]
            topic_key = r.choices([k for k, _ in stocked], weights=[n for _, n in stocked])[0]
            size = _pick(r, PORTFOLIO_SIZES)
            groups.append([pools[topic_key].pop() for _ in range(min(size, len(pools[topic_key])))])
        for group in groups:
            out.append(_supply(r, f"s{len(out) + 1:04d}", org, group, featured=group[0].featured))
    return out


def _supply(r: random.Random, key: str, org: DemoOrg, group: list[DemoPatent], *, featured: bool) -> DemoListing:
    d = vocab.BY_KEY[group[0].domain]
    topic = next(t for t in d.topics if t.key == group[0].topic)
    modes = ("transfer",) if featured else _pick(r, SUPPLY_MODES)
    stage = _pick(r, STAGES)
    negotiable = not featured and r.random() < 0.3
    price = None
    if not negotiable:
        low, high = PRICE_RANGE_WAN[stage]
        wan = r.uniform(low, high) * (1 + 0.3 * (len(group) - 1))
        price = Decimal(round(wan * 2) * 5000).quantize(Decimal("0.01"))  # 350000.00: priced in ¥5,000 steps
    if len(group) == 1:
        title = f"【{_mode_word(modes)}】{group[0].title}"
        scope = f"核心专利为「{group[0].title}」"
    else:
        title = f"【{_mode_word(modes)}】{topic.label}专利组合（{len(group)}件）"
        scope = f"包含「{group[0].title}」等{len(group)}件{topic.label}相关专利"
    summary = group[0].abstract.split("。")[1]
    description = (f"本成果由{org.name}{d.team}团队研发，{scope}。{summary}。"
                   f"目前处于{vocab.STAGE_WORDS[stage]}阶段，{r.choice(vocab.SUPPORT)}。")
    roll = r.random()
    status = "published" if featured or roll < 0.85 else "draft" if roll < 0.97 else "withdrawn"
    via = org.mandates[0] if org.mandates and not featured and r.random() < 0.3 else None
    region = "310000" if org.region.startswith("31") and r.random() < 0.1 else org.region
    tags = tuple(dict.fromkeys([*r.sample(d.tags, 2), topic.label]))
    return DemoListing(key, org.key, "supply", title, description, tuple(p.key for p in group), modes, price,
                       negotiable, None, _industry(r, d), d.field, stage, region, tags, status, via)


def _industry(r: random.Random, d: vocab.Domain) -> str:
    return r.choices(d.industries, weights=[3, *[1] * (len(d.industries) - 1)])[0]


def _variant(title: str) -> str:
    """Another enterprise's wording of a need already posted."""
    if title.startswith("寻求"):
        return f"诚邀{title[2:]}合作方"
    if title.startswith("征集"):
        return f"长期{title}"
    return f"{title}（长期有效）"


def make_demands(r: random.Random, enterprises: list[DemoOrg], total: int) -> list[DemoListing]:
    next_need: dict[str, int] = defaultdict(int)  # per domain, so that its enterprises ask for different things
    used: set[str] = set()
    out: list[DemoListing] = []
    for i in range(total):
        org = enterprises[i % len(enterprises)]
        d = vocab.BY_KEY[org.domains[0]]
        title = d.demands[next_need[d.key] % len(d.demands)]
        next_need[d.key] += 1
        while title in used:
            title = _variant(title)
        used.add(title)
        budget = None if r.random() < 0.3 else Decimal(r.randint(2, 50) * 100000).quantize(Decimal("0.01"))
        description = (f"{org.name}主要从事{d.business}。{r.choice(vocab.REASONS)}，现{title}，"
                       f"期望{r.choice(vocab.EXPECTATIONS)}。"
                       + (f"预算约{budget / 10000:.0f}万元。" if budget else "预算面议。"))
        status = "published" if i < len(enterprises) or r.random() < 0.9 else "draft"
        out.append(DemoListing(f"d{i + 1:04d}", org.key, "demand", title, description, (), _pick(r, DEMAND_MODES),
                               None, False, budget, _industry(r, d), d.field,
                               _pick(r, (("pilot", 1), ("mass_production", 1), (None, 2))), org.region,
                               tuple(r.sample(d.tags, 2)), status))
    return out
