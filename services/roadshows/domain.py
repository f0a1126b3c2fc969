"""Roadshows (路演): the lineup's rules, seats and waitlist, feedback and its report.

Pure: no I/O. Handlers load what a rule needs (the listings' read model, the seats
taken) and pass it in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal


from services.runtime.errors import Conflict, DomainError, FieldError, ValidationFailed

# The feedback vocabulary (plan item 八), in the order a report lists it. The event
# schema (events/schemas/roadshows.py) spells the same words; a unit test holds them equal.
CONCERNS = ("too_early", "benefit_unclear", "commercial_route_unclear", "description_unclear", "price")
COOPERATIONS = ("none", "licence", "transfer", "joint_development", "investment")


class RoadshowsError(DomainError):
    pass


# A listing may be shown while it is on the market: published, or reserved by a running
# auction or deal (it is still presented). Drafts are not public; sold, withdrawn and
# expired ones are off the market (DESIGN §5 states).
PRESENTABLE = frozenset({"published", "reserved"})
MAX_DURATION = timedelta(days=14)
MEAN_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class ListingFacts:
    listing_id: str
    kind: str
    status: str
    owner_org_id: str
    title: str


@dataclass(frozen=True)
class SlotIn:
    listing_id: str
    starts_at: datetime
    ends_at: datetime | None


@dataclass(frozen=True)
class RoadshowPlan:
    """A roadshow as its organiser asks for it (DESIGN §9)."""

    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    location: str | None
    stream_url: str | None
    capacity: int
    lineup: tuple[SlotIn, ...]


@dataclass(frozen=True)
class FeedbackIn:
    """An enterprise's evaluation of one listing it saw (plan item 八)."""

    listing_id: str
    industrialisation_prospect: int
    improvement_needs: str
    concerns: tuple[str, ...]
    cooperation: str


@dataclass(frozen=True)
class ReportData:
    """What a report is made of: the roadshow, the slots shown to the reader, every
    feedback and lead of the roadshow, and the seats taken."""

    roadshow: Mapping
    shown: Sequence[Mapping]
    feedback: Sequence[Mapping]
    leads: Sequence[Mapping]
    registered: int


@dataclass(frozen=True)
class Slot:
    listing: ListingFacts
    starts_at: datetime
    ends_at: datetime


def check_schedule(starts_at: datetime, ends_at: datetime, *, now: datetime) -> None:
    errors = []
    if ends_at <= starts_at:
        errors.append(FieldError("ends_at", "must be after starts_at"))
    elif ends_at - starts_at > MAX_DURATION:
        errors.append(FieldError("ends_at", "a roadshow lasts at most 14 days"))
    if ends_at <= now:
        errors.append(FieldError("ends_at", "the roadshow would already be over"))
    if errors:
        raise ValidationFailed(errors)


def check_venue(mode: str, location: str | None, stream_url: str | None) -> None:
    errors = []
    if mode in ("offline", "hybrid") and not (location or "").strip():
        errors.append(FieldError("location", f"an {mode} roadshow needs its location"))
    if mode in ("online", "hybrid") and not (stream_url or "").strip():
        errors.append(FieldError("stream_url", f"an {mode} roadshow needs its stream_url"))
    if errors:
        raise ValidationFailed(errors)


def plan_lineup(slots: Sequence[SlotIn], listings: Mapping[str, ListingFacts], *, starts_at: datetime,
                ends_at: datetime) -> list[Slot]:
    """The lineup in time order, or 422 naming each bad slot (``lineup.<i>.…``).

    A slot without an end runs until the next slot starts (the last: until the roadshow
    ends). Slots lie within the roadshow and never overlap; each listing appears once
    and is a supply listing on the market (published or reserved — not a draft, not
    sold, withdrawn or expired).
    """
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, s in enumerate(slots):
        where = f"lineup.{i}"  # the one field-path syntax of the API: dotted, indices too
        if s.listing_id in seen:
            errors.append(FieldError(f"{where}.listing_id", f"already in lineup.{seen[s.listing_id]}"))
        seen.setdefault(s.listing_id, i)
        facts = listings.get(s.listing_id)
        if facts is None:
            errors.append(FieldError(f"{where}.listing_id",
                                     f"no published listing {s.listing_id}"))
        elif facts.kind != "supply":
            errors.append(FieldError(f"{where}.listing_id", "only supply listings are presented"))
        elif facts.status not in PRESENTABLE:
            errors.append(FieldError(f"{where}.listing_id",
                                     f"listing {s.listing_id} is {facts.status}: only published listings "
                                     "(not sold, withdrawn or expired) are presented"))
        if not starts_at <= s.starts_at < ends_at:
            errors.append(FieldError(f"{where}.slot_starts_at", "must lie within the roadshow"))
        if s.ends_at is not None and not s.starts_at < s.ends_at <= ends_at:
            errors.append(FieldError(f"{where}.slot_ends_at", "must be after the slot's start and by the roadshow's end"))
    if errors:
        raise ValidationFailed(errors)
    order = sorted(range(len(slots)), key=lambda i: slots[i].starts_at)
    planned: list[tuple[int, Slot]] = []
    for n, i in enumerate(order):
        s = slots[i]
        end = s.ends_at or (slots[order[n + 1]].starts_at if n + 1 < len(order) else ends_at)
        planned.append((i, Slot(listings[s.listing_id], s.starts_at, end)))
    for (i, a), (j, b) in zip(planned, planned[1:]):
        if b.starts_at < a.ends_at or b.starts_at == a.starts_at:  # same start: both claim the moment
            errors.append(FieldError(f"lineup.{j}.slot_starts_at",
                                     f"overlaps lineup.{i} ({a.starts_at.isoformat()}–{a.ends_at.isoformat()})"))
    if errors:
        raise ValidationFailed(errors, detail="slots overlap: " + "; ".join(f"{e.field} {e.message}" for e in errors))
    return [slot for _, slot in planned]


