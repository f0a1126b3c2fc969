"""The console's catalogue: search with facets and highlights, suggestions, a listing's
page with its patents and rights; the language switch; the programme office."""

from __future__ import annotations

from tests.e2e.conftest import searchable
from tests.integration.listings.conftest import eventually


async def published(owner, title: str, abstract: str, **listing) -> tuple[str, dict]:
    p = await owner.patent(title=title, abstract=abstract)
    body = {"title": title, **listing}
    listing_ = await owner.supply([p["patent_id"]], **body)
    r = await owner.post(f"/v1/listings/{listing_['listing_id']}/publish")
    assert r.status == 200, await r.text()
    return listing_["listing_id"], p


async def test_search_with_facets_and_open_a_listing(register, browsers):
    uni = await register()
    hit, patent = await published(uni, "一种固态锂电池电解质膜的制备方法", "本发明公开了一种固态锂电池电解质膜，离子电导率高。",
                                  modes=["transfer", "ordinary_licence"], stage="pilot")
    other, _ = await published(uni, "一种锂电池负极极片的涂布装置", "本发明公开了一种负极极片涂布装置，厚度均匀。",
                               modes=["equity"], stage="lab")
    await published(uni, "一种抗肿瘤抗体药物偶联物", "本发明公开了一种抗体药物偶联物。", modes=["transfer"])
    await searchable(uni, "锂电池", hit)
    await searchable(uni, "锂电池", other)

    b = await browsers()
    await b.sign_in(uni.headers["Authorization"].removeprefix("Bearer "))
    await b.go("/?q=锂电池")
    await b.wait_text("[data-test=total]", lambda s: s.startswith("共 2 条"), "two results for 锂电池")
    titles = await b.texts("[data-test=hit] h3")
    assert any("一种固态锂电池电解质膜的制备方法" in t for t in titles), titles
    assert not any("抗体" in t for t in titles), titles
    # The match is highlighted: 锂电池 inside <em> in the hit's title.
    marked = await b.js("return [...document.querySelectorAll('[data-test=hit] em')].map(e => e.textContent)")
    assert "锂电池" in marked, marked
    await b.screenshot("catalogue")

    # A facet narrows the search: the "equity" deal mode leaves the other listing only.
    await b.click("[data-facet=mode] button[data-value=equity]")
    await b.wait_text("[data-test=total]", lambda s: s.startswith("共 1 条"), "one result with mode=equity")
    assert await b.attr("[data-test=hit]", "data-id") == other
    await b.click("[data-facet=mode] button[data-value=equity]")  # off again
    await b.wait_text("[data-test=total]", lambda s: s.startswith("共 2 条"), "both again without the facet")

    # Suggestions as you type: the vocabulary's term 锂电池 comes up for 锂电.
    await b.type("[data-test=q]", "锂电")
    await b.wait_text("[data-test=suggestions]", lambda s: "锂电池" in s, "the suggestion 锂电池 for 锂电")

    # Open the listing: its patent, owner and rights, from the register.
    await b.go(f"/listings/{hit}")
    await b.wait_text("[data-test=listing-title]", lambda s: "固态锂电池电解质膜" in s, "the listing's title")
    await b.wait_text("[data-test=patent]", lambda s: patent["number"] in s, "the patent's number")
    # A transfer offer is an encumbrance the register holds while the listing is published.
    await b.wait_text("[data-test=encumbrances]", lambda s: "转让挂牌" in s, "the transfer offer in the rights")
    await b.screenshot("listing")

    # English on the switch, remembered for the next page.
    await b.click("#lang")
    await b.wait_text("[data-test=nav-catalogue]", lambda s: s == "Catalogue", "the English navigation")
    await b.wait_text("[data-test=encumbrances]", lambda s: "Offered for transfer" in s, "the rights in English")
    await b.go("/")
    await b.wait_text("[data-test=total]", lambda s: s.endswith("results"), "the result count in English")


async def test_the_programme_office_shows_the_markets_numbers_against_the_plan(register, browsers, client, operator):
    uni = await register()
    await published(uni, "一种光伏组件清洗机器人", "本发明公开了一种光伏组件清洗机器人。")
    await published(uni, "一种钙钛矿光伏电池的封装方法", "本发明公开了一种钙钛矿电池封装方法。")

    async def counted():
        r = await client.get("/v1/stats/market", headers=operator)
        market = await r.json()
        return market["patents_registered"] == 2 and market["patents_listed"] == 2

    await eventually(counted, timeout=10)
    b = await browsers()
    await b.sign_in(operator["Authorization"].removeprefix("Bearer "))
    await b.go("/office")
    await b.wait_text("[data-test=kpi-registered]", lambda s: s == "2", "two patents registered")
    assert await b.text("[data-test=kpi-listed]") == "2"
    # One card per year of the plan's targets, each saying whether institutions' growth met +20 %.
    years = await b.js("return [...document.querySelectorAll('[data-test=target]')].map(e => e.dataset.year)")
    assert years and all(y.isdigit() for y in years), years
    await b.screenshot("office")
