"""Read-your-writes across services: after a 2xx, a dependent request on any service
sees its effect, without the client retrying.

Two halves, each bounded in time:

* **A write is answered once its events are on Kafka.** After the request's
  transaction commits, the HTTP layer waits until the relay has published every
  outbox row up to the last one the request wrote (``OutboxFlush``). The relay
  NOTIFYs ``psm_published_<schema>`` after each round, so the wait is the relay's
  own latency, not a poll.
* **A request reads only after its service has caught up.** Before a request runs,
  ``ConsumerBarrier`` takes the end offsets of the topics its service's consumer
  groups read, then waits until those groups have *committed* offsets at least as
  far. Consumers commit only after their transaction has applied the events, and
  committed offsets are the groups' own, whichever replica holds a partition; so
  whatever was on Kafka when the request arrived (the earlier write's events among
  it) is in the service's read models when it runs.

Together: the earlier write's events were on Kafka before its 2xx, so they are below
the end offsets the later request takes, and its service has applied them.

``Outcomes`` lets a request wait for a decision another context makes (a reservation
asked of the register): the consumer that applies the decision NOTIFYs
``psm_outcome_<schema>`` with the aggregate's id.

Everything here is a wait with a deadline: past it the request goes on (a write is
still durable; a saga answers 202 with a resource to poll). Only a Kafka that does not
answer at all stops a request that needs its service caught up: nothing can be known
fresh then, and the HTTP layer answers 503 (services/runtime/http/consistency.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Generic, NamedTuple, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from events.clients import start_safely, stop_safely
from events.outages import OUTAGES

log = logging.getLogger("psm.consistency")
FETCH_TIMEOUT_S = 5.0  # one fetch of offsets from Kafka, at most
# An error Kafka gave (a broker coming back, a coordinator loading its groups) is asked
# again this often, within the wait's bound.
KAFKA_RETRY_S = 0.05

T = TypeVar("T")


def published_channel(schema: str) -> str:
    return f"psm_published_{schema}"


def outcome_channel(schema: str) -> str:
    return f"psm_outcome_{schema}"


async def announce_outcome(conn: asyncpg.Connection, schema: str, key: str) -> None:
    """Wake whoever waits for ``key``'s outcome (delivered at commit, never for a rollback)."""
    await conn.execute("SELECT pg_notify($1, $2)", outcome_channel(schema), key)


# -- what a request wrote ----------------------------------------------------------------
# The outbox notes here the last id it wrote per schema, for the request that runs in
# this task (the HTTP layer sets a fresh dict per request; other tasks have none).
WRITTEN: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar("psm_written", default=None)


def note_written(schema: str, outbox_id: int) -> None:
    written = WRITTEN.get()
    if written is not None and outbox_id > written.get(schema, 0):
        written[schema] = outbox_id


