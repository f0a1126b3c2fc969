"""Starting and stopping aiokafka clients so that nothing outlives them.

aiokafka's ``start()`` opens connections and spawns tasks step by step; a task
cancelled in the middle of it (an app shutting down just after it started) leaves
those behind, unclosed. So ``start_safely`` never lets the cancellation interrupt
``start()``: it waits for it (bounded by the client's own timeouts), stops the client
and only then passes the cancellation on. ``stop_safely`` does the same for ``stop()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Protocol


class KafkaClient(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def start_safely(client: KafkaClient) -> None:
    try:
        await _to_the_end(client.start())
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await stop_safely(client)
        raise


async def stop_safely(client: KafkaClient) -> None:
    """Stop ``client`` to the end even when the caller is cancelled meanwhile (then the
    cancellation is raised after): a stop cut short leaves the client's background tasks
    running for ever — an application shut down while a consumer was leaving its group
    after a failed commit did."""
    await _to_the_end(client.stop())


async def _to_the_end(step: Awaitable[None]) -> None:
    """Await ``step``; a cancellation meanwhile waits for it to finish, then is raised."""
    running = asyncio.ensure_future(step)
    try:
        await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await running
        raise
