"""Roadshow use cases: load, ask the domain, save and record the event in the caller's
transaction.

Everything that changes who holds a seat (registering, cancelling a registration,
rescheduling, cancelling the roadshow) runs under the roadshow's row lock (SELECT … FOR
UPDATE): each sees the seats the previous one left, so capacity is never exceeded and
the waitlist is served in the order registrations took the lock — their arrival order.
Feedback takes the row FOR SHARE, so enterprises do not wait for each other but closing
the report (FOR UPDATE) waits for feedback already being written, and none is accepted
after it.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from events.outbox import Outbox
from events.schemas.roadshows import (
    FeedbackSubmitted, InterestExpressed, LineupSlot, RegistrationCancelled, RegistrationPromoted,
    RegistrationRegistered, RegistrationWaitlisted, RoadshowCancelled, RoadshowPublished, RoadshowReportClosed,
    RoadshowRescheduled, RoadshowScheduled, RoadshowSnapshot,
)
from services.runtime.access import Principal
from services.runtime.errors import Conflict, Forbidden, NotFound
from services.roadshows import domain
from services.roadshows import repository as repo
from services.runtime.clock import now
from services.runtime.ids import new_id

# Every event is keyed by its roadshow (registrations too): one roadshow's facts keep their order.
OUTBOX = Outbox(schema="roadshows", source="/psm/roadshows")


# -- the roadshow's snapshot (its events carry it) ---------------------------------------
async def snapshot(conn: asyncpg.Connection, row: asyncpg.Record) -> RoadshowSnapshot:
    lineup = await repo.lineup_of(conn, row["id"])
    return RoadshowSnapshot(
        roadshow_id=row["id"], organiser_org_id=row["organiser_org_id"], organiser_kind=row["organiser_kind"],
        title=row["title"], description=row["description"], starts_at=row["starts_at"], ends_at=row["ends_at"],
        mode=row["mode"], location=row["location"], stream_url=row["stream_url"], capacity=row["capacity"],
        status=row["status"], lineup=[LineupSlot(listing_id=r["listing_id"], listing_title=r["listing_title"],
                                                 owner_org_id=r["owner_org_id"], slot_starts_at=r["slot_starts_at"],
                                                 slot_ends_at=r["slot_ends_at"]) for r in lineup],
        created_at=row["created_at"], updated_at=row["updated_at"], published_at=row["published_at"],
        cancelled_at=row["cancelled_at"])


# -- loading -----------------------------------------------------------------------------
async def load(conn: asyncpg.Connection, me: Principal | None, roadshow_id: str, *,
               lock: str | None = None) -> asyncpg.Record:
    """A roadshow; a draft only for its organiser (and the operator). ``lock``: UPDATE or SHARE."""
    row = await repo.get_roadshow(conn, roadshow_id, lock=lock)
    if row is None or (row["status"] == "draft" and (me is None or not me.acts_as(row["organiser_org_id"]))):
        raise NotFound(f"no roadshow {roadshow_id}")
    return row


def _require_organiser(me: Principal, row: asyncpg.Record) -> None:
    if not me.acts_as(row["organiser_org_id"]):
        raise Forbidden("only the roadshow's organiser may do this", rule="not-organiser")


async def _plan(conn: asyncpg.Connection, slots: list[domain.SlotIn], starts_at: datetime,
                ends_at: datetime) -> list[domain.Slot]:
    listings = await repo.listings_by_id(conn, [s.listing_id for s in slots])
    return domain.plan_lineup(slots, listings, starts_at=starts_at, ends_at=ends_at)


# -- the roadshow ------------------------------------------------------------------------
async def create(conn: asyncpg.Connection, me: Principal, b: domain.RoadshowPlan) -> asyncpg.Record:
    domain.check_schedule(b.starts_at, b.ends_at, now=now())
    domain.check_venue(b.mode, b.location, b.stream_url)
    slots = await _plan(conn, list(b.lineup), b.starts_at, b.ends_at)
    row = await repo.insert_roadshow(conn, {
        "id": new_id("rs"), "organiser_org_id": me.effective_org_id, "organiser_kind": me.effective_kind,
        "title": b.title, "description": b.description, "starts_at": b.starts_at, "ends_at": b.ends_at,
        "mode": b.mode, "location": b.location, "stream_url": b.stream_url, "capacity": b.capacity,
        "status": "draft"})
    await repo.replace_lineup(conn, row["id"], slots)
    await OUTBOX.record(conn, row["id"], RoadshowScheduled(roadshow=await snapshot(conn, row)))
    return row


async def publish(conn: asyncpg.Connection, me: Principal, roadshow_id: str) -> asyncpg.Record:
    row = await load(conn, me, roadshow_id, lock="UPDATE")
    _require_organiser(me, row)
    domain.check_publish(row["status"], row["ends_at"], now())
    # The lineup is checked again: a listing sold or withdrawn since the draft is not shown.
    current = [domain.SlotIn(r["listing_id"], r["slot_starts_at"], r["slot_ends_at"])
               for r in await repo.lineup_of(conn, roadshow_id)]
    await _plan(conn, current, row["starts_at"], row["ends_at"])
    row = await repo.update_roadshow(conn, roadshow_id, status="published", published_at=now())
    await OUTBOX.record(conn, roadshow_id, RoadshowPublished(roadshow=await snapshot(conn, row)))
    return row


async def reschedule(conn: asyncpg.Connection, me: Principal, roadshow_id: str, starts_at: datetime,
                     ends_at: datetime, lineup: list[domain.SlotIn] | None) -> asyncpg.Record:
    row = await load(conn, me, roadshow_id, lock="UPDATE")
    _require_organiser(me, row)
    domain.check_changeable(row["status"])
    domain.check_schedule(starts_at, ends_at, now=now())
    if lineup is not None:
        wanted = lineup
    else:
        old = await _plan(conn, [domain.SlotIn(r["listing_id"], r["slot_starts_at"], r["slot_ends_at"])
                                 for r in await repo.lineup_of(conn, roadshow_id)], row["starts_at"], row["ends_at"])
        wanted = domain.shift(old, starts_at - row["starts_at"])
    slots = await _plan(conn, wanted, starts_at, ends_at)
    previous = row
    row = await repo.update_roadshow(conn, roadshow_id, starts_at=starts_at, ends_at=ends_at)
    await repo.replace_lineup(conn, roadshow_id, slots)
    await OUTBOX.record(conn, roadshow_id, RoadshowRescheduled(
        roadshow=await snapshot(conn, row), previous_starts_at=previous["starts_at"],
        previous_ends_at=previous["ends_at"], attendee_org_ids=await repo.attendees(conn, roadshow_id)))
    return row


async def cancel(conn: asyncpg.Connection, me: Principal, roadshow_id: str, reason: str | None) -> asyncpg.Record:
    row = await load(conn, me, roadshow_id, lock="UPDATE")
    _require_organiser(me, row)
    domain.check_changeable(row["status"])
    row = await repo.update_roadshow(conn, roadshow_id, status="cancelled", cancelled_at=now())
    await OUTBOX.record(conn, roadshow_id, RoadshowCancelled(
        roadshow=await snapshot(conn, row), reason=reason, attendee_org_ids=await repo.attendees(conn, roadshow_id)))
    return row


# -- seats -------------------------------------------------------------------------------
async def register(conn: asyncpg.Connection, me: Principal, roadshow_id: str) -> asyncpg.Record:
    row = await load(conn, me, roadshow_id, lock="UPDATE")  # serialises every seat decision of this roadshow
    domain.check_open_for_attendees(row["status"])
    org = me.effective_org_id
    if me.is_operator:
        raise Forbidden("an organisation registers itself", rule="registrant-not-self")
    if await repo.live_registration(conn, roadshow_id, org) is not None:
        raise Conflict(f"{org} is already registered (or waitlisted) for this roadshow", rule="already-registered")
    status = domain.seat_for(await repo.count_registered(conn, roadshow_id), row["capacity"])
    arrival = await repo.next_arrival(conn, roadshow_id)
    reg = await repo.insert_registration(conn, new_id("reg"), roadshow_id, org, status, arrival)
    if status == "registered":
        await OUTBOX.record(conn, roadshow_id, RegistrationRegistered(roadshow_id=roadshow_id, registration_id=reg["id"],
                                                                org_id=org, at=reg["created_at"]))
        return reg
    position = await repo.waitlist_position(conn, roadshow_id, arrival)
    await OUTBOX.record(conn, roadshow_id, RegistrationWaitlisted(roadshow_id=roadshow_id, registration_id=reg["id"],
                                                            org_id=org, at=reg["created_at"],
                                                            waitlist_position=position))
    return reg


async def cancel_registration(conn: asyncpg.Connection, me: Principal, roadshow_id: str,
                              registration_id: str) -> asyncpg.Record:
    row = await load(conn, me, roadshow_id, lock="UPDATE")
    reg = await repo.get_registration(conn, roadshow_id, registration_id)
    if reg is None or not (me.acts_as(reg["org_id"]) or me.acts_as(row["organiser_org_id"])):
        raise NotFound(f"no registration {registration_id}")
    if reg["status"] == "cancelled":
        raise Conflict("this registration is already cancelled", rule="registration-cancelled")
    cancelled = await repo.cancel_registration(conn, registration_id)
    await OUTBOX.record(conn, roadshow_id, RegistrationCancelled(
        roadshow_id=roadshow_id, registration_id=registration_id, org_id=reg["org_id"],
        at=cancelled["cancelled_at"], previous_status=reg["status"]))
    if row["status"] == "published":
        waiting = (await repo.registration_counts(conn, roadshow_id)).get("waitlisted", 0)
        free = domain.promotions(await repo.count_registered(conn, roadshow_id), row["capacity"], waiting)
        for head in await repo.waitlist_head(conn, roadshow_id, free):
            promoted = await repo.promote(conn, head["id"])
            await OUTBOX.record(conn, roadshow_id, RegistrationPromoted(
                roadshow_id=roadshow_id, registration_id=head["id"], org_id=head["org_id"],
                at=promoted["promoted_at"]))
    return cancelled


async def registrations(conn: asyncpg.Connection, me: Principal, roadshow_id: str,
                        status: str | None) -> list[asyncpg.Record]:
    """All of them for the organiser; an attendee sees its own."""
    row = await load(conn, me, roadshow_id)
    viewer = None if me.acts_as(row["organiser_org_id"]) else me.effective_org_id
    return await repo.registrations_of(conn, roadshow_id, org_id=viewer, status=status)


# -- leads -------------------------------------------------------------------------------
async def _attending_slot(conn: asyncpg.Connection, me: Principal, row: asyncpg.Record,
                          listing_id: str) -> tuple[asyncpg.Record | None, str | None]:
    reg = await repo.live_registration(conn, row["id"], me.effective_org_id)
    return await repo.slot_of(conn, row["id"], listing_id), reg["status"] if reg else None


async def express_interest(conn: asyncpg.Connection, me: Principal, roadshow_id: str, listing_id: str,
                           note: str | None) -> tuple[asyncpg.Record, bool]:
    """The lead, and whether it is new (raising a hand twice is the same hand)."""
    row = await load(conn, me, roadshow_id, lock="SHARE")
    domain.check_open_for_attendees(row["status"])
    slot, attendee = await _attending_slot(conn, me, row, listing_id)
    if attendee != "registered":
        raise domain.RoadshowsError("only organisations registered for the roadshow (not waitlisted) raise their "
                                    "hand", rule="not-registered")
    if slot is None:
        raise domain.RoadshowsError("this listing is not in the roadshow's lineup", rule="listing-not-in-lineup",
                                    field="listing_id")
    org = me.effective_org_id
    lead = await repo.insert_lead(conn, {"id": new_id("lead"), "roadshow_id": roadshow_id, "listing_id": listing_id,
                                         "owner_org_id": slot["owner_org_id"], "enterprise_org_id": org,
                                         "note": note})
    if lead is None:
        return await repo.get_lead(conn, roadshow_id, listing_id, org), False
    await OUTBOX.record(conn, roadshow_id, InterestExpressed(
        roadshow_id=roadshow_id, lead_id=lead["id"], listing_id=listing_id, owner_org_id=slot["owner_org_id"],
        enterprise_org_id=org, note=note, at=lead["created_at"]))
    return lead, True


# -- feedback ----------------------------------------------------------------------------
async def _feedback_event(conn: asyncpg.Connection, f: asyncpg.Record) -> None:
    await OUTBOX.record(conn, f["roadshow_id"], FeedbackSubmitted(
        roadshow_id=f["roadshow_id"], feedback_id=f["id"], listing_id=f["listing_id"],
        owner_org_id=f["owner_org_id"], enterprise_org_id=f["enterprise_org_id"], revision=f["revision"],
        industrialisation_prospect=f["industrialisation_prospect"], improvement_needs=f["improvement_needs"],
        concerns=list(f["concerns"]), cooperation=f["cooperation"], at=f["updated_at"]))


async def submit_feedback(conn: asyncpg.Connection, me: Principal, roadshow_id: str,
                          b: domain.FeedbackIn) -> asyncpg.Record:
    row = await load(conn, me, roadshow_id, lock="SHARE")
    domain.check_open_for_attendees(row["status"])
    slot, attendee = await _attending_slot(conn, me, row, b.listing_id)
    domain.check_feedback_allowed(attendee_status=attendee, org_kind=me.effective_kind, in_lineup=slot is not None,
                                  report_closed=row["report_closed_at"] is not None)
    domain.check_concerns(b.concerns)
    f = await repo.insert_feedback(conn, {
        "id": new_id("fb"), "roadshow_id": roadshow_id, "listing_id": b.listing_id,
        "owner_org_id": slot["owner_org_id"], "enterprise_org_id": me.effective_org_id,
        "industrialisation_prospect": b.industrialisation_prospect, "improvement_needs": b.improvement_needs,
        "concerns": list(b.concerns), "cooperation": b.cooperation})
    if f is None:
        raise domain.RoadshowsError("this enterprise already gave feedback on this listing at this roadshow: edit "
                                    "it (PATCH …/feedback/{id}) until the report is closed",
                                    rule="feedback-duplicate", field="listing_id")
    await _feedback_event(conn, f)
    return f


async def edit_feedback(conn: asyncpg.Connection, me: Principal, roadshow_id: str, feedback_id: str,
                        changes: dict) -> asyncpg.Record:
    """``changes``: the fields the enterprise sent (prospect, needs, concerns, cooperation)."""
    row = await load(conn, me, roadshow_id, lock="SHARE")
    f = await repo.get_feedback(conn, roadshow_id, feedback_id, lock=True)
    if f is None or f["enterprise_org_id"] != me.effective_org_id:
        raise NotFound(f"no feedback {feedback_id} of yours")  # another enterprise's feedback is not even named
    if row["report_closed_at"] is not None:
        raise domain.RoadshowsError("the roadshow's report is closed: feedback can no longer be changed",
                                    rule="report-closed")
    if "concerns" in changes:
        domain.check_concerns(changes["concerns"])
    if not changes:
        return f
    f = await repo.update_feedback(conn, feedback_id, **changes)
    await _feedback_event(conn, f)
    return f


async def one_registration(conn: asyncpg.Connection, me: Principal, roadshow_id: str,
                           registration_id: str) -> asyncpg.Record:
    """A registration, seen by the registrant and the organiser (and the operator)."""
    row = await load(conn, me, roadshow_id)
    reg = await repo.get_registration(conn, roadshow_id, registration_id)
    if reg is None or not (me.acts_as(reg["org_id"]) or me.acts_as(row["organiser_org_id"])):
        raise NotFound(f"no registration {registration_id}")
    return reg


async def one_feedback(conn: asyncpg.Connection, me: Principal, roadshow_id: str, feedback_id: str) -> asyncpg.Record:
    """A feedback, seen by the enterprise that gave it (and the operator): never by another."""
    await load(conn, me, roadshow_id)
    f = await repo.get_feedback(conn, roadshow_id, feedback_id)
    if f is None or not me.acts_as(f["enterprise_org_id"]):
        raise NotFound(f"no feedback {feedback_id} of yours")
    return f


async def my_feedback(conn: asyncpg.Connection, me: Principal, roadshow_id: str) -> list[asyncpg.Record]:
    await load(conn, me, roadshow_id)
    return await repo.feedback_of_roadshow(conn, roadshow_id, enterprise=me.effective_org_id)


# -- the report --------------------------------------------------------------------------
async def report(conn: asyncpg.Connection, me: Principal, roadshow_id: str) -> domain.ReportData:
    """The organiser sees every listing; a presenting owner (or its mandated venue) its own."""
    row = await load(conn, me, roadshow_id)
    lineup = await repo.lineup_of(conn, roadshow_id)
    if me.acts_as(row["organiser_org_id"]):
        shown = lineup
    else:
        shown = [s for s in lineup if me.acts_as(s["owner_org_id"])]
        if not shown:
            raise Forbidden("the report is for the organiser and the presenting owners", rule="not-report-reader")
    return domain.ReportData(roadshow=row, shown=shown, feedback=await repo.feedback_of_roadshow(conn, roadshow_id),
                             leads=await repo.leads_of_roadshow(conn, roadshow_id),
                             registered=await repo.count_registered(conn, roadshow_id))


async def close_report(conn: asyncpg.Connection, me: Principal, roadshow_id: str) -> asyncpg.Record:
    row = await load(conn, me, roadshow_id, lock="UPDATE")  # waits for feedback being written
    _require_organiser(me, row)
    if row["status"] != "published":
        raise Conflict(f"the roadshow is {row['status']}", rule=f"roadshow-{row['status']}")
    if row["report_closed_at"] is not None:
        raise Conflict("the report is already closed", rule="report-closed")
    row = await repo.update_roadshow(conn, roadshow_id, report_closed_at=now())
    await OUTBOX.record(conn, roadshow_id, RoadshowReportClosed(roadshow_id=roadshow_id, at=row["report_closed_at"]))
    return row


async def listing_feedback(conn: asyncpg.Connection, me: Principal,
                           listing_id: str) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Every roadshow's feedback on a listing and its leads, for its owner (or a venue with
    its mandate) only: one enterprise's feedback is never shown to another."""
    listing = await repo.get_listing(conn, listing_id)
    if listing is None:
        raise NotFound(f"no listing {listing_id} known to roadshows")
    if not me.acts_as(listing["owner_org_id"]):
        raise Forbidden("feedback on a listing is for its owner (or a venue it mandated)", rule="not-owner")
    return await repo.feedback_of_listing(conn, listing_id), await repo.leads_of_listing(conn, listing_id)
