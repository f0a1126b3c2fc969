"""Online auctions: the bidding rules, proxy bidding, soft close and outcomes. Pure.

An ``Auction`` is changed only through its methods, each of which returns the facts
it produced (accepted bids, an extension, an outcome) for the handler to save and
publish. All money is ``Decimal``; all times are aware UTC ``datetime``s.

Proxy bidding (DESIGN §8): a bidder may give a secret ``max_amount``; the system bids
for them by the increment up to that maximum. When two proxies meet, the higher
maximum leads at one increment above the other's maximum (capped at its own); on
equal maxima the earlier one leads. A new bid that an existing proxy beats at once
is refused (409) — the proxy's answering bid is recorded and the price moves.
A leader whose maximum reaches the hidden reserve is raised to the reserve at once,
so that "reserve met" shows as soon as some bidder is willing to pay it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from services.runtime.errors import Conflict, DomainError, Forbidden, ValidationFailed, FieldError


class AuctionError(DomainError):
    pass


class BidRefused(Conflict):
    """A bid that breaks a bidding rule (409), with the rule's slug."""


OPEN, SCHEDULED = "open", "scheduled"
CLOSED_WON, CLOSED_UNSOLD = "closed_won", "closed_unsold"
SETTLED, DEFAULTED = "settled", "defaulted"
PENDING_EXPORT_REVIEW, EXPORT_REFUSED = "pending_export_review", "export_refused"
CANCELLED = "cancelled"
FOR_SALE = "for_sale"  # 变卖: a disposal that sold nothing twice, offered at a fixed price
# Before it is scheduled, the patent register decides whether its lot may be reserved.
PENDING, REFUSED = "pending", "refused"
FINAL = frozenset({CLOSED_UNSOLD, SETTLED, DEFAULTED, EXPORT_REFUSED, CANCELLED, REFUSED})


@dataclass(frozen=True)
class Terms:
    starts_at: datetime
    ends_at: datetime
    start_price: Decimal
    reserve_price: Decimal | None
    increment: Decimal
    deposit: Decimal
    window_s: int
    extend_s: int


RELIST_DAYS, RELIST_MAX_DISCOUNT = 30, Decimal("0.20")


def check_disposal_relist(*, closed_at: datetime | None, old_start: Decimal, new_start: Decimal,
                          now: datetime) -> None:
    """A disposal that sold nothing is relisted within 30 days, its start price at most 20 %
    below the last one (法释〔2016〕18号 arts. 26–27: the second auction's reserve may be
    lowered by no more than 20 %)."""
    if closed_at is not None and now - closed_at > timedelta(days=RELIST_DAYS):
        raise AuctionError(f"a disposal is relisted within {RELIST_DAYS} days of closing unsold",
                           rule="relist-too-late")
    floor = (old_start * (1 - RELIST_MAX_DISCOUNT)).quantize(Decimal("0.01"))
    if new_start < floor:
        raise AuctionError(f"a relisted disposal starts at no less than {floor} (20 % below {old_start})",
                           rule="relist-too-low", field="start_price")


def validate_terms(t: Terms, now: datetime) -> None:
    errors = []
    if t.ends_at <= t.starts_at:
        errors.append(FieldError("ends_at", "must be after starts_at"))
    if t.ends_at <= now:
        errors.append(FieldError("ends_at", "is in the past"))
    if t.start_price <= 0:
        errors.append(FieldError("start_price", "must be positive"))
    if t.increment <= 0:
        errors.append(FieldError("increment", "must be positive"))
    if t.reserve_price is not None and t.reserve_price < t.start_price:
        errors.append(FieldError("reserve_price", "cannot be below the start price"))
    if t.deposit < 0:
        errors.append(FieldError("deposit", "cannot be negative"))
    if t.window_s < 0 or t.extend_s < 0:
        errors.append(FieldError("extension", "window_s and extend_s are ≥ 0"))
    if t.window_s > 0 and t.extend_s == 0:
        errors.append(FieldError("extension.extend_s", "must be positive when window_s is"))
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True)
class AcceptedBid:
    sequence: int
    bidder: str  # registration id
    amount: Decimal
    proxy: bool
    placed_at: datetime


