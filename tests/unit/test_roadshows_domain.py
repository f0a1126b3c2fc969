"""Roadshow rules without I/O: the lineup, seats, the report's exact mean, calendar text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.runtime.errors import ValidationFailed
from services.roadshows import domain, ics

T0 = datetime(2030, 5, 1, 6, 0, tzinfo=UTC)


def facts(lid: str, status: str = "published") -> domain.ListingFacts:
    return domain.ListingFacts(lid, "supply", status, "org_x", lid)


def test_slots_without_an_end_run_until_the_next_one():
    slots = domain.plan_lineup([domain.SlotIn("b", T0 + timedelta(minutes=30), None), domain.SlotIn("a", T0, None)],
                               {"a": facts("a"), "b": facts("b")}, starts_at=T0, ends_at=T0 + timedelta(hours=1))
    assert [(s.listing.listing_id, s.ends_at) for s in slots] == [("a", T0 + timedelta(minutes=30)),
                                                                  ("b", T0 + timedelta(hours=1))]


@pytest.mark.parametrize("status", ["draft", "sold", "withdrawn", "expired"])
def test_refuses_a_listing_off_the_market(status):
    with pytest.raises(ValidationFailed) as e:
        domain.plan_lineup([domain.SlotIn("a", T0, None)], {"a": facts("a", status)}, starts_at=T0,
                           ends_at=T0 + timedelta(hours=1))
    assert e.value.errors[0].field == "lineup.0.listing_id"


def test_refuses_overlapping_slots():
    with pytest.raises(ValidationFailed) as e:
        domain.plan_lineup([domain.SlotIn("a", T0, T0 + timedelta(minutes=40)),
                            domain.SlotIn("b", T0 + timedelta(minutes=30), None)],
                           {"a": facts("a"), "b": facts("b")}, starts_at=T0, ends_at=T0 + timedelta(hours=1))
    assert [x.field for x in e.value.errors] == ["lineup.1.slot_starts_at"]


def test_mean_is_exact_and_rounded_half_up_once():
    assert domain.mean([5, 4, 4]) == Decimal("4.33")
    assert domain.mean([1, 2]) == Decimal("1.50") and domain.mean([4, 5, 5]) == Decimal("4.67")
    assert domain.mean([]) is None


def test_seats_then_waitlist_and_promotions():
    assert [domain.seat_for(n, 2) for n in (0, 1, 2)] == ["registered", "registered", "waitlisted"]
    assert domain.promotions(registered=19, capacity=20, waitlisted=5) == 1
    assert domain.promotions(registered=20, capacity=20, waitlisted=5) == 0


def test_calendar_text_is_escaped_and_folded():
    assert ics.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "DESCRIPTION:" + "锂" * 60
    folded = ics.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_the_feedback_vocabulary_is_the_event_schemas():
    from events.schemas.roadshows import CONCERNS, COOPERATIONS

    assert (domain.CONCERNS, domain.COOPERATIONS) == (CONCERNS, COOPERATIONS)
