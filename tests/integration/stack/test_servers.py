"""The three real servers answer the way the marketplace uses them."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from elasticsearch import AsyncElasticsearch

from events.relay import kafka_producer


async def test_postgresql_round_trips_a_query(base_settings):
    conn = await asyncpg.connect(base_settings.database_url)
    try:
        row = await conn.fetchrow("SELECT $1::text AS t, current_setting('server_version_num')::int AS v", "专利")
    finally:
        await conn.close()
    assert row["t"] == "专利"
    assert row["v"] >= 150000


async def test_kafka_produces_idempotently_and_consumes_in_a_group(base_settings):
    topic = f"t{uuid.uuid4().hex[:10]}.roundtrip"
    admin = AIOKafkaAdminClient(bootstrap_servers=base_settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1)])
    finally:
        await admin.close()
    producer = kafka_producer(base_settings.kafka_bootstrap)
    await producer.start()
    try:
        for i in range(30):
            await producer.send_and_wait(topic, f"m{i}".encode(), key=f"k{i % 3}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=base_settings.kafka_bootstrap, group_id=f"g-{topic}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    got: list[tuple[bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(got) < 30:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    got.extend((r.key, r.value) for r in records)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert sorted(v for _, v in got) == sorted(f"m{i}".encode() for i in range(30))
    # Per key, the order of production is kept.
    for k in (b"k0", b"k1", b"k2"):
        values = [int(v[1:]) for key, v in got if key == k]
        assert values == sorted(values)


async def test_elasticsearch_finds_a_chinese_document_by_a_chinese_query(base_settings):
    index = f"t{uuid.uuid4().hex[:10]}-zh"
    es = AsyncElasticsearch(base_settings.elasticsearch_url)
    try:
        await es.indices.create(index=index, mappings={"properties": {
            "title": {"type": "text", "analyzer": "psm_cjk", "fields": {"words": {"type": "text",
                                                                                  "analyzer": "psm_smartcn"}}}}})
        await es.index(index=index, id="1", document={"title": "锂离子电池正极材料"}, refresh="wait_for")
        await es.index(index=index, id="2", document={"title": "太阳能光伏组件"}, refresh="wait_for")
        found = await es.search(index=index, query={"multi_match": {"query": "锂电池",
                                                                    "fields": ["title", "title.words"]}})
        missing = await es.search(index=index, query={"match": {"title": "电动汽车"}})
    finally:
        await es.options(ignore_status=404).indices.delete(index=index)
        await es.close()
    assert [h["_id"] for h in found["hits"]["hits"]] == ["1"]
    assert missing["hits"]["total"]["value"] == 0
