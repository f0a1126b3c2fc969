"""Fixtures of the event-backbone tests: a migrated schema, topics, a running relay."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from event_harness import SCHEMA, PrivateKafka, new_relay, running
from events.relay import OutboxRelay, kafka_producer
from events.topics import ensure_topics
from services.runtime.settings import Settings
from services.runtime.storage import apply_migrations, create_pool

EVENTS_MIGRATIONS = Path(__file__).resolve().parents[3] / "events" / "migrations"


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's own database, with the event tables in schema ``evt``."""
    p = await create_pool(settings, min_size=2, max_size=25)
    try:
        await apply_migrations(p, SCHEMA, EVENTS_MIGRATIONS, namespace="events")
        yield p
    finally:
        await p.close()


@pytest.fixture
async def topics(settings: Settings) -> str:
    """The test's topic prefix, with every topic and DLQ created under it (the
    ``settings`` fixture deletes them after the test)."""
    await ensure_topics(settings.kafka_bootstrap, settings.topic_prefix, settings.topic_partitions)
    return settings.topic_prefix


@pytest.fixture
async def producer(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    p = kafka_producer(settings.kafka_bootstrap)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


@pytest.fixture
async def relay(settings: Settings, pool: asyncpg.Pool, topics: str) -> AsyncIterator[OutboxRelay]:
    """One relay publishing schema ``evt`` for the whole test."""
    r = new_relay(settings)
    async with running(r, "relay-evt"):
        yield r


@pytest.fixture
async def private_kafka(tmp_path) -> AsyncIterator[PrivateKafka]:
    """A broker only this test uses (it may stop and start it); always taken down."""
    kafka = PrivateKafka(str(tmp_path / "stack"), dict(os.environ))
    try:
        await kafka.stack("up")
        yield kafka
    finally:
        await kafka.stack("down")
