"""A seeded, deterministic demo market: organisations, a patent register, supply and
demand listings. Pure: no I/O, no clock (``today`` is an argument), no global random
state; the same ``(seed, patents, today)`` always gives the same data.

What it yields passes the same rules the API applies: USCCs carry their GB 32100-2015
check character, application numbers their check digit, a number's type digit matches
the patent's kind and its year the filing year, grant dates follow filing dates, and
only patents in force are offered.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, timedelta

from services.tools.demo import organisations as orgs_table
from services.tools.demo import vocabulary as vocab
from services.tools.demo.history import make_deals
from services.tools.demo.market import make_demands, make_supply
from services.tools.demo.model import DemoData, DemoOrg, DemoPatent
from services.listings.domain import application_check_char, expiry_of, normalize_ipc
from services.platform.domain import uscc_check_char

DEFAULT_SEED = 20240607  # 沪府办发〔2024〕7号
DEFAULT_PATENTS = 2000

# Placeholders in vocabulary phrases that are numbers, each drawn once per patent.
NUMBERS: dict[str, Callable[[random.Random], str]] = {
    "p": lambda r: str(r.randint(85, 99)),
    "q": lambda r: str(r.randint(85, 99)),
    "k": lambda r: str(r.randint(10, 60)),
    "d": lambda r: str(r.randint(1, 5)),
    "n": lambda r: str(r.choice((500, 800, 1000, 1500, 2000, 3000))),
    "h": lambda r: str(r.choice((500, 1000, 2000, 3000, 5000))),
    "x": lambda r: f"{r.uniform(1.5, 4.5):.1f}",
    "e": lambda r: f"{r.uniform(21.5, 26.8):.1f}",
    "mv": lambda r: str(r.randint(160, 320)),
    "kv": lambda r: str(r.choice((650, 1200, 1700, 3300))),
    "mpa": lambda r: str(r.randint(60, 180)),
    "mpa2": lambda r: str(r.randint(45, 150) * 10),
    "loi": lambda r: str(r.randint(28, 36)),
    "cn": lambda r: f"{r.uniform(4.5, 8.5):.1f}",
    "elong": lambda r: str(r.randint(8, 25)),
    "temp": lambda r: str(r.randint(15, 30) * 10),
    "htemp": lambda r: str(r.randint(65, 105) * 10),
    "kw": lambda r: str(r.randint(1, 20)),
    "dist": lambda r: str(r.randint(15, 50) * 10),
    "mah": lambda r: str(r.randint(35, 150) * 10),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# The demo's search and matching story: these exist whatever the seed.
FEATURED_PATENTS = (  # owner, domain, topic, title template, fixed slots
    ("fudan", "battery", "cathodes", "一种{mat}及其制备方法", {"mat": "高镍三元锂离子电池正极材料"}),
    ("sjtu", "battery", "bms", "一种基于{tech}的{method}", {"tech": "深度学习", "method": "动力电池快速充电方法"}),
    ("tsinghua", "battery", "cathodes", "一种{mat}的{treat}方法", {"mat": "锂离子电池正极材料", "treat": "表面包覆"}),
)


def generate(*, today: date, seed: int = DEFAULT_SEED, patents: int = DEFAULT_PATENTS) -> DemoData:
    r = random.Random(seed)
    codes: set[str] = set()
    venues = [DemoOrg(key, "venue", None, name, _uscc(r, "91", region, codes), region)
              for key, name, region in orgs_table.VENUES]
    institutions = [DemoOrg(i.key, "institution", i.sub_kind, i.name, _uscc(r, "12", i.region, codes), i.region,
                            i.domains, _mandates(r, [v.key for v in venues]))
                    for i in orgs_table.INSTITUTIONS]
    enterprises = _enterprises(r, codes)
    register = _register(r, patents, institutions, enterprises, today)
    by_key = {o.key: o for o in [*institutions, *enterprises]}
    supply = make_supply(r, register, by_key)
    demands = make_demands(r, enterprises, max(len(enterprises) // 5, patents // 20))
    deals = make_deals(r, register, supply, enterprises, today)
    return DemoData(tuple([*venues, *institutions, *enterprises]), tuple(register), tuple(supply + demands),
                    tuple(deals))


# -- organisations -----------------------------------------------------------------------
def _uscc(r: random.Random, prefix: str, region: str, taken: set[str]) -> str:
    """``prefix`` (registration authority + kind: 12 public institution, 91 company), the
    seat's division code, a GB 11714 organisation code, then the GB 32100 check character."""
    while True:
        body = "".join(str(r.randint(0, 9)) for _ in range(8))
        check = 11 - sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
        first17 = prefix + region + body + {10: "X", 11: "0"}.get(check, str(check))
        code = first17 + uscc_check_char(first17)
        if code not in taken:
            taken.add(code)
            return code


