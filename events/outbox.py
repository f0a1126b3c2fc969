"""The transactional outbox: events are recorded in the transaction that changes state.

A service calls ``await outbox.record(conn, subject, payload)`` inside its own asyncpg
transaction. The aggregate's next sequence number is allocated in that transaction,
and the relay (events.relay) publishes the row once the transaction has committed. So
a state change and its event are either both kept or both gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from events.consistency import note_written
from events.envelope import CloudEvent
from events.registry import EventPayload


def notify_channel(schema: str) -> str:
    return f"psm_outbox_{schema}"


@dataclass(frozen=True)
class Outbox:
    """The outbox of one service schema; ``source`` is the CloudEvents source, e.g. ``/psm/platform``."""

    schema: str
    source: str

    async def record(self, conn: asyncpg.Connection, subject: str, payload: EventPayload,
                     *, traceparent: str | None = None) -> CloudEvent:
        if not conn.is_in_transaction():
            raise RuntimeError("outbox.record must run inside the transaction that changes the state")
        # One round trip for the three steps:
        # 1. Upsert-and-increment the aggregate's counter. It takes a row lock until
        #    commit: two transactions on one aggregate get consecutive numbers, and the
        #    second cannot insert its outbox row before the first has committed, so
        #    outbox ids follow sequence order within an aggregate.
        # 2. Insert the event with that number written into it.
        # 3. NOTIFY the relay; delivered at commit, never for a rolled-back transaction.
        draft = CloudEvent.of(payload, source=self.source, subject=subject, sequence=1, traceparent=traceparent)
        row = await conn.fetchrow(
            f"""WITH seq AS (
                    INSERT INTO "{self.schema}".aggregate_sequences AS a (subject, last_sequence) VALUES ($2, 1)
                    ON CONFLICT (subject) DO UPDATE SET last_sequence = a.last_sequence + 1
                    RETURNING last_sequence),
                ins AS (
                    INSERT INTO "{self.schema}".outbox (topic, subject, sequence, event_id, event)
                    SELECT $1, $2, seq.last_sequence, $3,
                           jsonb_set($4::jsonb, '{{sequence}}', to_jsonb(seq.last_sequence)) FROM seq
                    RETURNING id, sequence)
                SELECT ins.id, ins.sequence FROM ins, pg_notify($5, '')""",
            payload.TOPIC.value, subject, draft.id, draft.as_dict(), notify_channel(self.schema),
        )
        note_written(self.schema, row["id"])
        return draft.model_copy(update={"sequence": row["sequence"]})

    async def record_many(self, conn: asyncpg.Connection, events: Sequence[tuple[str, EventPayload]],
                          *, traceparent: str | None = None) -> list[CloudEvent]:
        """``record`` for many events in three statements, with the same guarantees:
        each subject's sequence comes from the same upsert-and-increment (row-locked
        until commit), and rows are inserted in the order given, so outbox ids follow
        sequence order within an aggregate. Subjects must be distinct (PostgreSQL
        refuses one row twice in an upsert), as they are for new aggregates."""
        if not conn.is_in_transaction():
            raise RuntimeError("outbox.record_many must run inside the transaction that changes the state")
        if not events:
            return []
        subjects = [subject for subject, _ in events]
        if len(set(subjects)) != len(subjects):
            raise ValueError("record_many takes each subject once")
        rows = await conn.fetch(
            f'INSERT INTO "{self.schema}".aggregate_sequences AS a (subject, last_sequence) '
            "SELECT s, 1 FROM unnest($1::text[]) s "
            "ON CONFLICT (subject) DO UPDATE SET last_sequence = a.last_sequence + 1 RETURNING subject, last_sequence",
            subjects,
        )
        sequences = {r["subject"]: r["last_sequence"] for r in rows}
        built = [CloudEvent.of(payload, source=self.source, subject=subject, sequence=sequences[subject],
                               traceparent=traceparent) for subject, payload in events]
        # Events travel as text and are cast in SQL: one encoding, no per-row codec call.
        last_id = await conn.fetchval(
            f'WITH ins AS (INSERT INTO "{self.schema}".outbox (topic, subject, sequence, event_id, event) '
            "SELECT t, s, q, i, e::jsonb FROM unnest($1::text[], $2::text[], $3::int[], $4::uuid[], $5::text[]) "
            "WITH ORDINALITY AS x(t, s, q, i, e, n) ORDER BY n RETURNING id) SELECT max(id) FROM ins",
            [p.TOPIC.value for _, p in events], [e.subject for e in built], [e.sequence for e in built],
            [e.id for e in built], [e.to_json().decode() for e in built],
        )
        note_written(self.schema, last_id)
        await conn.execute("SELECT pg_notify($1, '')", notify_channel(self.schema))
        return built

