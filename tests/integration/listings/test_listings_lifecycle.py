async def test_registers_a_patent_with_derived_expiry(register):
    uni = await register()
    p = await uni.patent(number="202310123456.6", filing_date="2023-01-10", grant_date="2024-06-01")
    assert p["number"] == "202310123456.6"
    assert p["expires_on"] == "2043-01-10"
    assert p["ipc"] == ["H01M 4/525", "H01M 10/0525"]


async def test_draft_publish_withdraw(register):
    uni = await register()
    p = await uni.patent()
    listing = await uni.supply([p["patent_id"]])
    assert listing["status"] == "draft"
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/publish")
    assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "published"
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/withdraw")
    assert (await r.json())["status"] == "withdrawn"
    r = await uni.post(f"/v1/listings/{listing['listing_id']}/publish")
    assert r.status == 409
