"""Rebuilding the catalogue from the events with zero downtime."""

from __future__ import annotations

import asyncio

from catalogue_helpers import ids

from search.indices import indices_behind
from search.mappings import read_alias
from search.rebuild import rebuild
from services.runtime.http.state import DB, ES, SETTINGS


async def test_rebuild_swaps_the_alias_while_search_keeps_answering(client, register):
    uni = await register()
    settings, es = client.app[SETTINGS], client.app[ES]
    alias = read_alias(settings.index_prefix)
    kept = [await uni.supply(), await uni.supply()]
    gone = await uni.supply()
    await uni.withdraw(gone)
    await uni.search_until(lambda r: sorted(ids(r)) == sorted(kept) and r["items"][0]["owner_kind"])
    await uni.search_until(lambda r: ids(r) == [gone], status="withdrawn")
    [before] = await indices_behind(es, alias)

    answers: list[tuple[int, int]] = []
    done = asyncio.Event()

    async def keep_searching() -> None:
        while not done.is_set():
            r = await client.get("/v1/catalogue/search", headers=uni.headers)
            answers.append((r.status, (await r.json())["total"] if r.status == 200 else -1))
            await asyncio.sleep(0.01)

    searching = asyncio.create_task(keep_searching())
    try:
        # Published while the rebuild runs: the live indexer or the replay must bring it.
        during = asyncio.create_task(uni.supply())
        report = await rebuild(settings, pool=client.app[DB], es=es)
        kept.append(await during)
    finally:
        done.set()
        await searching

    assert report.old_indices == [before] and report.new_index != before
    assert report.events_replayed > 0 and report.documents >= 3
    assert await indices_behind(es, alias) == [report.new_index]
    assert not await es.indices.exists(index=before)
    assert answers and [a for a in answers if a[0] != 200 or a[1] < 2] == []
    await uni.search_until(lambda r: sorted(ids(r)) == sorted(kept))
    assert ids(await uni.search(status="withdrawn")) == [gone]
    # The live indexer now writes to the new index alone.
    await uni.withdraw(kept[0])
    await uni.search_until(lambda r: sorted(ids(r)) == sorted(kept[1:]))