# -- LISTEN ------------------------------------------------------------------------------
class Notices:
    """One LISTEN connection per process, shared by every waiter: a notice on a channel
    wakes that channel's waiters (all of them, or those of its payload's key)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._conn: asyncpg.Connection | None = None
        self._channels: set[str] = set()
        self._events: dict[tuple[str, str], set[asyncio.Event]] = defaultdict(set)
        self._last: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self._conn = await asyncpg.connect(self.database_url,
                                           server_settings={"application_name": "psm-notices"})

    async def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close(timeout=2)
            self._conn = None

    async def _listen(self, channel: str) -> bool:
        if channel in self._channels:
            return True
        async with self._lock:
            if channel in self._channels:
                return True
            if self._conn is None or self._conn.is_closed():
                try:
                    await self.start()
                except (OSError, asyncpg.PostgresError) as e:
                    log.debug("notices: cannot connect: %s", e)
                    return False
                self._channels.clear()
            try:
                await self._conn.add_listener(channel, self._on_notice)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                log.debug("notices: cannot listen on %s: %s", channel, e)
                return False
            self._channels.add(channel)
            return True

    def last_notice(self, channel: str) -> float:
        """When (time.monotonic) the last notice on ``channel`` arrived; 0.0 if none has."""
        return self._last.get(channel, 0.0)

    def _on_notice(self, _conn, _pid, channel: str, payload: str) -> None:
        self._last[channel] = time.monotonic()
        for key in ("", payload) if payload else ("",):
            for event in self._events.get((channel, key), ()):
                event.set()

    @contextlib.asynccontextmanager
    async def watching(self, channel: str, key: str = ""):
        """An ``asyncio.Event`` set by each notice on ``channel`` (with payload ``key``,
        if given). Listening starts before the body runs, so nothing falls between a
        check and the wait that follows it."""
        event = asyncio.Event()
        self._events[(channel, key)].add(event)
        try:
            await self._listen(channel)
            yield event
        finally:
            waiters = self._events[(channel, key)]
            waiters.discard(event)
            if not waiters:
                del self._events[(channel, key)]


async def _wait_until(event: asyncio.Event, check: Callable[[], Awaitable[T | None]], deadline: float,
                      poll_s: float) -> T | None:
    """Run ``check`` until it returns a value or the deadline passes, re-checking on each
    notice (and every ``poll_s``, in case a notice was missed)."""
    while True:
        event.clear()
        result = await check()
        if result is not None:
            return result
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            async with asyncio.timeout(min(left, poll_s)):
                await event.wait()
        except TimeoutError:
            pass


# -- one fetch for many waiters ----------------------------------------------------------
def _retrieved(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()


class _Shared(Generic[T]):
    """One fetch in flight, shared by every caller: a caller gets the result of a fetch
    that started after it asked (so it is at least as fresh as the caller needs)."""

    def __init__(self, fetch: Callable[[], Awaitable[T]]) -> None:
        self._fetch = fetch
        self._task: asyncio.Future[T] | None = None
        self._started = 0.0
        self._last: tuple[float, T] | None = None  # the last answer, and when its fetch started

    async def fresh(self, since: float) -> T:
        if self._last is not None and self._last[0] >= since:
            return self._last[1]
        while True:
            if self._task is None or self._task.done():
                self._started = time.monotonic()
                self._task = asyncio.ensure_future(self._fetch())
                # Its callers may all have given up (their own deadlines) before it ends:
                # its failure is theirs to see, or nobody's, never an unretrieved one.
                self._task.add_done_callback(_retrieved)
            started, task = self._started, self._task
            result = await asyncio.shield(task)
            if self._last is None or started > self._last[0]:
                self._last = (started, result)
            if started >= since:
                return result

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


# -- a write's events on Kafka -----------------------------------------------------------
class OutboxFlush:
    """Waits until a schema's outbox has been published up to a given id.

    Every waiter of a schema shares one question to PostgreSQL — the lowest id still
    unpublished — asked once per relay notice, not once per waiter: fifty requests
    waiting for their events each asked on every notice (bench/PROFILE.md, issue 19).
    A waiter takes only an answer asked after both its own write and the last notice,
    so the answer is at least as fresh as the question it stands for.
    """

    def __init__(self, notices: Notices, pool: asyncpg.Pool, *, poll_s: float = 0.25) -> None:
        self.notices = notices
        self.pool = pool
        self.poll_s = poll_s
        self._lowest: dict[str, _Shared[int | None]] = {}

    def _lowest_unpublished(self, schema: str) -> _Shared[int | None]:
        if schema not in self._lowest:
            async def fetch() -> int | None:
                async with self.pool.acquire() as conn:
                    return await conn.fetchval(f'SELECT min(id) FROM "{schema}".outbox WHERE published_at IS NULL')
            self._lowest[schema] = _Shared(fetch)
        return self._lowest[schema]

    async def close(self) -> None:
        for shared in self._lowest.values():
            await shared.close()

    async def wait(self, schema: str, upto: int, timeout: float) -> bool:
        """True once no row with an id ≤ ``upto`` is unpublished (False after ``timeout``)."""
        channel, lowest = published_channel(schema), self._lowest_unpublished(schema)
        since = time.monotonic()  # the rows up to ``upto`` were committed before this

        async def flushed() -> bool | None:
            nonlocal since
            since = max(since, self.notices.last_notice(channel))
            try:
                low = await lowest.fresh(since)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return None
            since = time.monotonic()  # a re-check without a notice (the poll) asks again
            return True if low is None or low > upto else None

        deadline = time.monotonic() + timeout
        async with self.notices.watching(channel) as event:
            return bool(await _wait_until(event, flushed, deadline, self.poll_s))


# -- a service caught up -----------------------------------------------------------------
class Reading(NamedTuple):
    """What ``ConsumerBarrier.wait`` found: ``state``, and ``horizon`` — a time
    (``time.monotonic``) by which whatever the groups derived from the events they caught
    up with was on Kafka (a consumer commits only once what it wrote is published). A
    later round that takes the topics' ends fetched after ``horizon`` sees it."""

    state: str
    horizon: float


