from __future__ import annotations

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
    )
