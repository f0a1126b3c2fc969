"""Keeping a long-running part (a relay, a consumer) alive through outages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import NoReturn

import asyncpg
from aiokafka.errors import KafkaError

from events.outages import OUTAGES as SEEN
from events.outages import dependency_of

# What an outage of PostgreSQL or Kafka looks like: waited out, logged as a warning.
OUTAGES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, KafkaError, asyncio.TimeoutError)
FIRST_WAIT_S, LONGEST_WAIT_S, HEALTHY_AFTER_S = 0.2, 5.0, 30.0
RUNNING_AGAIN_AFTER_S = 5.0  # an attempt that lasts this long after an outage: the dependency is back


async def supervise(name: str, attempt: Callable[[], Awaitable[None]], log: logging.Logger, *,
                    after: Callable[[], None] | None = None) -> NoReturn:
    """Run ``attempt()`` until cancelled: whenever it ends, wait and run it again.

    The wait doubles from 0.2 s to 5 s; a run that lasted more than 30 s starts again
    from the short wait, so that a blip long after the last outage does not cost the
    maximum. Anything unexpected (e.g. a client library's own assertion) is logged with
    its traceback and restarted too: a part that died would silently stop its service's
    reactions. ``after`` runs after every attempt (e.g. to drop a leadership flag).

    An outage is told to the process's ``Outages`` (logged once when it starts and once
    when a part has run again for a few seconds), not once per attempt of every part.
    """
    wait = FIRST_WAIT_S
    away: str | None = None  # the dependency the last attempt found away
    loop = asyncio.get_running_loop()
    while True:
        started = time.monotonic()
        back = loop.call_later(RUNNING_AGAIN_AFTER_S, SEEN.answered, away) if away else None
        try:
            await attempt()
        except asyncio.CancelledError:
            raise
        except OUTAGES as e:
            if (away := dependency_of(e)) is not None:
                SEEN.failed(away, f"{name}: {type(e).__name__}: {e}")
                log.debug("%s: %s: %s; again in %.1fs", name, type(e).__name__, e, wait)
            else:
                log.warning("%s: %s: %s; again in %.1fs", name, type(e).__name__, e, wait)
        except Exception:  # noqa: BLE001 — see the docstring: restarted, never swallowed silently
            log.exception("%s: failed; again in %.1fs", name, wait)
        finally:
            if back is not None:
                back.cancel()
            if after is not None:
                after()
        if time.monotonic() - started > HEALTHY_AFTER_S:
            wait = FIRST_WAIT_S
        await asyncio.sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT_S)


async def stop_all(tasks: Iterable[asyncio.Task]) -> None:
    """Cancel ``tasks`` and wait until each has finished its clean-up (a relay flushing
    its producer, a consumer leaving its group)."""
    tasks = list(tasks)
    for t in tasks:
        t.cancel()
    for t in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await t
