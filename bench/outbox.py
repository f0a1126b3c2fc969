"""Events/s and latency through outbox → relay → Kafka → EventConsumer, beside raw Kafka.

``python -m bench outbox`` (the stack must be up; reads ``PSM_*`` like ``psm serve``).
It makes its own database and topic prefix, removes both at the end, and stops by
itself in well under three minutes. Three measurements:

* **baseline**: raw aiokafka, produce → consume, messages of the size of one event;
* **paced**: one event per transaction at 1,000 events/s; latency from the writer's
  commit to the consumer's handler (inside the consumer's transaction);
* **sustained**: writers as fast as they go, ``--per-tx`` events per transaction
  recorded in one statement (``Outbox.record_many``, as a use case that emits several
  events does); events/s the consumer applies while they write, and the whole
  pipeline's rate until the backlog is drained;
* **ceiling**: as many events, from the same writers, through the least a transactional
  outbox needs, written bare (``bench/_bare_outbox.py``): what this machine allows before
  our own work.

The relay and the consumer run in this process, as they do in a service's (on the event
loop and with the collector settings ``psm serve`` uses); the writers
run in a process of their own (they are the services taking requests), so the load they
make does not queue on the event loop of the pipeline being measured. Instants are wall
clock (one machine): the writer's commit, the handler's call.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer

from bench import _bare_outbox as bare_outbox
from bench._scratch import event_schema, in_process
from bench._server import run_like_serve
from events.consumer import EventConsumer, Subscription
from events.envelope import CloudEvent
from events.outbox import Outbox
from events.registry import EventPayload, event_type
from events.relay import OutboxRelay, kafka_producer
from events.supervise import stop_all
from events.topics import Topic, physical
from services.runtime.settings import Settings
from services.tools.main import settle_gc

SCHEMA = "bench"
TARGET_P99_MS = 100.0
TARGET_RATE = 10_000.0  # and ≥ TARGET_RATIO × the raw Kafka baseline (issue 18)
TARGET_RATIO = 0.3


@event_type("psm.bench.pinged.v1", Topic.LISTINGS)
class Pinged(EventPayload):
    n: int
    note: str


def _payload(n: int) -> Pinged:
    # About the size of a real listing event (~500 bytes on the wire).
    return Pinged(n=n, note="x" * 160)


class Clock:
    """Commit and consumption instants per event id."""

    def __init__(self) -> None:
        self.committed: dict[str, float] = {}  # time.time() of each commit (in the writers' process)
        self.consumed: dict[str, float] = {}  # time.time() of each handler call

    def latencies_ms(self) -> list[float]:
        return sorted((self.consumed[i] - t) * 1000 for i, t in self.committed.items() if i in self.consumed)


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))]


async def wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


# -- baseline ------------------------------------------------------------------------------
async def raw_kafka(settings: Settings, prefix: str, size: int, n: int) -> float:
    topic = physical(Topic.PLATFORM.value, prefix)
    producer = kafka_producer(settings.kafka_bootstrap)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=f"{prefix}raw", max_poll_records=500)
    await producer.start()
    await consumer.start()
    try:
        value = b"x" * size
        received = 0

        async def consume() -> None:
            nonlocal received
            while received < n:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    received += len(records)

        reading = asyncio.create_task(consume())
        t0 = time.perf_counter()
        futures = [await producer.send(topic, value=value, key=f"agg-{i % 500}".encode()) for i in range(n)]
        await asyncio.gather(*futures)
        await asyncio.wait_for(reading, 60)
        return n / (time.perf_counter() - t0)
    finally:
        await consumer.stop()
        await producer.stop()


# -- through the backbone --------------------------------------------------------------------
async def paced(pool: asyncpg.Pool, clock: Clock, rate: float, seconds: float, writers: int) -> int:
    outbox = Outbox(SCHEMA, "/psm/bench")
    slots = asyncio.Semaphore(writers)
    n = int(rate * seconds)

    async def write(i: int) -> None:
        async with slots:
            async with pool.acquire() as conn:
                async with conn.transaction():
                    event = await outbox.record(conn, f"agg-{i % 500}", _payload(i))
                clock.committed[event.id] = time.time()

    tasks = []
    t0 = time.perf_counter()
    for i in range(n):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(write(i)))
    await asyncio.gather(*tasks)
    return n


async def flat_out(pool: asyncpg.Pool, clock: Clock, seconds: float, writers: int, per_tx: int) -> int:
    outbox = Outbox(SCHEMA, "/psm/bench")
    stop = time.perf_counter() + seconds
    written = 0

    async def writer(w: int) -> None:
        nonlocal written
        i = 0
        while time.perf_counter() < stop:
            async with pool.acquire() as conn:
                async with conn.transaction():
                    events = await outbox.record_many(conn, [(f"agg-{w}-{i % 10}", _payload(i)) for _ in range(per_tx)])
                now = time.time()
                for event_id in (e.id for e in events):
                    clock.committed[event_id] = now
            written += per_tx
            i += 1

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return written


async def stages(pool: asyncpg.Pool, clock: Clock) -> tuple[float, float, float, float]:
    """p50/p99 of insert → marked published (the relay) and published → handler (Kafka and the consumer)."""
    rows = await pool.fetch(f'SELECT event_id::text AS id, extract(epoch FROM created_at) AS c, '
                            f'extract(epoch FROM published_at) AS p FROM "{SCHEMA}".outbox '
                            "WHERE event_id = ANY($1::uuid[])", list(clock.committed))
    relay = sorted((float(r["p"]) - float(r["c"])) * 1000 for r in rows if r["p"] is not None)
    onward = sorted((clock.consumed[r["id"]] - float(r["p"])) * 1000 for r in rows
                    if r["p"] is not None and r["id"] in clock.consumed)
    return percentile(relay, 50), percentile(relay, 99), percentile(onward, 50), percentile(onward, 99)


def _writers_main(database_url: str, mode: str, rate: float, seconds: float, writers: int, per_tx: int,
                  out) -> None:
    """The writers' process: write, then send back (events written, seconds, commit instants)."""
    async def write() -> tuple[int, float, dict[str, float]]:
        pool = await asyncpg.create_pool(database_url, min_size=4, max_size=max(4, min(writers, 40)))
        try:
            clock = Clock()
            t0 = time.time()
            if mode == "paced":
                n = await paced(pool, clock, rate, seconds, writers)
            else:
                n = await flat_out(pool, clock, seconds, writers, per_tx)
            return n, time.time() - t0, clock.committed
        finally:
            await pool.close()

    out.send(run_like_serve(write()))
    out.close()


