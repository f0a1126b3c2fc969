"""精准推送 at scale: 10,000 subscriptions, a handful of new listings; every matching
enterprise gets each listing exactly once, and no other does. The enterprise answers
with feedback, which its owner sees."""

from __future__ import annotations

import random
import re

from services.runtime.access import Principal
from services.distribution import domain, handlers
from services.distribution.models import SubscriptionCreate
from services.runtime.storage import create_pool
from tests.integration.distribution.conftest import eventually, published

QUERIES = [None, "石墨烯", "固态电池", "光刻胶", "导管", "正极材料", "催化"]
INDUSTRIES = [[], ["C38"], ["C39"], ["C3"], ["C35"]]
REGIONS = [[], ["310000"], ["320000"], ["320500"]]
STAGES = [[], ["pilot"], ["lab"]]
MODES = [[], ["transfer"], ["equity"]]
CJK = re.compile(r"[\u4e00-\u9fff]+")


def bigrams(text: str) -> set[str]:
    out = set()
    for run in CJK.findall(text):
        out |= {run[i:i + 2] for i in range(len(run) - 1)} if len(run) > 1 else {run}
    return out


def oracle(sub: dict, listing: dict) -> bool:
    """Independent of the code under test: the filter by prefixes, the query by bigrams."""
    flt = sub["filter"]
    region = listing["region"]
    if flt["industries"] and not any(listing["industry"].startswith(p) for p in flt["industries"]):
        return False
    if flt["regions"] and not any(region.startswith(p.rstrip("0")[:max(2, len(p.rstrip("0")))]) for p in flt["regions"]):
        return False
    if flt["stages"] and listing["stage"] not in flt["stages"]:
        return False
    if flt["modes"] and not set(flt["modes"]) & set(listing["modes"]):
        return False
    if sub["query"]:
        texts = [listing["title"], listing["description"], listing["field"] or "", *listing["tags"]]
        texts += [t for p in listing["patents"] for t in (p["title"], p["abstract"])]
        have = set().union(*(bigrams(t) for t in texts))
        return bigrams(sub["query"]) <= have
    return True


async def test_ten_thousand_subscriptions_each_match_pushed_once_and_no_false_push(client, register, settings):
    rng = random.Random(8)
    subs: list[dict] = []
    for i in range(10_000):
        q = rng.choice(QUERIES)
        flt = {"industries": rng.choice(INDUSTRIES), "regions": rng.choice(REGIONS), "stages": rng.choice(STAGES),
               "modes": rng.choice(MODES)}
        if q is None and not any(flt.values()):
            flt["industries"] = ["C38"]
        subs.append({"org": f"org_ent{i % 500:03d}", "filter": flt, "query": q})
    pool = await create_pool(settings, min_size=1, max_size=4)
    try:
        for chunk in (subs[i:i + 1000] for i in range(0, len(subs), 1000)):
            async with pool.acquire() as conn, conn.transaction():
                for s in chunk:
                    me = Principal(org_id=s["org"], kind="enterprise", key_id="k")
                    b = SubscriptionCreate(filter=s["filter"], query=s["query"])
                    await handlers.subscribe(conn, me, b.filter.model_dump(), b.query, b.channel, None)

        ent = await register("enterprise")
        r = await ent.post("/v1/subscriptions", {"query": "固态电池", "channel": "inbox"})
        assert r.status == 201, await r.text()

        uni = await register("institution")
        specs = [dict(title="固态电池电解质专利包", industry="C38", region="310115", stage="pilot"),
                 dict(title="光刻胶配方", industry="C39", region="320500", stage="lab", modes=["equity"]),
                 dict(title="医用导管涂层", industry="C35", region="440300", stage="pilot"),
                 dict(title="石墨烯导热膜", industry="C39", region="320100", stage="pilot", description="含催化工艺"),
                 dict(title="氢能催化剂", industry="C26", region="110000", stage="lab")]
        listings = [await published(uni, patent={"title": "一种材料", "abstract": "本发明公开了一种材料。"}, **s)
                    for s in specs]

        async def all_matched():
            async with pool.acquire() as conn:
                n = await conn.fetchval("SELECT count(*) FROM distribution.match_jobs WHERE done_at IS NOT NULL")
            return n == len(listings)

        await eventually(all_matched, timeout=40, interval=0.2)
        async with pool.acquire() as conn:
            pushed = await conn.fetch("SELECT org_id, listing_id FROM distribution.pushes")
    finally:
        await pool.close()

    got = [(r["org_id"], r["listing_id"]) for r in pushed]
    assert len(got) == len(set(got))  # once per enterprise and listing
    expected = {(s["org"], lst["listing_id"]) for s in subs for lst in listings if oracle(s, lst)}
    expected |= {(ent.id, listings[0]["listing_id"])}
    assert len(expected) > 500  # the test means something
    assert set(got) == expected  # every match, and no false push

    r = await ent.get("/v1/inbox?unread=true")
    items = (await r.json())["items"]
    assert [i["listing_id"] for i in items] == [listings[0]["listing_id"]]
    r = await ent.post(f"/v1/inbox/{items[0]['id']}/read")
    assert (await r.json())["read_at"] is not None
    r = await ent.post(f"/v1/inbox/{items[0]['id']}/feedback", {"interest_level": 4, "cooperation": "licence"})
    assert r.status == 201, await r.text()
    r = await uni.get(f"/v1/listings/{listings[0]['listing_id']}/push-feedback")
    fb = (await r.json())["items"]
    assert [(f["from_org_id"], f["interest_level"], f["cooperation"]) for f in fb] == [(ent.id, 4, "licence")]
    r = await ent.get(f"/v1/listings/{listings[0]['listing_id']}/push-feedback")
    assert r.status == 403
    assert domain.Filter.of({"regions": ["310000"]}).regions == ("31",)
