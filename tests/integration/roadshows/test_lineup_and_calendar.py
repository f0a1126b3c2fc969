"""The lineup's rules, publishing, rescheduling, the calendar file and the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from tests.integration.roadshows.conftest import (
    START, at, create, eventually, problem, published_listing, published_roadshow, roadshow_body,
)


async def test_refuses_overlapping_slots_and_listings_off_the_market(register):
    uni, venue = await register(), await register("venue")
    a, b = await published_listing(uni), await published_listing(uni)
    # Explicit ends: slot 0 runs 0–60, slot 1 starts at 30.
    body = roadshow_body([(a, 0), (b, 30)])
    body["lineup"][0]["slot_ends_at"] = at(60)
    err = await create(venue, body, expect=422)
    assert err["errors"] == [{"field": "lineup.1.slot_starts_at", "message": err["errors"][0]["message"]}]
    assert "overlaps lineup.0" in err["errors"][0]["message"]
    # Two slots at the same moment overlap too; a slot outside the roadshow is refused.
    err = await problem(await venue.post("/v1/roadshows", roadshow_body([(a, 0), (b, 0)])), 422)
    assert "overlaps" in err["detail"]
    err = await problem(await venue.post("/v1/roadshows", roadshow_body([(a, 0), (b, 200)])), 422)
    assert [e["field"] for e in err["errors"]] == ["lineup.1.slot_starts_at"]

    # A draft listing never reaches roadshows; a withdrawn one is refused by name.
    p = await uni.patent()
    draft = (await uni.supply([p["patent_id"]]))["listing_id"]
    err = await problem(await venue.post("/v1/roadshows", roadshow_body([(draft, 0)])), 422)
    assert err["errors"][0]["field"] == "lineup.0.listing_id"
    gone = await published_listing(uni)
    assert (await uni.post(f"/v1/listings/{gone}/withdraw")).status == 200

    async def refused_as_withdrawn():
        r = await venue.post("/v1/roadshows", roadshow_body([(gone, 0)]))
        data = await r.json()
        return r.status == 422 and "is withdrawn" in data["errors"][0]["message"] and data

    await eventually(refused_as_withdrawn, timeout=8)
    # Only venues (and the operator) organise; an enterprise is refused.
    ent = await register("enterprise")
    await problem(await ent.post("/v1/roadshows", roadshow_body([(a, 0)])), 403)


async def test_calendar_parses_with_the_right_utc_times_and_follows_a_reschedule(client, register):
    uni, venue = await register(), await register("venue")
    a, b = await published_listing(uni, title="高镍正极材料, 第一代; 转让"), await published_listing(uni)
    draft = await create(venue, roadshow_body([(a, 0), (b, 45)], title="新能源路演, 第1场; 上海\\浦东"))
    assert (await client.get(f"/v1/roadshows/{draft['id']}.ics")).status == 404  # drafts are not public
    rs = await (await venue.post(f"/v1/roadshows/{draft['id']}/publish")).json()
    assert rs["status"] == "published"
    # A slot without an end runs until the next one starts (the last: until the roadshow ends).
    assert [datetime.fromisoformat(s["slot_ends_at"]) for s in rs["lineup"]] == [
        START + timedelta(minutes=45), START + timedelta(minutes=180)]

    r = await client.get(f"/v1/roadshows/{rs['id']}.ics")
    assert r.status == 200 and r.content_type == "text/calendar"
    cal = icalendar.Calendar.from_ical(await r.text())
    [event] = cal.walk("VEVENT")
    assert event["DTSTART"].dt == START and event["DTEND"].dt == START + timedelta(minutes=180)
    assert event["DTSTART"].dt.tzinfo is not None and event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert str(event["SUMMARY"]) == "新能源路演, 第1场; 上海\\浦东"  # escaped on the wire, intact when parsed
    assert str(event["LOCATION"]) == "上海市徐汇区, 漕河泾; 3号楼"
    assert "高镍正极材料, 第一代; 转让" in str(event["DESCRIPTION"])
    assert str(event["UID"]) == f"{rs['id']}@psm.roadshows" and event["DTSTAMP"].dt.tzinfo is not None
    assert str(event["STATUS"]) == "CONFIRMED"
    raw = await r.text()
    assert "SUMMARY:新能源路演\\, 第1场\\; 上海\\\\浦东\r\n" in raw and raw.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    sequence = int(event["SEQUENCE"])

    # Rescheduled a day later: the slots move with it, and the calendar follows.
    later = START + timedelta(days=1)
    r = await venue.post(f"/v1/roadshows/{rs['id']}/reschedule",
                         {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=3)).isoformat()})
    assert r.status == 200, await r.text()
    moved = await r.json()
    assert [datetime.fromisoformat(s["slot_starts_at"]) for s in moved["lineup"]] == [later, later + timedelta(minutes=45)]
    [event] = icalendar.Calendar.from_ical(await (await client.get(f"/v1/roadshows/{rs['id']}.ics")).text()).walk("VEVENT")
    assert event["DTSTART"].dt == later and int(event["SEQUENCE"]) > sequence
    # Cancelled: calendars are told to drop it.
    assert (await venue.post(f"/v1/roadshows/{rs['id']}/cancel", {"reason": "场地调整"})).status == 200
    [event] = icalendar.Calendar.from_ical(await (await client.get(f"/v1/roadshows/{rs['id']}.ics")).text()).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    await problem(await venue.post(f"/v1/roadshows/{rs['id']}/cancel", {}), 409)


async def test_published_roadshow_is_in_the_catalogue_and_on_its_listings(register):
    uni, venue, ent = await register(), await register("venue"), await register("enterprise")
    a = await published_listing(uni, title="固态电解质膜专利许可")
    rs = await published_roadshow(venue, [(a, 30)], title="固态电池专题路演")

    async def found():
        r = await ent.get("/v1/catalogue/search", params={"type": "roadshow", "q": "固态电池"})
        assert r.status == 200, await r.text()
        return [i for i in (await r.json())["items"] if i["id"] == rs["id"]]

    [item] = await eventually(found, timeout=8)
    assert item["type"] == "roadshow" and item["status"] == "published" and item["owner_org_id"] == venue.id
    assert item["roadshow"]["listing_ids"] == [a] and item["roadshow"]["mode"] == "hybrid"
    assert datetime.fromisoformat(item["roadshow"]["starts_at"]) == START
    assert datetime.fromisoformat(item["roadshow"]["slots"][0]["slot_starts_at"]) == START + timedelta(minutes=30)

    r = await ent.get(f"/v1/listings/{a}/roadshows")
    [slot] = (await r.json())["items"]
    assert slot["roadshow_id"] == rs["id"]
    assert slot["label"] == f"in roadshow on {(START + timedelta(minutes=30)).astimezone(UTC).date().isoformat()}"

    # Cancelled: out of the default search.
    assert (await venue.post(f"/v1/roadshows/{rs['id']}/cancel", {})).status == 200

    async def gone():
        return not await found()

    await eventually(gone, timeout=8)
    assert (await (await ent.get(f"/v1/listings/{a}/roadshows")).json())["items"] == []
