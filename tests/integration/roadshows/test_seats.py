"""Capacity and the waitlist under concurrency: serialised on the roadshow's row."""

from __future__ import annotations

import asyncio

from tests.integration.roadshows.conftest import attendees, problem, published_listing, published_roadshow


async def test_hundred_concurrent_registrations_for_twenty_seats(register):
    uni, venue = await register(), await register("venue")
    rs = await published_roadshow(venue, [(await published_listing(uni), 0)], capacity=20)
    crowd = await attendees(register, 100)
    responses = await asyncio.gather(*(o.post(f"/v1/roadshows/{rs['id']}/registrations", {}) for o in crowd))
    assert [r.status for r in responses] == [201] * 100
    answers = [await r.json() for r in responses]
    seated = [a for a in answers if a["status"] == "registered"]
    waiting = sorted((a for a in answers if a["status"] == "waitlisted"), key=lambda a: a["arrival"])
    assert len(seated) == 20 and len(waiting) == 80
    # Arrival order: every seat went to an earlier arrival than every waitlisted one, and
    # the waitlist is numbered 1..80 in arrival order.
    assert sorted(a["arrival"] for a in answers) == list(range(1, 101))
    assert max(a["arrival"] for a in seated) < min(a["arrival"] for a in waiting)
    assert [a["waitlist_position"] for a in waiting] == list(range(1, 81))

    listed = (await (await venue.get(f"/v1/roadshows/{rs['id']}/registrations")).json())["items"]
    assert [x["arrival"] for x in listed] == list(range(1, 101))
    shown = await (await venue.get(f"/v1/roadshows/{rs['id']}")).json()
    assert (shown["seats_taken"], shown["waitlisted"]) == (20, 80)

    # A seated attendee cancels: the head of the waitlist is promoted at once.
    by_org = {o.id: o for o in crowd}
    leaver = seated[0]
    r = await by_org[leaver["org_id"]].post(f"/v1/roadshows/{rs['id']}/registrations/{leaver['id']}/cancel")
    assert r.status == 200 and (await r.json())["status"] == "cancelled"
    head, second = waiting[0], waiting[1]
    mine = (await (await by_org[head["org_id"]].get(f"/v1/roadshows/{rs['id']}/registrations")).json())["items"]
    assert [(x["id"], x["status"], x["waitlist_position"]) for x in mine] == [(head["id"], "registered", None)]
    mine = (await (await by_org[second["org_id"]].get(f"/v1/roadshows/{rs['id']}/registrations")).json())["items"]
    assert [(x["status"], x["waitlist_position"]) for x in mine] == [("waitlisted", 1)]
    shown = await (await venue.get(f"/v1/roadshows/{rs['id']}")).json()
    assert (shown["seats_taken"], shown["waitlisted"]) == (20, 79)

    # A waitlisted one leaving frees no seat; registering twice is refused.
    r = await by_org[second["org_id"]].post(f"/v1/roadshows/{rs['id']}/registrations/{second['id']}/cancel")
    assert r.status == 200
    assert (await (await venue.get(f"/v1/roadshows/{rs['id']}")).json())["seats_taken"] == 20
    again = await problem(await by_org[head["org_id"]].post(f"/v1/roadshows/{rs['id']}/registrations", {}), 409)
    assert again["type"].endswith("already-registered")
