"""Distribution rules, pure: what a catalogue change is, which filters it matches, how
deliveries are retried and when an endpoint is paused, how a webhook is signed.

No I/O here. Filters are shared by venues (which changes reach them) and enterprise
subscriptions (which new supply is pushed to them).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.runtime.errors import DomainError

CATALOGUE_TYPES = ("listing", "demand", "open_licence", "auction", "roadshow")
MAX_REQUEST_TIMEOUT_S = 15.0
# Receivers asking to slow down (Standard Webhooks): the endpoint waits, honouring Retry-After.
THROTTLE_STATUSES = frozenset({429, 502, 503, 504})
GONE = 410  # the receiver says the endpoint is gone: disabled


def status_class(status: int | None, error: str | None) -> str:
    """For metrics: 2xx … 5xx, or how the request failed without an answer."""
    if status is not None:
        return f"{status // 100}xx"
    text = (error or "").lower()
    return "timeout" if "timeout" in text else "internal_target" if "internal" in text else "connection"


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


class DistributionError(DomainError):
    pass


# -- what changed ------------------------------------------------------------------------
@dataclass(frozen=True)
class Attributes:
    """What a filter can select a change by. Codes are kept as given (GB/T 4754 industry,
    GB/T 2260 region, IPC symbol); filters compare them by prefix (see ``Filter``)."""

    type: str
    industry: str | None = None
    region: str | None = None
    stage: str | None = None
    modes: tuple[str, ...] = ()
    ipc: tuple[str, ...] = ()


def ipc_key(symbol: str) -> str:
    """An IPC symbol as a prefix-matching key (``H01M 10/0525`` → ``H01M10/0525``): not a
    validation — that is services.runtime.codes.normalize_ipc, at the register."""
    return symbol.replace(" ", "").upper()


def normalise_region(code: str) -> str:
    """``310000`` (a province) selects every ``31xxxx``; ``310100`` every ``3101xx``."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def prefixes(value: str) -> list[str]:
    return [value[:i] for i in range(1, len(value) + 1)]


@dataclass(frozen=True)
class Filter:
    """A conjunction over dimensions; an empty dimension selects everything.

    ``industries``, ``regions`` and ``ipc`` are prefixes (``C38`` selects ``C3841``;
    ``310000`` selects ``310115``; ``H01M`` selects ``H01M 4/525``); ``types``,
    ``stages`` and ``modes`` are exact (``modes``: any of them).
    """

    types: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    ipc: tuple[str, ...] = ()

    @classmethod
    def of(cls, raw: dict | None) -> Filter:
        raw = raw or {}
        return cls(types=tuple(raw.get("types") or ()), industries=tuple(x.upper() for x in raw.get("industries") or ()),
                   regions=tuple(normalise_region(x) for x in raw.get("regions") or ()),
                   stages=tuple(raw.get("stages") or ()), modes=tuple(raw.get("modes") or ()),
                   ipc=tuple(ipc_key(x) for x in raw.get("ipc") or ()))

    def as_dict(self) -> dict[str, list[str]]:
        return {"types": list(self.types), "industries": list(self.industries), "regions": list(self.regions),
                "stages": list(self.stages), "modes": list(self.modes), "ipc": list(self.ipc)}

    def matches(self, a: Attributes) -> bool:
        def prefixed(wanted: Sequence[str], value: str | None) -> bool:
            return not wanted or (value is not None and any(value.startswith(w) for w in wanted))

        return ((not self.types or a.type in self.types)
                and prefixed(self.industries, a.industry.upper() if a.industry else None)
                and prefixed(self.regions, a.region)
                and (not self.stages or a.stage in self.stages)
                and (not self.modes or bool(set(self.modes) & set(a.modes)))
                and (not self.ipc or any(prefixed(self.ipc, ipc_key(s)) for s in a.ipc)))


@dataclass(frozen=True)
class Change:
    """One entry of the change log: ``subject`` is the entity (listing, declaration,
    auction, roadshow) whose order is kept; ``snapshot`` its full state after the change."""

    subject: str
    change_type: str
    attributes: Attributes
    snapshot: dict
    occurred_at: datetime


def webhook_body(change_type: str, occurred_at: datetime, data: dict) -> dict:
    """The Standard Webhooks payload shape: ``{type, timestamp, data}``."""
    return {"type": change_type, "timestamp": occurred_at.isoformat().replace("+00:00", "Z"), "data": data}


# -- retries -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard and how fast the delivery workers try.

    The defaults suit production: 18 tries, waits doubling from 5 s to 10 hours, each
    between half and all of its step (jitter) — at least 25.7 hours from the first try
    to the dead letter (``min_span_s``), about 38 on average. Tests make them short.
    """

    max_attempts: int = 18
    backoff_base_s: float = 5.0
    backoff_cap_s: float = 36000.0
    request_timeout_s: float = 10.0  # at most MAX_REQUEST_TIMEOUT_S
    # An endpoint whose every try fails this many rounds in a row is paused for
    # ``pause_s``; then one batch probes it, and it resumes on the first success.
    pause_after_failures: int = 10
    pause_s: float = 60.0
    max_endpoints_in_flight: int = 64  # endpoints served at once by one process
    batch: int = 100  # deliveries claimed per endpoint per round (each entity's head only)
    poll_s: float = 0.1  # a fallback: committed deliveries wake the workers (NOTIFY)
    # How long an endpoint stays leased to the process serving it without renewal: after
    # a crash, its endpoints wait this long for another process. Renewed every round and,
    # while a round's requests are out, every third of itself (a round of slow answers can
    # outlast it), so that two processes never serve one endpoint at once and break its order.
    lease_s: float = 30.0
    # An endpoint failing every try for this long is disabled (an event and an inbox
    # notice say so); its owner re-enables it (PATCH … {"enabled": true}).
    disable_after_s: float = 5 * 86400.0
    # The longest a receiver's Retry-After is honoured (a longer one is read as this).
    max_retry_after_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.lease_s <= self.request_timeout_s:
            raise ValueError(f"the endpoint lease ({self.lease_s}s) must outlast a request "
                                    f"({self.request_timeout_s}s)")
        if self.request_timeout_s > MAX_REQUEST_TIMEOUT_S:
            raise ValueError(f"a webhook request may wait {MAX_REQUEST_TIMEOUT_S:g}s at most")

    def min_span_s(self) -> float:
        """The shortest time from the first try to the dead letter (every wait at its
        smallest, half its step)."""
        return sum(min(self.backoff_cap_s, self.backoff_base_s * 2 ** (n - 1)) / 2 for n in range(1, self.max_attempts))

    def retry_wait(self, attempts: int, retry_after_s: float | None,
                   rng: random.Random | None = None) -> timedelta | None:
        """The wait before the next try: the back-off, or the receiver's Retry-After when
        it asks for longer (capped); None: dead-letter."""
        wait = self.next_attempt_in(attempts, rng)
        if wait is None or retry_after_s is None:
            return wait
        return max(wait, timedelta(seconds=min(retry_after_s, self.max_retry_after_s)))

    def next_attempt_in(self, attempts: int, rng: random.Random | None = None) -> timedelta | None:
        """Exponential back-off after ``attempts`` failed tries — half the step fixed, half random
        (so retries spread out but never bunch up) — or None: dead-letter."""
        if attempts >= self.max_attempts:
            return None
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * (2 ** (attempts - 1)))
        r = rng or random
        return timedelta(seconds=ceiling / 2 + r.uniform(0, ceiling / 2))

    def pause_due(self, consecutive_failures: int) -> bool:
        return consecutive_failures >= self.pause_after_failures


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))

