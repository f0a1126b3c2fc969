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
        # One round trip for the three steps:
        # 1. Upsert-and-increment the aggregate's counter. It takes a row lock until
        #    commit: two transactions on one aggregate get consecutive numbers, and the
        #    second cannot insert its outbox row before the first has committed, so
        #    outbox ids follow sequence order within an aggregate.
        # 2. Insert the event with that number written into it.
        # 3. NOTIFY the relay; delivered at commit, never for a rolled-back transaction.
        draft = CloudEvent.of(payload, source=self.source, subject=subject, sequence=1, traceparent=traceparent)
        sequence = await conn.fetchval(
            f"""WITH seq AS (
                    INSERT INTO "{self.schema}".aggregate_sequences AS a (subject, last_sequence) VALUES ($2, 1)
                    ON CONFLICT (subject) DO UPDATE SET last_sequence = a.last_sequence + 1
                    RETURNING last_sequence),
                ins AS (
                    INSERT INTO "{self.schema}".outbox (topic, subject, sequence, event_id, event)
                    SELECT $1, $2, seq.last_sequence, $3,
                           jsonb_set($4::jsonb, '{{sequence}}', to_jsonb(seq.last_sequence)) FROM seq
                    RETURNING sequence)
                SELECT ins.sequence FROM ins, pg_notify($5, '')""",
            payload.TOPIC.value, subject, draft.id, draft.as_dict(), notify_channel(self.schema),
        )
        return draft.model_copy(update={"sequence": sequence})
