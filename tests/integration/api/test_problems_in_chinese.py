"""Accept-Language: zh-CN gives every problem's title and detail in Chinese (the rule's
slug unchanged, the English detail kept as detail_en); each problem's type resolves to a
page explaining its rule in both languages."""

from __future__ import annotations

from tests.integration.licences.conftest import declaration_body
from tests.integration.listings.conftest import register  # noqa: F401

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


async def test_problems_in_chinese_and_their_pages(register, client):  # noqa: F811
    uni = await register()
    r = await uni.get("/v1/listings/lst_nope", headers=ZH)
    body = await r.json()
    assert r.status == 404 and body["title"] == "未找到" and body["detail"].startswith("资源不存在")
    assert body["detail_en"] == "no listing lst_nope" and body["type"] == "/v1/problems/not-found"

    # A rule of the market, in Chinese, naming the law.
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]], modes=["exclusive_licence"])
    assert (await uni.post("/v1/open-licences", declaration_body(p["patent_id"]))).status == 201
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/publish", headers=ZH)
    body = await r.json()
    assert r.status == 422 and body["type"] == "/v1/problems/open-licence-in-force"
    assert body["title"] == "违反规则" and "第五十一条" in body["detail"] and body["errors"][0]["field"] == "modes"

    # English stays the default; an English preference wins over a lower Chinese one.
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/publish",
                       headers={"Accept-Language": "en-GB, zh-CN;q=0.5"})
    assert (await r.json())["title"] == "Rule violated"

    # The type resolves: a page in both languages, no key needed.
    r = await client.get(body["type"])
    page = await r.text()
    assert r.status == 200 and r.content_type == "text/html" and "第五十一条" in page and "art. 51" in page
    r = await client.get(body["type"], headers={"Accept": "application/json"})
    assert (await r.json())["rule"] == "open-licence-in-force"
    r = await client.get("/v1/problems/no-such-rule")
    assert r.status == 404 and r.content_type == "application/problem+json"


async def test_the_asyncapi_document_is_served(client):
    r = await client.get("/v1/asyncapi.json")
    doc = await r.json()
    assert r.status == 200 and doc["asyncapi"] == "3.0.0"
    assert "psm.deal.paid.v1" in {m["name"] for m in doc["components"]["messages"].values()}
    r = await client.get("/v1/openapi.json")
    assert "/v1/asyncapi.json" in (await r.json())["paths"]
