"""A server process killed in the middle of reservations: after another process starts,
every declaration that was accepted is decided — in force with the register holding it,
or refused with the register holding nothing — and none is left half-granted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from services.tools.demo.identifiers import uscc
from services.runtime.settings import Settings
from tests.integration.auctions.test_replicas import OPERATOR, spawn, stop, wait_ready
from tests.integration.listings.conftest import patent_body
from tests.integration.register.conftest import declaration_body

DECLARATIONS = 12


async def test_a_killed_process_leaves_no_reservation_half_granted(settings: Settings, tmp_path: Path):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        first = spawn(settings, tmp_path / "first.log")
        second = None
        try:
            await wait_ready(http, first)
            async with http.post(f"{first.url}/v1/orgs", headers=OPERATOR, json={
                    "kind": "institution", "sub_kind": "university", "name": "复旦大学", "country": "CN",
                    "uscc": uscc()}) as r:
                assert r.status == 201, await r.text()
                key = (await r.json())["api_key"]
            auth = {"Authorization": f"Bearer {key}"}
            patents = []
            for _ in range(DECLARATIONS):
                async with http.post(f"{first.url}/v1/patents", headers=auth, json=patent_body()) as r:
                    assert r.status == 201, await r.text()
                    patents.append((await r.json())["patent_id"])

            async def declare(patent_id: str) -> int | None:
                try:
                    async with http.post(f"{first.url}/v1/open-licences", headers=auth,
                                         json=declaration_body(patent_id)) as r:
                        return r.status
                except aiohttp.ClientError:
                    return None  # the process died under it

            sent = [asyncio.create_task(declare(p)) for p in patents]
            await asyncio.sleep(0.15)
            first.process.send_signal(signal.SIGKILL)
            answers = await asyncio.gather(*sent)

            second = spawn(settings, tmp_path / "second.log")
            await wait_ready(http, second)
            decided = 0
            for patent_id, answer in zip(patents, answers):
                async with http.get(f"{second.url}/v1/open-licences", headers=auth,
                                    params={"patent_id": patent_id, "status": "refused"}) as r:
                    refused = (await r.json())["items"]

                async def settled(pid: str = patent_id) -> list[dict]:
                    for _ in range(200):
                        async with http.get(f"{second.url}/v1/open-licences", headers=auth,
                                            params={"patent_id": pid}) as r:
                            items = (await r.json())["items"]
                        if all(d["status"] != "pending" for d in items):
                            return items
                        await asyncio.sleep(0.1)
                    raise AssertionError(f"a declaration of {pid} stayed pending after the restart")

                listed = await settled()
                async with http.get(f"{second.url}/v1/patents/{patent_id}", headers=auth) as r:
                    held = [e for e in (await r.json())["encumbrances"] if e["kind"] == "open_licence"]
                in_force = [d for d in listed if d["status"] == "in_force"]
                # The register and the licences service agree, declaration by declaration.
                assert [e["reference_id"] for e in held] == [d["id"] for d in in_force]
                if answer == 201:
                    assert len(in_force) == 1  # what was answered 201 is in force
                if answer is None and not listed and not refused:
                    continue  # never committed: nothing was accepted, nothing is held
                decided += len(in_force) + len(refused)
            assert decided >= sum(1 for a in answers if a in (201, 202))
        finally:
            for r in (first, second):
                if r is not None and r.process.poll() is None:
                    await stop(r)
