"""Starting and stopping aiokafka clients so that nothing outlives them.

aiokafka's ``start()`` opens connections and spawns tasks step by step; a task
cancelled in the middle of it (an app shutting down just after it started) leaves
those behind, unclosed. So ``start_safely`` never lets the cancellation interrupt
``start()``: it waits for it (bounded by the client's own timeouts), stops the client
and only then passes the cancellation on.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol


class KafkaClient(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def start_safely(client: KafkaClient) -> None:
    starting = asyncio.ensure_future(client.start())
    try:
        await asyncio.shield(starting)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await starting
        with contextlib.suppress(Exception):
            await client.stop()
        raise
