"""Acceptances and withdrawal of one declaration are serialised on its row."""

from __future__ import annotations

import asyncio

from tests.integration.licences.conftest import accept, declare


async def test_simultaneous_acceptances_all_get_licences(register):
    uni = await register()
    takers = await asyncio.gather(*(register("enterprise") for _ in range(8)))
    p = await uni.patent()
    d = await declare(uni, p["patent_id"])
    responses = await asyncio.gather(*(accept(t, d["id"]) for t in takers))
    assert [r.status for r in responses] == [201] * len(takers)
    page = await (await uni.get(f"/v1/open-licences/{d['id']}/licences")).json()
    assert sorted(x["licensee_org_id"] for x in page["items"]) == sorted(t.id for t in takers)


async def test_a_withdrawal_racing_an_acceptance_never_leaves_a_licence_after_it(register):
    uni, taker = await register(), await register("enterprise")
    rounds = 100
    patents = []
    for batch in range(0, rounds, 25):
        patents += await asyncio.gather(*(uni.patent() for _ in range(batch, min(batch + 25, rounds))))
    declarations = []
    for batch in range(0, rounds, 25):
        declarations += await asyncio.gather(*(declare(uni, p["patent_id"]) for p in patents[batch:batch + 25]))

    async def race(d: dict) -> tuple[int, int, dict]:
        accepted, withdrawn = await asyncio.gather(
            accept(taker, d["id"]), uni.post(f"/v1/open-licences/{d['id']}/withdraw", {}))
        return accepted.status, withdrawn.status, await accepted.json()

    outcomes = []
    for batch in range(0, rounds, 20):
        outcomes += await asyncio.gather(*(race(d) for d in declarations[batch:batch + 20]))

    granted = 0
    for d, (accepted, withdrawn, body) in zip(declarations, outcomes, strict=True):
        assert withdrawn == 200
        after = await (await uni.get(f"/v1/open-licences/{d['id']}")).json()
        licences = (await (await uni.get(f"/v1/open-licences/{d['id']}/licences")).json())["items"]
        if accepted == 201:
            granted += 1
            [lic] = licences
            # Granted under the declaration's lock before the withdrawal took it.
            assert lic["id"] == body["id"] and lic["created_at"] < after["withdrawn_at"]
        else:
            assert (accepted, body["type"].rsplit("/", 1)[1]) == (409, "open-licence-withdrawn")
            assert licences == []
    print(f"{granted}/{rounds} acceptances won the race")
