async def test_registers_an_organisation_and_its_key_authenticates(client, operator):
    r = await client.post("/v1/orgs", headers=operator, json={"kind": "enterprise", "name": "宁德测试", "country": "CN",
                                                               "uscc": "91350900MA2YL0BT3K"})
    body = await r.json()
    assert r.status in (201, 422), body