def shift(slots: Iterable[Slot], by: timedelta) -> list[SlotIn]:
    """The lineup moved with its roadshow (a reschedule keeps the running order)."""
    return [SlotIn(s.listing.listing_id, s.starts_at + by, s.ends_at + by) for s in slots]


# -- lifecycle ---------------------------------------------------------------------------
def check_publish(status: str, ends_at: datetime, now: datetime) -> None:
    if status != "draft":
        raise Conflict(f"the roadshow is already {status}", rule=f"roadshow-{status}")
    if ends_at <= now:
        raise RoadshowsError("the roadshow is over: reschedule it first", rule="roadshow-over")


def check_changeable(status: str) -> None:
    if status == "cancelled":
        raise Conflict("the roadshow was cancelled", rule="roadshow-cancelled")


def check_open_for_attendees(status: str) -> None:
    """Registrations, interest and feedback need a published roadshow."""
    if status == "cancelled":
        raise Conflict("the roadshow was cancelled", rule="roadshow-cancelled")
    if status != "published":
        raise Conflict("the roadshow is not published yet", rule="roadshow-not-published")


# -- seats -------------------------------------------------------------------------------
def seat_for(registered: int, capacity: int) -> str:
    """``registered`` while seats are left, else ``waitlisted`` (arrival order: the caller
    holds the roadshow's row lock, so ``registered`` is exact)."""
    return "registered" if registered < capacity else "waitlisted"


def promotions(registered: int, capacity: int, waitlisted: int) -> int:
    """How many of the waitlist's head take free seats."""
    return max(0, min(capacity - registered, waitlisted))


# -- feedback ----------------------------------------------------------------------------
def check_feedback_allowed(*, attendee_status: str | None, org_kind: str, in_lineup: bool,
                           report_closed: bool) -> None:
    if report_closed:
        raise RoadshowsError("the roadshow's report is closed: feedback can no longer be given or changed",
                             rule="report-closed")
    if org_kind != "enterprise":
        raise RoadshowsError("feedback comes from enterprises (计划第八条)", rule="not-an-enterprise")
    if attendee_status != "registered":
        raise RoadshowsError("only enterprises registered for the roadshow (not waitlisted) give feedback",
                             rule="not-registered")
    if not in_lineup:
        raise RoadshowsError("this listing is not in the roadshow's lineup", rule="listing-not-in-lineup",
                             field="listing_id")


def check_concerns(concerns: Sequence[str]) -> None:
    repeated = [c for c, n in Counter(concerns).items() if n > 1]
    if repeated:
        raise ValidationFailed([FieldError("concerns", f"{', '.join(repeated)} given more than once")])


@dataclass(frozen=True)
class Feedback:
    prospect: int
    concerns: tuple[str, ...]
    cooperation: str


@dataclass(frozen=True)
class Summary:
    count: int
    prospect_mean: Decimal | None
    prospect_distribution: dict[str, int]
    concerns: dict[str, int]
    cooperation: dict[str, int]


def mean(values: Sequence[int]) -> Decimal | None:
    """The exact mean, rounded once, half up, to two places (never through a float)."""
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(MEAN_PLACES, rounding=ROUND_HALF_UP)


def summarise(feedback: Sequence[Feedback]) -> Summary:
    """Counts of every value, zeros included, so reports line up listing by listing."""
    concerns = Counter(c for f in feedback for c in f.concerns)
    cooperation = Counter(f.cooperation for f in feedback)
    prospects = Counter(f.prospect for f in feedback)
    return Summary(count=len(feedback), prospect_mean=mean([f.prospect for f in feedback]),
                   prospect_distribution={str(s): prospects.get(s, 0) for s in range(1, 6)},
                   concerns={c: concerns.get(c, 0) for c in CONCERNS},
                   cooperation={c: cooperation.get(c, 0) for c in COOPERATIONS})


def month_of(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"
