"""The roadshows API's renderings (the API layer: api.py calls these)."""

from __future__ import annotations

from datetime import UTC

import asyncpg

from services.roadshows import domain
from services.roadshows import repository as repo
from services.roadshows.models import (
    Feedback, Lead, ListingFeedback, ListingReport, Registration, Report, Roadshow, Slot, Summary, TrendPoint,
)


def slot(r: asyncpg.Record) -> Slot:
    return Slot(listing_id=r["listing_id"], listing_title=r["listing_title"], owner_org_id=r["owner_org_id"],
                slot_starts_at=r["slot_starts_at"], slot_ends_at=r["slot_ends_at"])


async def view(conn: asyncpg.Connection, row: asyncpg.Record) -> Roadshow:
    counts = await repo.registration_counts(conn, row["id"])
    return Roadshow(
        id=row["id"], organiser_org_id=row["organiser_org_id"], title=row["title"], description=row["description"],
        starts_at=row["starts_at"], ends_at=row["ends_at"], mode=row["mode"], location=row["location"],
        stream_url=row["stream_url"], capacity=row["capacity"], seats_taken=counts.get("registered", 0),
        waitlisted=counts.get("waitlisted", 0), status=row["status"],
        lineup=[slot(r) for r in await repo.lineup_of(conn, row["id"])],
        report_closed=row["report_closed_at"] is not None, created_at=row["created_at"],
        updated_at=row["updated_at"], published_at=row["published_at"], cancelled_at=row["cancelled_at"])


def registration_view(r: asyncpg.Record, waitlist_position: int | None = None) -> Registration:
    position = r["waitlist_position"] if "waitlist_position" in r.keys() else waitlist_position
    return Registration(id=r["id"], roadshow_id=r["roadshow_id"], org_id=r["org_id"], status=r["status"],
                        arrival=r["arrival"], waitlist_position=position if r["status"] == "waitlisted" else None,
                        created_at=r["created_at"], promoted_at=r["promoted_at"], cancelled_at=r["cancelled_at"])


def lead_view(r: asyncpg.Record) -> Lead:
    return Lead(id=r["id"], roadshow_id=r["roadshow_id"], listing_id=r["listing_id"], owner_org_id=r["owner_org_id"],
                enterprise_org_id=r["enterprise_org_id"], note=r["note"], created_at=r["created_at"])


def feedback_view(r: asyncpg.Record) -> Feedback:
    return Feedback(id=r["id"], roadshow_id=r["roadshow_id"], listing_id=r["listing_id"],
                    enterprise_org_id=r["enterprise_org_id"],
                    industrialisation_prospect=r["industrialisation_prospect"],
                    improvement_needs=r["improvement_needs"], concerns=list(r["concerns"]),
                    cooperation=r["cooperation"], revision=r["revision"], submitted_at=r["submitted_at"],
                    updated_at=r["updated_at"])


def summary(rows) -> dict:
    s = domain.summarise([domain.Feedback(r["industrialisation_prospect"], tuple(r["concerns"]), r["cooperation"])
                          for r in rows])
    return {"feedback_count": s.count, "prospect_mean": s.prospect_mean,
            "prospect_distribution": s.prospect_distribution, "concerns": s.concerns, "cooperation": s.cooperation}


def report(d: domain.ReportData) -> Report:
    listings = []
    for s in d.shown:
        rows = [f for f in d.feedback if f["listing_id"] == s["listing_id"]]
        listings.append(ListingReport(
            listing_id=s["listing_id"], listing_title=s["listing_title"], owner_org_id=s["owner_org_id"],
            slot_starts_at=s["slot_starts_at"], **summary(rows),
            leads=[lead_view(x) for x in d.leads if x["listing_id"] == s["listing_id"]]))
    row = d.roadshow
    return Report(roadshow_id=row["id"], title=row["title"], closed=row["report_closed_at"] is not None,
                  closed_at=row["report_closed_at"], registered=d.registered, listings=listings)


def listing_feedback(listing_id: str, rows: list[asyncpg.Record], leads: list[asyncpg.Record]) -> ListingFeedback:
    months: dict[str, list] = {}
    for r in rows:
        months.setdefault(domain.month_of(r["submitted_at"].astimezone(UTC)), []).append(r)
    return ListingFeedback(
        listing_id=listing_id, overall=Summary(**summary(rows)),
        trend=[TrendPoint(month=m, **summary(rs)) for m, rs in sorted(months.items())],
        items=[feedback_view(r) for r in rows], leads=[lead_view(x) for x in leads])
