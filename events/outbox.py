"""The transactional outbox: events are recorded in the transaction that changes state.

A service calls ``await outbox.record(conn, subject, payload)`` inside its own asyncpg
transaction. The aggregate's next sequence number is allocated in that transaction,
and the relay (events.relay) publishes the row once the transaction has committed. So
a state change and its event are either both kept or both gone.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

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
        # Upsert-and-increment takes a row lock on the aggregate's counter until commit:
        # two transactions on one aggregate get consecutive numbers, and the second
        # cannot insert its outbox row before the first has committed, so outbox ids
        # follow sequence order within an aggregate.
        sequence = await conn.fetchval(
            f'INSERT INTO "{self.schema}".aggregate_sequences (subject, last_sequence) VALUES ($1, 1) '
            "ON CONFLICT (subject) DO UPDATE SET last_sequence = aggregate_sequences.last_sequence + 1 "
            "RETURNING last_sequence",
            subject,
        )
        event = CloudEvent.of(payload, source=self.source, subject=subject, sequence=sequence,
                              traceparent=traceparent)
        await conn.execute(
            f'INSERT INTO "{self.schema}".outbox (topic, subject, sequence, event_id, event) '
            "VALUES ($1, $2, $3, $4, $5)",
            payload.TOPIC.value, subject, sequence, event.id, event.as_dict(),
        )
        # Delivered at commit, never for a rolled-back transaction: the relay wakes at once.
        await conn.execute("SELECT pg_notify($1, '')", notify_channel(self.schema))
        return event
