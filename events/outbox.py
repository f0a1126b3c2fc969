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
from events.envelope import CloudEvent, new_traceparent
from events.registry import EventPayload
from events.tracing import current_traceparent


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

        The trace context is the current one (events.tracing): a request's, or that of
        the event a consumer is applying.
        """
        if not conn.is_in_transaction():
            raise RuntimeError("the outbox records inside the transaction that changes the state")
        if not events:
            return []
        # One trace for what one transaction records (a request's, or the event's a
        # consumer applies; a new one when there is neither), one time for all of it.
        traceparent = current_traceparent() or new_traceparent()
        now = datetime.now(UTC)
        ids = [str(uuid.uuid4()) for _ in events]
        texts = [CloudEvent.encode(payload, event_id=event_id, source=self.source, subject=subject, sequence=1,
                                   time=now, traceparent=traceparent)
                 for event_id, (subject, payload) in zip(ids, events, strict=True)]
        rows = await conn.fetch(
            f"""WITH input AS (
                    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[])
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
                    RETURNING id, event_id, sequence)
                SELECT ins.id, ins.event_id, ins.sequence FROM ins, pg_notify($5, '')""",
            [p.TOPIC.value for _, p in events], [subject for subject, _ in events], ids, texts,
            notify_channel(self.schema),
        )
        sequences = {str(r["event_id"]): r["sequence"] for r in rows}
        note_written(self.schema, max(r["id"] for r in rows))
        return [Recorded(event_id, subject, sequences[event_id], payload.TYPE)
                for event_id, (subject, payload) in zip(ids, events, strict=True)]
