"""The transactional outbox: events are recorded in the transaction that changes state.

A service calls ``await outbox.record(conn, subject, payload)`` inside its own asyncpg
transaction. The aggregate's next sequence number is allocated in that transaction,
and the relay (events.relay) publishes the row once the transaction has committed. So
a state change and its event are either both kept or both gone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import asyncpg

from events.consistency import note_written
from events.envelope import CloudEvent
from events.registry import EventPayload
from events.tracing import current_traceparent, new_traceparent


@dataclass(frozen=True)
class OutboxPart:
    """The outbox's insert as CTEs of another statement (``Outbox.part``)."""

    ctes: str
    args: list
    notify: str  # a FROM item: the relay's NOTIFY, once per statement
    ids: list[str]  # the events' ids, in the order given


class Recorded(NamedTuple):
    """An event as recorded: its id, aggregate, number in the aggregate and type."""

    id: str
    subject: str
    sequence: int
    type: str


def notify_channel(schema: str) -> str:
    return f"psm_outbox_{schema}"


@dataclass(frozen=True)
class Outbox:
    """The outbox of one service schema; ``source`` is the CloudEvents source, e.g. ``/psm/platform``."""

    schema: str
    source: str

    async def record(self, conn: asyncpg.Connection, subject: str, payload: EventPayload) -> Recorded:
        """Record one event of ``subject`` in the caller's transaction."""
        (event,) = await self.record_many(conn, [(subject, payload)])
        return event

    async def record_many(self, conn: asyncpg.Connection, events: Sequence[tuple[str, EventPayload]]) -> list[Recorded]:
        """Record events (several of one aggregate among them, in the order given) in ONE
        statement, inside the caller's transaction.

        1. Upsert-and-increment each subject's counter by its number of events. That takes
           a row lock until commit: two transactions on one aggregate get consecutive
           numbers, and the second cannot insert its outbox rows before the first has
           committed, so outbox ids follow sequence order within an aggregate.
        2. Insert the events, numbered in the order given, with the number written into
           each (rows go in in that order, so ids follow it too).
        3. NOTIFY the relay; delivered at commit, never for a rolled-back transaction.

        The trace context: see ``part``.
        """
        if not conn.is_in_transaction():
            raise RuntimeError("the outbox records inside the transaction that changes the state")
        if not events:
            return []
        part = self.part(events, first_param=1)
        rows = await conn.fetch(f"WITH {part.ctes} SELECT ins.id, ins.event_id, ins.sequence FROM ins, {part.notify}",
                                *part.args)
        sequences = {str(r["event_id"]): r["sequence"] for r in rows}
        self.written(max(r["id"] for r in rows))
        return [Recorded(event_id, subject, sequences[event_id], payload.TYPE)
                for event_id, (subject, payload) in zip(part.ids, events, strict=True)]

    def part(self, events: Sequence[tuple[str, EventPayload]], *, first_param: int) -> OutboxPart:
        """``record_many`` as part of a statement of the caller's: its CTEs (the last one,
        ``ins``, returns each row's ``id``, ``event_id`` and ``sequence``), their arguments
        from ``$first_param``, and the relay's NOTIFY to put in the statement's FROM. A
        state change and its events in one round trip (a bid, inside the auction's row
        lock); the caller then passes the highest outbox id to ``written``.

        The trace context is the current one (events.tracing): a request's, or that of
        the event a consumer is applying; one for what one statement records (a new one
        when there is none), and one time for all of it.
        """
        traceparent = current_traceparent() or new_traceparent()
        now = datetime.now(UTC)
        ids = [str(uuid.uuid4()) for _ in events]
        texts = [CloudEvent.encode(payload, event_id=event_id, source=self.source, subject=subject, sequence=1,
                                   time=now, traceparent=traceparent)
                 for event_id, (subject, payload) in zip(ids, events, strict=True)]
        p = [f"${first_param + i}" for i in range(5)]
        ctes = f"""input AS (
                    SELECT * FROM unnest({p[0]}::text[], {p[1]}::text[], {p[2]}::uuid[], {p[3]}::text[])
                    WITH ORDINALITY AS x(topic, subject, event_id, event, n)),
                counts AS (SELECT subject, count(*)::int AS k FROM input GROUP BY subject),
                seq AS (
                    INSERT INTO "{self.schema}".aggregate_sequences AS a (subject, last_sequence)
                    SELECT subject, k FROM counts ORDER BY subject
                    ON CONFLICT (subject) DO UPDATE SET last_sequence = a.last_sequence + EXCLUDED.last_sequence
                    RETURNING subject, last_sequence),
                numbered AS (
                    SELECT i.topic, i.subject, i.event_id, i.event, i.n,
                           s.last_sequence - c.k + row_number() OVER (PARTITION BY i.subject ORDER BY i.n) AS sequence
                    FROM input i JOIN seq s USING (subject) JOIN counts c USING (subject)),
                ins AS (
                    INSERT INTO "{self.schema}".outbox (topic, subject, sequence, event_id, event)
                    SELECT topic, subject, sequence, event_id, jsonb_set(event::jsonb, '{{sequence}}', to_jsonb(sequence))
                    FROM numbered ORDER BY n
                    RETURNING id, event_id, sequence)"""
        args = [[payload.TOPIC.value for _, payload in events], [subject for subject, _ in events], ids, texts,
                notify_channel(self.schema)]
        return OutboxPart(ctes=ctes, args=args, notify=f"pg_notify({p[4]}, '')", ids=ids)

    def written(self, upto: int) -> None:
        """The caller's transaction wrote this outbox up to id ``upto`` (what a request
        waits to see published before it answers)."""
        note_written(self.schema, upto)