def _mandates(r: random.Random, venues: list[str]) -> tuple[str, ...]:
    roll = r.random()
    if roll < 0.45:
        return (venues[0],)
    if roll < 0.65:
        return tuple(venues)
    if roll < 0.75:
        return (venues[1],)
    return ()


def _enterprises(r: random.Random, codes: set[str]) -> list[DemoOrg]:
    brands = [a + b for a in orgs_table.BRAND_FIRST for b in orgs_table.BRAND_SECOND]
    r.shuffle(brands)
    out = []
    for i, domain_key in enumerate(orgs_table.ENTERPRISE_DOMAINS):
        city, region = orgs_table.ENTERPRISE_CITIES[0 if i == 0 else r.randrange(len(orgs_table.ENTERPRISE_CITIES))]
        word = r.choice(vocab.BY_KEY[domain_key].enterprise_words)
        suffix = "股份有限公司" if r.random() < 0.3 else "有限公司"
        out.append(DemoOrg(f"ent{i + 1:02d}", "enterprise", None, f"{city}{brands[i]}{word}{suffix}",
                           _uscc(r, "91", region, codes), region, (domain_key,)))
    return out


def _person(r: random.Random) -> str:
    # Common surnames are drawn more often (the first third of the list carries half the weight).
    surnames = orgs_table.SURNAMES
    surname = r.choice(surnames[: len(surnames) // 3] if r.random() < 0.5 else surnames)
    given = "".join(r.choice(orgs_table.GIVEN) for _ in range(1 if r.random() < 0.35 else 2))
    return surname + given


# -- the register ------------------------------------------------------------------------
def _shares(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` by ``weights`` (largest remainder), deterministically."""
    raw = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _register(r: random.Random, total: int, institutions: list[DemoOrg], enterprises: list[DemoOrg],
              today: date) -> list[DemoPatent]:
    weights = {i.key: i.weight for i in orgs_table.INSTITUTIONS}
    featured = list(FEATURED_PATENTS[:total])
    counts = _shares(total - len(featured), [weights[o.key] for o in institutions])
    numbers: set[str] = set()
    titles: set[str] = set()
    out: list[DemoPatent] = []
    for org, count in zip(institutions, counts):
        team = [_person(r) for _ in range(12)]  # the lab's senior members reappear across its patents
        plan = [(f[1], f[2], f[3], f[4]) for f in featured if f[0] == org.key]
        for _ in range(count):
            domain_key = r.choices(org.domains, weights=[1 / (i + 1) for i in range(len(org.domains))])[0]
            plan.append((domain_key, r.choice(vocab.BY_KEY[domain_key].topics).key, None, {}))
        for domain_key, topic_key, template, fixed in plan:
            d = vocab.BY_KEY[domain_key]
            t = next(t for t in d.topics if t.key == topic_key)
            out.append(_patent(r, f"p{len(out) + 1:05d}", org, d, t, template, dict(fixed), team, enterprises,
                                institutions, numbers, titles, today, featured=template is not None))
    return out


def _fill(r: random.Random, template: str, topic: vocab.Topic, chosen: dict[str, str]) -> str:
    def value(m: re.Match) -> str:
        name = m.group(1)
        if name not in chosen:
            chosen[name] = r.choice(topic.slots[name]) if name in topic.slots else NUMBERS[name](r)
        return chosen[name]

    return _PLACEHOLDER.sub(value, template)


def _patent(r: random.Random, key: str, org: DemoOrg, d: vocab.Domain, t: vocab.Topic, template: str | None,
            chosen: dict[str, str], team: list[str], enterprises: list[DemoOrg], institutions: list[DemoOrg],
            numbers: set[str], titles: set[str], today: date, *, featured: bool) -> DemoPatent:
    utility = template is None and bool(t.utility) and r.random() < (0.45 if org.sub_kind == "hospital" else 0.3)
    kind = "utility_model" if utility else "invention"
    # Titles are drawn again (a few times) when taken: real registers rarely repeat one.
    for _ in range(30):
        attempt = dict(chosen)
        title = _fill(r, template or r.choice(t.utility if utility else t.inventions), t, attempt)
        if title not in titles:
            break
    titles.add(title)
    abstract = _abstract(r, title, t, d, attempt, utility)
    filing, grant, status = _dates(r, kind, today, featured)
    number = _number(r, filing.year, "2" if utility else "1", numbers)
    ipc = [t.ipc[0] if featured else r.choice(t.ipc)]
    ipc += [s for s in r.sample(t.ipc, r.randint(0, 2)) if s not in ipc]
    applicants = [org.name]
    if r.random() < 0.12:
        partners = [e for e in enterprises if d.key in e.domains] or [
            o for o in institutions if o.key != org.key and d.key in o.domains]
        if partners:
            applicants.append(r.choice(partners).name)
    inventors = [r.choice(team)]
    size = r.randint(2, 7)
    while len(inventors) < size:
        name = r.choice(team) if r.random() < 0.3 else _person(r)
        if name not in inventors:
            inventors.append(name)
    return DemoPatent(key, org.key, d.key, t.key, number, title, abstract, kind,
                      tuple(normalize_ipc(s) for s in ipc), tuple(applicants), tuple(inventors), filing, grant, status,
                      featured)


def _abstract(r: random.Random, title: str, t: vocab.Topic, d: vocab.Domain, chosen: dict[str, str],
              utility: bool) -> str:
    chosen.update(title=title, app=r.choice(d.apps))
    if utility:
        parts = r.sample(t.parts, 3)
        chosen.update(p1=parts[0], p2=parts[1], p3=parts[2])
        sentences = [vocab.UTILITY_OPENING, r.choice(vocab.UTILITY_LINKS) + "。",
                     "本实用新型" + r.choice(vocab.UTILITY_BENEFITS) + "，适用于{app}。"]
    else:
        chosen["result"] = _fill(r, r.choice(t.result), t, chosen)
        sentences = [vocab.INVENTION_OPENING, "本发明" + r.choice(t.how) + "，" + r.choice(t.gain) + "。"]
        if r.random() < 0.85:
            sentences.append(r.choice(vocab.CLOSINGS))
    return "".join(_fill(r, s, t, chosen) for s in sentences)


def _dates(r: random.Random, kind: str, today: date, featured: bool) -> tuple[date, date | None, str]:
    first = 2016 if kind == "utility_model" else 2008
    last = min(2024, today.year)
    if featured:  # granted long enough ago, and far from the end of its term, to be on offer
        first, last = max(first, today.year - 12), min(last, today.year - 5)
    years = list(range(first, last + 1))
    year = r.choices(years, weights=[1 + 0.35 * (y - first) for y in years])[0]
    filing = min(date(year, 1, 1) + timedelta(days=r.randrange(365)), today)
    lag = r.randint(420, 1300) if kind == "invention" else r.randint(120, 420)
    grant = filing + timedelta(days=lag)
    if grant > today:
        return filing, None, "pending"
    roll = r.random()
    status = "granted" if featured or roll < 0.87 else "lapsed" if roll < 0.98 else "invalidated"
    if status == "granted" and expiry_of(kind, filing) <= today:
        status = "expired"
    return filing, grant, status


def _number(r: random.Random, year: int, type_digit: str, taken: set[str]) -> str:
    top = 1_999_999 if type_digit == "1" else 3_999_999
    while True:
        digits = f"{year}{type_digit}{r.randint(1, top):07d}"
        if digits not in taken:
            taken.add(digits)
            return f"{digits}.{application_check_char(digits)}"
