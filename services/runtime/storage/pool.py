from __future__ import annotations

import asyncio
import json

import asyncpg

from services.runtime.settings import Settings


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out as Python objects, everywhere.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(settings: Settings, *, min_size: int | None = None, max_size: int | None = None) -> asyncpg.Pool:
    """A pool whose connections speak UTC and decode json/jsonb."""
    return await asyncpg.create_pool(
        settings.database_url,
        min_size=min_size or settings.db_pool_min,
        max_size=max_size or settings.db_pool_max,
        init=_init_connection,
        server_settings={"timezone": "UTC", "application_name": "patent-supermarket"},
        # A statement that never returns (a connection whose server went away mid-way
        # can leave asyncpg waiting for an answer that will not come) gives its
        # connection up instead of holding it, and its task, for ever.
        command_timeout=settings.db_command_timeout_s,
    )


async def close_pool(pool: asyncpg.Pool, timeout_s: float = 10.0) -> None:
    """Close gracefully, but never wait for ever: after a PostgreSQL restart a connection
    can stay checked out by an operation that will not finish; it is terminated."""
    try:
        async with asyncio.timeout(timeout_s):
            await pool.close()
    except (TimeoutError, OSError, asyncpg.InterfaceError, asyncpg.InternalClientError):
        # (closing such a connection can itself fail: "another operation is in progress")
        pool.terminate()