@dataclass(frozen=True)
class BidOutcome:
    """What one bid attempt did. ``accepted`` may hold a proxy's answer even when the
    bid itself was refused (``refused`` is then the rule it lost to)."""

    accepted: list[AcceptedBid]
    extended_to: datetime | None
    refused: BidRefused | None


@dataclass
class Auction:
    id: str
    listing_id: str
    terms: Terms
    status: str = SCHEDULED
    ends_at: datetime | None = None
    current_price: Decimal | None = None
    leader: str | None = None
    leader_max: Decimal | None = None  # secret: never shown to anyone
    bid_count: int = 0
    winner: str | None = None
    final_price: Decimal | None = None
    leader_priority: bool = False  # the leader holds a priority purchase right (a disposal)

    def __post_init__(self) -> None:
        if self.ends_at is None:
            self.ends_at = self.terms.ends_at

    # -- reading -----------------------------------------------------------------------
    @property
    def reserve_met(self) -> bool:
        r = self.terms.reserve_price
        return self.current_price is not None and (r is None or self.current_price >= r)

    def is_open_at(self, now: datetime) -> bool:
        return self.status in (SCHEDULED, OPEN) and self.terms.starts_at <= now < self.ends_at

    def minimum_next_bid(self) -> Decimal:
        return self.terms.start_price if self.current_price is None else self.current_price + self.terms.increment

    # -- time --------------------------------------------------------------------------
    def open(self, now: datetime) -> bool:
        if self.status == SCHEDULED and now >= self.terms.starts_at:
            self.status = OPEN
            return True
        return False

    def close(self, now: datetime) -> str | None:
        """Close if the end has passed; return the outcome, or None if still running."""
        if self.status not in (SCHEDULED, OPEN) or now < self.ends_at:
            return None
        if self.current_price is not None and self.reserve_met:
            self.status, self.winner, self.final_price = CLOSED_WON, self.leader, self.current_price
        else:
            self.status = CLOSED_UNSOLD
        return self.status

    # -- bidding -----------------------------------------------------------------------
    def ensure_open(self, now: datetime) -> None:
        if not self.is_open_at(now):
            when = "has not opened yet" if now < self.terms.starts_at else "is closed"
            raise BidRefused(f"the auction {when}", rule="auction-not-open")

    def _on_grid(self, amount: Decimal) -> bool:
        base = self.terms.start_price if self.current_price is None else self.current_price
        return (amount - base) % self.terms.increment == 0

    def place_bid(self, bidder: str, amount: Decimal, max_amount: Decimal | None, now: datetime,
                  next_sequence: int, *, priority: bool = False) -> BidOutcome:
        """Apply one bid by the registered, deposit-confirmed ``bidder`` at ``now``. A holder
        of a priority purchase right (``priority``) may match the current price: at an
        equal price it takes the lead from a bidder without one (法释〔2016〕18号 art. 21)."""
        self.ensure_open(now)
        self.open(now)
        if bidder == self.leader:
            raise BidRefused("you are already the leading bidder", rule="already-leading")
        if priority and self.current_price is not None and amount == self.current_price and not self.leader_priority:
            return self._match(bidder, amount, max_amount, now, next_sequence)
        minimum = self.minimum_next_bid()
        if amount < minimum:
            raise BidRefused(f"the lowest acceptable bid is {minimum}", rule="bid-too-low")
        if not self._on_grid(amount):
            raise BidRefused(f"bids go up in whole multiples of {self.terms.increment} above "
                             f"{self.current_price if self.current_price is not None else self.terms.start_price}",
                             rule="bid-not-on-increment")
        ceiling = amount
        if max_amount is not None:
            if max_amount < amount:
                raise ValidationFailed([FieldError("max_amount", "cannot be below amount")])
            if not self._on_grid(max_amount):
                raise ValidationFailed([FieldError("max_amount", f"must be on the {self.terms.increment} grid")])
            ceiling = max_amount

        return self._contest(bidder, amount, ceiling, now, next_sequence, priority)

    def _match(self, bidder: str, amount: Decimal, max_amount: Decimal | None, now: datetime,
               seq: int) -> BidOutcome:
        """A priority holder matches the current price: the leader's proxy answers if it can
        go higher; otherwise the holder leads at the same price."""
        if max_amount is not None and (max_amount < amount or not self._on_grid(max_amount)):
            raise ValidationFailed([FieldError("max_amount", f"at least amount, on the {self.terms.increment} grid")])
        ceiling = max_amount if max_amount is not None else amount
        if self.leader_max is not None and self.leader_max > self.current_price:
            return self._contest(bidder, amount, ceiling, now, seq, True)
        self.leader, self.leader_max, self.leader_priority = bidder, ceiling, True
        self.bid_count += 1
        accepted = [AcceptedBid(seq, bidder, amount, False, now)]
        return BidOutcome(accepted, self._soft_close(now), None)

    def _contest(self, bidder: str, amount: Decimal, ceiling: Decimal, now: datetime, next_sequence: int,
                 priority: bool) -> BidOutcome:
        seq = next_sequence
        accepted: list[AcceptedBid] = []

        def accept(who: str, price: Decimal, proxy: bool) -> None:
            nonlocal seq
            accepted.append(AcceptedBid(seq, who, price, proxy, now))
            seq += 1
            self.current_price = price
            self.bid_count += 1

        inc = self.terms.increment
        refused: BidRefused | None = None
        defender_max = self.leader_max if self.leader is not None else None
        if defender_max is not None and ceiling <= defender_max:
            # The leader's proxy answers at once: one increment above the challenger's
            # ceiling, capped at its own maximum (equal maxima: the earlier one keeps it).
            answer = min(defender_max, ceiling + inc)
            if answer > self.current_price:
                accept(self.leader, answer, True)
            refused = BidRefused("outbid at once by another bidder's maximum bid", rule="outbid-by-proxy")
        else:
            if defender_max is not None and defender_max > self.current_price:
                # The old leader's proxy went all the way before being beaten.
                accept(self.leader, defender_max, True)
            price = amount if defender_max is None else max(amount, min(defender_max + inc, ceiling))
            self.leader, self.leader_max, self.leader_priority = bidder, ceiling, priority
            accept(bidder, price, price != amount)
        reserve = self.terms.reserve_price
        if reserve is not None and self.current_price < reserve <= (self.leader_max or Decimal(0)):
            accept(self.leader, reserve, True)

        extended_to = self._soft_close(now) if accepted else None
        return BidOutcome(accepted, extended_to, refused)

    def _soft_close(self, now: datetime) -> datetime | None:
        """A bid accepted within ``window_s`` of the end moves the end to ``now + extend_s``
        (never earlier than it was): the new end, or None (DESIGN §8)."""
        if self.terms.window_s <= 0 or self.ends_at - now > timedelta(seconds=self.terms.window_s):
            return None
        candidate = now + timedelta(seconds=self.terms.extend_s)
        if candidate <= self.ends_at:
            return None
        self.ends_at = candidate
        return candidate

    # -- after the close ---------------------------------------------------------------
    def settle(self, winner_country: str) -> str:
        if self.status != CLOSED_WON:
            raise Conflict(f"only a won auction is settled (this one is {self.status})", rule="auction-not-won")
        # 知识产权对外转让审查: a transfer to a winner outside China is reviewed first.
        self.status = SETTLED if winner_country == "CN" else PENDING_EXPORT_REVIEW
        return self.status

    def review_export(self, approve: bool) -> str:
        if self.status != PENDING_EXPORT_REVIEW:
            raise Conflict(f"the auction is {self.status}, not awaiting export review", rule="no-export-review")
        self.status = SETTLED if approve else EXPORT_REFUSED
        return self.status

    def default(self) -> str:
        if self.status not in (CLOSED_WON, PENDING_EXPORT_REVIEW):
            raise Conflict(f"only a won, unpaid auction can default (this one is {self.status})",
                           rule="auction-not-won")
        self.status = DEFAULTED
        return self.status


def require_bidder(registered: bool, deposit_confirmed: bool) -> None:
    if not registered:
        raise Forbidden("register for this auction before bidding", rule="not-registered")
    if not deposit_confirmed:
        raise Forbidden("your deposit has not been confirmed yet", rule="deposit-unpaid")


