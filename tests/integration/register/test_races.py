"""Rules that span contexts, decided by the patent register in one transaction: two
conflicting requests released together never both win, and every service's view
agrees with the register afterwards. 50 trials of each race.

Each trial accepts either order of winning — which request the register sees first is
up to the scheduler, and either is a correct outcome — but exactly one wins, the other
is refused naming the rule that refused it, and the register's state matches the winner.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer

from events.envelope import CloudEvent
from events.schemas.register import PledgeReservationRequested, ReservationRequest
from events.topics import Topic, physical
from tests.integration.register.conftest import (
    auction_body, decided, declaration_body, eventually, kinds, rights, rule_of,
)

TRIALS = 50


async def test_open_licence_declaration_races_an_exclusive_licence_offer(register):
    uni = await register()
    wins = {"declaration": 0, "offer": 0}
    for _ in range(TRIALS):
        p = await uni.patent()
        listing = await uni.supply([p["patent_id"]], modes=["exclusive_licence"])
        declared, published = await asyncio.gather(
            uni.post("/v1/open-licences", declaration_body(p["patent_id"])),
            uni.post(f"/v1/listings/{listing['listing_id']}/publish"))
        d_status, d_body = await decided(uni, declared, "/v1/open-licences")
        if d_status == 201:
            assert published.status == 422 and rule_of(await published.json()) == "open-licence-in-force"
            assert kinds(await rights(uni, p["patent_id"])) == ["open_licence"]
            wins["declaration"] += 1
        else:
            assert published.status == 200, await published.text()
            assert (d_status, rule_of(d_body)) == (422, "exclusive-licence-offered")
            assert kinds(await rights(uni, p["patent_id"])) == ["exclusive_offer"]
            wins["offer"] += 1
    assert sum(wins.values()) == TRIALS


async def test_two_transfer_offers_of_one_patent(register):
    uni = await register()
    for _ in range(TRIALS):
        p = await uni.patent()
        a, b = [await uni.supply([p["patent_id"]]) for _ in range(2)]
        ra, rb = await asyncio.gather(uni.post(f"/v1/listings/{a['listing_id']}/publish"),
                                      uni.post(f"/v1/listings/{b['listing_id']}/publish"))
        assert sorted([ra.status, rb.status]) == [200, 422]
        loser = ra if ra.status == 422 else rb
        assert rule_of(await loser.json()) == "patent-already-offered-for-transfer"
        assert kinds(await rights(uni, p["patent_id"])) == ["transfer_offer"]


async def test_auction_creation_races_the_listing_withdrawal(register):
    uni = await register()
    scheduled = 0
    for _ in range(TRIALS):
        p = await uni.patent()
        listing = await uni.supply([p["patent_id"]])
        lid = listing["listing_id"]
        assert (await uni.post(f"/v1/listings/{lid}/publish")).status == 200
        created, withdrawn = await asyncio.gather(uni.post("/v1/auctions", auction_body(lid)),
                                                  uni.post(f"/v1/listings/{lid}/withdraw"))
        a_status, a_body = await decided(uni, created, "/v1/auctions")
        listing_now = await (await uni.get(f"/v1/listings/{lid}")).json()
        if a_status == 201:
            # The register reserved the lot first: a reserved listing is not withdrawn.
            assert withdrawn.status == 409, await withdrawn.text()
            assert listing_now["status"] == "reserved"
            assert kinds(await rights(uni, p["patent_id"])) == ["auction", "transfer_offer"]
            assert a_body["status"] == "scheduled"
            scheduled += 1
        else:
            assert withdrawn.status == 200, await withdrawn.text()
            assert (a_status, rule_of(a_body)) == (409, "listing-not-published")
            assert listing_now["status"] == "withdrawn"
            assert kinds(await rights(uni, p["patent_id"])) == []
            # The auctions service agrees: its auction was refused, not scheduled.
            r = await uni.get(a_body["instance"])
            assert (await r.json())["status"] == "refused"
    assert 0 <= scheduled <= TRIALS


async def test_pledge_races_a_transfer_offer(register, foreign_events, settings):
    """The pledge is asked for as the financing context will ask (it is not built yet):
    its outcome is read from the register's decision on Kafka."""
    uni, bank = await register(), await register("financier")
    decisions: dict[str, str] = {}
    consumer = AIOKafkaConsumer(physical(Topic.LISTINGS.value, settings.topic_prefix),
                                bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()

    async def collect():
        async for record in consumer:
            event = CloudEvent.from_json(record.value)
            if event.type.startswith("psm.reservation."):
                decisions[event.data["reference_id"]] = event.type.rsplit(".", 2)[-2]

    collector = asyncio.create_task(collect())
    try:
        pledged = 0
        for i in range(TRIALS):
            p = await uni.patent()
            listing = await uni.supply([p["patent_id"]])
            pledge_id = f"plg_{i}_{p['patent_id']}"
            request = PledgeReservationRequested(reservation=ReservationRequest(
                reservation_id="rsv_" + pledge_id, kind="pledge", reference_id=pledge_id, requester_org_id=uni.id,
                patent_ids=[p["patent_id"]], holder_org_id=bank.id))
            _, published = await asyncio.gather(foreign_events("financing", pledge_id, request),
                                                uni.post(f"/v1/listings/{listing['listing_id']}/publish"))
            outcome = await eventually(lambda: asyncio.sleep(0, decisions.get(pledge_id)), timeout=30)
            held = kinds(await rights(uni, p["patent_id"]))
            if outcome == "granted":
                assert published.status == 422 and rule_of(await published.json()) == "pledged-without-pledgee-consent"
                assert held == ["pledge"]
                pledged += 1
            else:
                assert outcome == "refused" and published.status == 200, await published.text()
                assert held == ["transfer_offer"]
        assert 0 <= pledged <= TRIALS
    finally:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
        await consumer.stop()