class ConsumerBarrier:
    """Waits until consumer groups have committed what their topics held when asked.

    ``groups`` maps each group id (of every consumer this process runs) to the
    physical topics it reads; ``wait`` takes the groups of one service. One client pair
    per process; concurrent requests share each fetch.

    The process's own consumers tell it what they committed (``committed_here``) and
    which partitions they hold (``hold``): a partition committed far enough here needs
    no question to Kafka, and one held here is waited for on its consumer's next commit
    once the coordinator has said, once, where the group stood on it. Partitions held
    elsewhere (another replica) are asked of Kafka's coordinator each time.
    What this process committed is a lower bound of the group's offset: a member of a
    later generation starts from it, and a stale member's commit is refused.
    """

    def __init__(self, bootstrap: str, groups: dict[str, Sequence[str]], *, poll_s: float = 0.005,
                 held_poll_s: float = 0.05) -> None:
        self.bootstrap = bootstrap
        self.groups = {g: list(ts) for g, ts in groups.items()}
        self.poll_s = poll_s
        self.held_poll_s = held_poll_s  # a held partition is re-checked this often (a rebalance may move it)
        self._local: dict[str, dict[TopicPartition, tuple[int, float]]] = {g: {} for g in self.groups}
        self._holders: dict[str, Callable[[], Collection[TopicPartition]]] = {}
        self._commit: asyncio.Future[None] | None = None  # resolved at this process's next commit
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._partitions: dict[str, list[TopicPartition]] = {}
        self._ends = _Shared(self._end_offsets)
        self._committed = {g: _Shared(self._committed_fetch(g)) for g in self.groups}
        self._coordinators: dict[str, int] = {}  # group → its coordinator's node id

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await start_safely(consumer)
        try:
            await admin.start()
        except BaseException:
            await stop_safely(consumer)
            raise
        self._consumer, self._admin = consumer, admin

    async def stop(self) -> None:
        await self._ends.close()
        for shared in self._committed.values():
            await shared.close()
        if self._admin is not None:
            with contextlib.suppress(Exception):
                await self._admin.close()
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await stop_safely(self._consumer)

    async def _topic_partitions(self, topic: str) -> list[TopicPartition]:
        if topic not in self._partitions:
            assert self._consumer is not None
            parts = self._consumer.partitions_for_topic(topic)
            if not parts:
                await self._consumer._client.force_metadata_update()  # noqa: SLF001 — a topic first seen
                parts = self._consumer.partitions_for_topic(topic) or set()
            if not parts:
                return []
            self._partitions[topic] = [TopicPartition(topic, p) for p in sorted(parts)]
        return self._partitions[topic]

    async def _end_offsets(self) -> dict[TopicPartition, int]:
        assert self._consumer is not None
        # Bounded: a fetch hanging on a broker that went away would hold every later
        # request (they share it) long after the broker is back.
        async with asyncio.timeout(FETCH_TIMEOUT_S):
            tps = [tp for t in sorted({t for ts in self.groups.values() for t in ts})
                   for tp in await self._topic_partitions(t)]
            ends = await self._consumer.end_offsets(tps) if tps else {}
        # Kafka answered: an outage is over for every later request, also when the
        # requests that started this fetch had stopped waiting for it (their bound is
        # short during an outage; a fetch that outlived it must still end the outage).
        OUTAGES.answered("kafka")
        return ends

    def _committed_fetch(self, group: str) -> Callable[[], Awaitable[dict[TopicPartition, int]]]:
        async def fetch() -> dict[TopicPartition, int]:
            admin = self._admin
            assert admin is not None
            async with asyncio.timeout(FETCH_TIMEOUT_S):
                # The group's coordinator is remembered: asking for it on every fetch was
                # a second round trip, and a fifth of a read's CPU (bench/PROFILE.md).
                if group not in self._coordinators:
                    self._coordinators[group] = await admin.find_coordinator(group)
                try:
                    answer = await admin.list_consumer_group_offsets(group, self._coordinators[group])
                except KafkaError:  # the coordinator moved (or Kafka is away: then this fails too)
                    self._coordinators[group] = await admin.find_coordinator(group)
                    answer = await admin.list_consumer_group_offsets(group, self._coordinators[group])
            return {tp: meta.offset for tp, meta in answer.items() if meta is not None and meta.offset >= 0}
        return fetch

    # -- what this process's consumers say ----------------------------------------------
    def hold(self, group: str, assignment: Callable[[], Collection[TopicPartition]]) -> Callable[[], None]:
        """A consumer of ``group`` in this process joined; ``assignment`` tells, when asked,
        the partitions it holds. Returns what to call when it leaves."""
        self._holders[group] = assignment

        def release() -> None:
            if self._holders.get(group) is assignment:
                del self._holders[group]
        return release

    def committed_here(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        """A consumer of ``group`` in this process committed ``offsets`` (after applying them)."""
        local = self._local.get(group)
        if local is None:
            return
        now = time.monotonic()
        for tp, offset in offsets.items():
            if offset > local.get(tp, (-1, 0.0))[0]:
                local[tp] = (offset, now)
        if self._commit is not None and not self._commit.done():
            self._commit.set_result(None)
        self._commit = None

    async def _next_commit(self, timeout: float) -> None:
        if self._commit is None or self._commit.done():
            self._commit = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._commit), timeout)

    def _held_here(self, group: str) -> set[TopicPartition]:
        holder = self._holders.get(group)
        return set(holder()) if holder is not None else set()

    def _unmet_here(self, group: str, target: Mapping[TopicPartition, int], horizon: float) -> tuple[dict, float]:
        """``target``'s partitions this process's commits do not cover yet, and the horizon
        raised to the commits that do."""
        local, unmet = self._local[group], {}
        for tp, end in target.items():
            offset, at = local.get(tp, (-1, 0.0))
            if offset >= end:
                horizon = max(horizon, at)
            else:
                unmet[tp] = end
        return unmet, horizon

    async def wait(self, groups: Sequence[str], timeout: float, *, reach_timeout: float | None = None,
                   since: float | None = None) -> Reading:
        """Whether each of ``groups`` has committed past what its topics held at the call
        (or at ``since``, an earlier round's horizon): state ``"caught_up"``; ``"lagging"``
        when they had not within ``timeout``; or ``"unreachable"`` when Kafka did not even
        say what its topics held (within ``reach_timeout``, by default ``timeout``) — no
        read can be known fresh then; ``"idle"`` when none of ``groups`` is this process's."""
        asked = since if since is not None else time.monotonic()
        groups = [g for g in groups if g in self.groups]
        if self._consumer is None or not groups:
            return Reading("idle", asked)  # nothing to wait for (Kafka was not asked)
        try:
            async with asyncio.timeout(reach_timeout if reach_timeout is not None else timeout):
                while True:
                    try:
                        ends = await self._ends.fresh(asked)
                        break
                    except KafkaError:
                        # A broker coming back fails a first question or two (its connection
                        # not ready yet, a partition without a leader for a moment) before it
                        # answers: asked again within the bound. Unreachable is no answer in it.
                        await asyncio.sleep(KAFKA_RETRY_S)
        except TimeoutError:
            return Reading("unreachable", asked)
        horizon = asked
        try:
            async with asyncio.timeout(max(0.0, timeout - (time.monotonic() - asked))):
                targets = {g: {tp: ends[tp] for t in self.groups[g] for tp in self._partitions.get(t, ())
                               if ends.get(tp, 0) > 0} for g in groups}
                while True:
                    for g in list(targets):
                        targets[g], horizon = self._unmet_here(g, targets[g], horizon)
                    targets = {g: t for g, t in targets.items() if t}
                    if not targets:
                        return Reading("caught_up", horizon)
                    # A partition held here is waited for on its consumer's next commit once
                    # this process knows where the group stood on it; until then (a consumer just
                    # joined, or a partition newly assigned) Kafka is asked: an idle group's
                    # consumer commits nothing, and its reads waited out the whole bound.
                    elsewhere = [g for g, t in targets.items()
                                 if not t.keys() <= self._held_here(g) or not t.keys() <= self._local[g].keys()]
                    if not elsewhere:  # every partition waited for is this process's: its commit says when
                        await self._next_commit(self.held_poll_s)
                        continue
                    asked_kafka = time.monotonic()
                    try:
                        answers = await asyncio.gather(*(self._committed[g].fresh(asked_kafka) for g in elsewhere))
                    except KafkaError:
                        # Kafka said what its topics hold, but a group's coordinator did not
                        # answer (it moved, or a restarted broker is still loading the group):
                        # the commits are unknown, as a lagging group's are — asked again
                        # until the bound. Not an outage: Kafka just answered.
                        await self._next_commit(KAFKA_RETRY_S)
                        continue
                    horizon = max(horizon, time.monotonic())  # what they committed, they committed before the answer
                    for g, committed in zip(elsewhere, answers):
                        local = self._local[g]
                        for tp in targets[g].keys() & self._held_here(g) - local.keys():
                            local[tp] = (committed.get(tp, -1), horizon)  # known here from now on
                        targets[g] = {tp: end for tp, end in targets[g].items() if committed.get(tp, 0) < end}
                    if any(targets.values()):
                        await self._next_commit(self.poll_s)
        except TimeoutError:
            return Reading("lagging", horizon)


# -- a decision made elsewhere -----------------------------------------------------------
class Outcomes:
    """Waits for the outcome of an aggregate whose fate another context decides."""

    def __init__(self, notices: Notices, pool: asyncpg.Pool, *, poll_s: float = 0.25) -> None:
        self.notices = notices
        self.pool = pool
        self.poll_s = poll_s

    async def wait(self, schema: str, key: str, check: Callable[[asyncpg.Connection], Awaitable[T | None]],
                   timeout: float) -> T | None:
        """``check(conn)``'s first non-None answer, re-asked on each outcome notice for
        ``key``; None if there is none within ``timeout``."""
        async def ask() -> T | None:
            async with self.pool.acquire() as conn:
                return await check(conn)

        deadline = time.monotonic() + timeout
        async with self.notices.watching(outcome_channel(schema), key) as event:
            return await _wait_until(event, ask, deadline, self.poll_s)