async def in_writers_process(database_url: str, mode: str, *, rate: float = 0, seconds: float, writers: int,
                             per_tx: int = 1) -> tuple[int, float, dict[str, float]]:
    return await in_process(_writers_main, database_url, mode, rate, seconds, writers, per_tx,
                            name=f"bench-writers-{mode}")


async def run(settings: Settings, args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    async with event_schema(settings, SCHEMA, pool_max=40) as (bench, pool):
        prefix = bench.topic_prefix
        sample = CloudEvent.of(_payload(10_000), source="/psm/bench", subject="agg-100", sequence=100).to_json()
        size = len(sample)

        baseline = await raw_kafka(bench, prefix, size, args.baseline_events)
        out.append(f"baseline  raw aiokafka produce→consume ({size} B messages): {baseline:,.0f} msg/s")

        clock = Clock()

        async def handler(conn, event, payload) -> None:
            clock.consumed[event.id] = time.time()

        relay = OutboxRelay(database_url=bench.database_url, schema=SCHEMA, kafka_bootstrap=bench.kafka_bootstrap,
                            topic_prefix=prefix)
        dlq_producer = kafka_producer(bench.kafka_bootstrap)
        await dlq_producer.start()
        consumer = EventConsumer(Subscription(name="bench", schema=SCHEMA, topics=[Topic.LISTINGS],
                                              handlers={Pinged.TYPE: handler}),
                                 pool=pool, kafka_bootstrap=bench.kafka_bootstrap, topic_prefix=prefix,
                                 producer=dlq_producer)
        await settle_gc()  # the collector as psm serve sets it (and its event loop: run_like_serve)
        tasks = [asyncio.create_task(relay.run(), name="bench-relay"),
                 asyncio.create_task(consumer.run(), name="bench-consumer")]
        try:
            # Warm-up: the consumer has joined its group and the path is hot.
            await paced(pool, clock, 200, 1, 10)
            if not await wait_for(lambda: len(clock.consumed) >= len(clock.committed), 60):
                raise RuntimeError("warm-up events never reached the consumer")

            clock = Clock()
            n, _, clock.committed = await in_writers_process(bench.database_url, "paced", rate=args.rate,
                                                             seconds=args.seconds, writers=100)
            await wait_for(lambda: len(clock.consumed) >= n, 30)
            lat = clock.latencies_ms()
            p50, p99 = percentile(lat, 50), percentile(lat, 99)
            split = await stages(pool, clock)
            out.append(f"paced     {args.rate:,.0f} events/s for {args.seconds:.0f}s, one event per transaction: "
                       f"{len(lat):,}/{n:,} consumed; commit→handler latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                       f"max {lat[-1] if lat else float('nan'):.1f} ms   "
                       f"[target p99 ≤ {TARGET_P99_MS:.0f} ms: {'met' if p99 <= TARGET_P99_MS else 'MISSED'}]")
            out.append(f"          of which insert→relay marked published p50 {split[0]:.1f} ms, p99 {split[1]:.1f} ms; "
                       f"published→handler p50 {split[2]:.1f} ms, p99 {split[3]:.1f} ms")

            clock = Clock()
            t0 = time.time()
            n, writing_s, clock.committed = await in_writers_process(
                bench.database_url, "flat_out", seconds=args.seconds, writers=args.writers, per_tx=args.per_tx)
            t_written = time.time()
            # What the handler had applied by the time the writers stopped (their last commit).
            last_commit = max(clock.committed.values(), default=t_written)
            consumed_while_writing = sum(1 for t in clock.consumed.values() if t <= last_commit)
            drained = await wait_for(lambda: len(clock.consumed) >= n, 60)
            t_done = max(clock.consumed.values(), default=time.time())
            during = consumed_while_writing / max(1e-9, last_commit - t0)
            overall = len(clock.consumed) / max(1e-9, t_done - t0)
            lat = clock.latencies_ms()
            out.append(f"sustained {args.writers} writers × {args.per_tx} events/transaction for {args.seconds:.0f}s: "
                       f"written {n / writing_s:,.0f} events/s; consumed {during:,.0f} events/s while "
                       f"writing, {overall:,.0f} events/s end to end ({len(clock.consumed):,}/{n:,} in "
                       f"{t_done - t0:.1f}s{'' if drained else ', NOT drained'}); p50 {percentile(lat, 50):.0f} ms, "
                       f"p99 {percentile(lat, 99):.0f} ms   "
                       f"[target ≥ {TARGET_RATE:,.0f} events/s: {'met' if overall >= TARGET_RATE else 'MISSED'}; "
                       f"ratio to raw {overall / baseline:.2f}, target ≥ {TARGET_RATIO}: "
                       f"{'met' if overall / baseline >= TARGET_RATIO else 'MISSED'}]")
            out.append(f"relay published {relay.published_total:,}; consumer applied {consumer.stats.applied:,}, "
                       f"ignored {consumer.stats.ignored:,}, dead-lettered {consumer.stats.dead_lettered:,}")
        finally:
            await stop_all(tasks)
            await dlq_producer.stop()
        written, wrote, bare = await bare_outbox.sustained(
            bench.database_url, bench.kafka_bootstrap, physical(Topic.DEALS.value, prefix), events=n,
            writers=args.writers, per_tx=args.per_tx, body=sample.decode())
        out.append(f"ceiling   the least an outbox needs, bare (bench/_bare_outbox.py; as many events, the same "
                   f"writers, producer and database): written {wrote:,.0f} events/s; {bare:,.0f} events/s end to end = "
                   f"{bare / baseline:.2f} × raw; ours ÷ ceiling = {overall / bare:.2f}")
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench outbox", description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=1000.0, help="paced events/s (default 1000)")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    ap.add_argument("--writers", type=int, default=20, help="flat-out writer tasks")
    ap.add_argument("--per-tx", type=int, default=10, help="events per flat-out transaction")
    ap.add_argument("--baseline-events", type=int, default=50_000)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()

    async def bounded() -> list[str]:
        async with asyncio.timeout(170):  # the whole run stops by itself in under 3 minutes
            return await run(settings, args)

    t0 = time.monotonic()
    lines = run_like_serve(bounded())
    print(f"bench outbox — {Path('/proc/cpuinfo').read_text().count('processor')} CPUs, "
          f"PostgreSQL + Kafka of the local stack, {time.monotonic() - t0:.0f}s")
    for line in lines:
        print("  " + line)
    return 0
