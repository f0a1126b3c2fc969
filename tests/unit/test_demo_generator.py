"""The demo data set: deterministic, realistic, and valid by the services' own rules."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from services.tools.demo import vocabulary
from services.tools.demo.generator import generate
from services.listings import domain
from services.platform.domain import validate_new_org

TODAY = date(2026, 11, 25)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def data():
    return generate(today=TODAY)


def register_entry(p, today=TODAY):
    return domain.validate_patent(number=p.number, title=p.title, abstract=p.abstract, kind=p.kind, ipc=list(p.ipc),
                                  applicants=list(p.applicants), inventors=list(p.inventors),
                                  filing_date=p.filing_date, grant_date=p.grant_date, legal_status=p.legal_status,
                                  today=today)


def test_the_same_seed_gives_the_same_data():
    assert generate(seed=7, patents=300, today=TODAY) == generate(seed=7, patents=300, today=TODAY)


def test_another_seed_gives_other_data():
    a, b = generate(seed=7, patents=300, today=TODAY), generate(seed=8, patents=300, today=TODAY)
    assert [p.title for p in a.patents] != [p.title for p in b.patents]
    assert [o.uscc for o in a.orgs] != [o.uscc for o in b.orgs]


def test_meets_the_minimum_counts(data):
    kinds = Counter(o.kind for o in data.orgs)
    owners = {p.owner for p in data.patents}
    assert kinds["venue"] == 2
    assert kinds["institution"] >= 40 and len(owners) >= 40
    assert {o.sub_kind for o in data.orgs if o.kind == "institution"} == {"university", "research_institute", "hospital"}
    assert kinds["enterprise"] >= 20
    assert len(data.patents) == 2000
    listings = Counter((x.kind, x.status) for x in data.listings)
    assert 200 <= sum(n for (k, _), n in listings.items() if k == "supply") <= 500
    assert listings[("supply", "published")] > listings[("supply", "draft")] > 0
    assert sum(n for (k, _), n in listings.items() if k == "demand") == 100


def test_the_register_size_is_a_parameter():
    assert len(generate(patents=100, today=TODAY).patents) == 100


def test_every_organisation_has_a_valid_unique_uscc(data):
    for o in data.orgs:
        validate_new_org(o.kind, o.sub_kind, o.name, "CN", o.uscc)  # raises on a bad check character
    assert len({o.uscc for o in data.orgs}) == len(data.orgs)
    assert all(o.uscc.startswith("12") for o in data.orgs if o.kind == "institution")  # 事业单位
    assert all(o.uscc.startswith("91") for o in data.orgs if o.kind == "enterprise")  # 企业
    assert all(o.uscc[2:8] == o.region for o in data.orgs)


def test_every_patent_passes_the_register_rules(data):
    for p in data.patents:
        facts = register_entry(p)
        assert facts.number == p.number and facts.ipc == list(p.ipc)


def test_numbers_are_unique_and_match_kind_and_filing_year(data):
    assert len({p.number for p in data.patents}) == len(data.patents)
    for p in data.patents:
        parsed = domain.parse_application_number(p.number)
        assert domain.TYPE_TO_KIND[parsed.type_digit] == p.kind
        assert parsed.year == p.filing_date.year


def test_dates_and_legal_status_are_plausible(data):
    assert all(date(2008, 1, 1) <= p.filing_date <= date(2024, 12, 31) for p in data.patents)
    assert all(p.grant_date is None or p.grant_date > p.filing_date for p in data.patents)
    statuses = Counter(p.legal_status for p in data.patents)
    assert statuses["granted"] > 0.7 * len(data.patents)
    assert statuses["pending"] > 0 and statuses["lapsed"] > 0
    assert {p.kind for p in data.patents} == {"invention", "utility_model"}


@pytest.mark.parametrize("today", [date(2025, 1, 2), date(2031, 7, 1)])
def test_stays_valid_as_the_register_ages(today):
    aged = generate(patents=400, today=today)
    for p in aged.patents:
        register_entry(p, today)
    for x in aged.listings:
        assert all(p.legal_status in ("granted", "pending") for p in aged.patents if p.key in x.patents)


def test_titles_are_chinese_and_varied(data):
    titles = [p.title for p in data.patents]
    assert all(CJK.search(t) for t in titles)
    assert len(set(titles)) >= 1500
    assert len({p.abstract for p in data.patents}) == len(data.patents)
    assert all(2 <= p.abstract.count("。") <= 3 for p in data.patents)
    assert all(len(p.inventors) >= 2 and all(CJK.fullmatch(c) for n in p.inventors for c in n) for p in data.patents)


def test_patents_span_many_classes_and_domains(data):
    assert len({p.ipc[0][:4] for p in data.patents}) >= 40
    assert {p.domain for p in data.patents} == {d.key for d in vocabulary.DOMAINS}


def test_listings_obey_the_market_rules(data):
    patents = {p.key: p for p in data.patents}
    offered = [k for x in data.listings for k in x.patents]
    assert len(offered) == len(set(offered))  # at most one listing per patent, so no transfer clash
    for x in data.listings:
        assert not domain.check_codes(industry=x.industry, region=x.region)
        assert not domain.check_terms(kind=x.kind, modes=list(x.modes), price=x.price, negotiable=x.negotiable,
                                      patent_count=len(x.patents))
        assert all(patents[k].owner == x.owner and patents[k].legal_status in ("granted", "pending")
                   for k in x.patents)
        for money in (x.price, x.budget):
            assert money is None or (isinstance(money, Decimal) and money.as_tuple().exponent == -2 and money > 0)


def test_listings_are_classified_by_their_domain(data):
    patents = {p.key: p for p in data.patents}
    for x in data.listings:
        if x.kind == "supply":
            d = vocabulary.BY_KEY[patents[x.patents[0]].domain]
            assert x.industry in d.industries and x.field == d.field
    regions = Counter(x.region[:2] for x in data.listings)
    assert regions["31"] > sum(regions.values()) / 2  # mostly Shanghai


def test_shows_search_and_matching(data):
    published = [x for x in data.listings if x.status == "published"]
    assert any(x.kind == "supply" and "锂离子电池正极材料" in x.title for x in published)
    assert any(x.kind == "demand" and x.title == "寻求动力电池快充技术" for x in published)
    assert any(x.kind == "supply" and "快速充电" in x.title for x in published)


def test_some_listings_go_through_a_mandated_venue(data):
    orgs = {o.key: o for o in data.orgs}
    via = [x for x in data.listings if x.via]
    assert via and all(x.via in orgs[x.owner].mandates and orgs[x.via].kind == "venue" for x in via)


def test_two_years_of_deals_growing_year_on_year(data):
    deals = data.deals
    assert len(deals) >= 150
    assert all(date(TODAY.year - 2, TODAY.month, 1) <= d.paid_on < TODAY for d in deals)
    patents = {p.key: p for p in data.patents}
    listed = {k for x in data.listings for k in x.patents}
    assert all(patents[d.patent].owner == d.owner and d.patent not in listed for d in deals)
    assert len({d.patent for d in deals}) == len(deals)  # a patent changes hands once
    first = sum(1 for d in deals if (TODAY - d.paid_on).days > 365)
    assert len(deals) - first > first  # the later year has more deals than the earlier one
    assert {d.kind for d in deals} == {"transfer", "exclusive_licence", "sole_licence", "ordinary_licence", "equity"}
