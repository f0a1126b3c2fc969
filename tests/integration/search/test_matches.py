"""Supply ↔ demand matching through the catalogue (GET /v1/listings/{id}/matches)."""

from __future__ import annotations

from catalogue_helpers import ids


async def test_matches_rank_the_right_demand_first_with_reasons(register):
    uni = await register()
    firm = await register("enterprise")
    supply = await uni.supply(title="高镍三元锂离子电池正极材料专利", industry="C38", region="310000")
    right = await firm.demand(title="求购锂离子电池正极材料技术", description="需要高镍三元正极材料的量产工艺",
                              industry="C38", region="310000")
    nearby = await firm.demand(title="求购电池管理系统软件", description="电动汽车电池管理", industry="C38",
                               region="320000")
    unrelated = await firm.demand(title="求购中药提取工艺", description="黄芪多糖提取纯化", industry="C27",
                                  region="310000")
    await uni.search_until(lambda r: r["total"] == 4)
    result = await uni.call("GET", f"/v1/listings/{supply}/matches")
    ranked = ids(result)
    assert ranked[0] == right
    assert unrelated not in ranked
    assert ranked.index(right) < ranked.index(nearby)
    reasons = result["items"][0]["reasons"]
    assert "same industry C38" in reasons and "text similarity" in reasons and "same province 310000" in reasons
    assert "price 880000.00 within budget 1000000.00" in reasons
    # And the other way round: the demand finds the supply.
    back = await firm.call("GET", f"/v1/listings/{right}/matches")
    assert ids(back) == [supply]


async def test_a_draft_has_no_matches(register):
    uni = await register()
    draft = await uni.supply(publish=False)
    await uni.call("GET", f"/v1/listings/{draft}/matches", expect=404)
