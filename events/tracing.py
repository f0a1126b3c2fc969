"""The W3C trace context an event carries (CloudEvents ``traceparent`` extension).

The HTTP layer sets it for a request, a consumer for the event it applies; the outbox
reads it when it records an event, so what a request or an event causes continues its
trace without any handler passing it along.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator

trace_context: contextvars.ContextVar[str | None] = contextvars.ContextVar("traceparent", default=None)

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def current_traceparent() -> str | None:
    return trace_context.get()


@contextlib.contextmanager
def traced(traceparent: str | None) -> Iterator[None]:
    """What is recorded inside continues ``traceparent``'s trace."""
    token = trace_context.set(traceparent)
    try:
        yield
    finally:
        trace_context.reset(token)


def new_traceparent() -> str:
    """A fresh W3C trace context (version 00, sampled)."""
    return child_traceparent(None)


def child_traceparent(incoming: str | None) -> str:
    """Continue the caller's W3C trace if it sent one, else start a new trace."""
    m = _TRACEPARENT.match(incoming or "")
    trace_id = m.group(1) if m and m.group(1) != "0" * 32 else os.urandom(16).hex()
    return f"00-{trace_id}-{os.urandom(8).hex()}-01"
