"""The CloudEvents 1.0 envelope, in the Kafka protocol binding's structured mode.

On the wire: value = the JSON event (``content-type: application/cloudevents+json``
header), key = the subject (aggregate id), so that Kafka keeps one aggregate's events
in one partition, in order.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from events.registry import EventPayload, payload_model
from events.tracing import new_traceparent

CONTENT_TYPE = "application/cloudevents+json"
# Beside the structured event, the relay names its type in a header of its own, so that
# a consumer can pass over events of kinds it does not handle without parsing them (a
# consumer group reads every event of its topics). CloudEvents readers go by the
# content-type (structured mode) and ignore it.
TYPE_HEADER = "psm-event-type"


class MalformedEvent(ValueError):
    """The bytes are not a CloudEvent this system can read (a poison message)."""


class CloudEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    # The aggregate id: also the Kafka key and a text column in the consumer tables,
    # which cannot hold NUL.
    subject: str = Field(min_length=1, pattern=r"^[^\x00]+$")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    data: dict[str, Any]
    # Extensions: the event's place in its aggregate's history (1, 2, 3, ... no gaps)
    # and the W3C trace context of the request that caused it.
    # ``integer`` columns in the outbox and consumer tables: a larger number could be
    # read here and then fail every time a consumer tried to store it.
    sequence: int = Field(ge=1, le=2**31 - 1)
    traceparent: str | None = None
    _payload: EventPayload | None = PrivateAttr(default=None)  # validated once, on first use

    @field_validator("specversion")
    @classmethod
    def _v1(cls, v: str) -> str:
        if v != "1.0":
            raise ValueError("only CloudEvents 1.0 is understood")
        return v

    @field_validator("id")
    @classmethod
    def _uuid(cls, v: str) -> str:
        # The consumers key processed_events by a uuid column: an id that is not one
        # must be refused here (a poison message), not fail inside every retry.
        try:
            return str(uuid.UUID(v))
        except ValueError:
            raise ValueError("id must be a UUID") from None

    @field_validator("time")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("time must carry a zone")
        try:
            return v.astimezone(UTC)
        except OverflowError:
            # 0001-01-01T00:00+05:00 has no UTC form; an OverflowError would escape
            # from_json and stop a consumer instead of dead-lettering the message.
            raise ValueError("time is out of range in UTC") from None

    @classmethod
    def of(cls, payload: EventPayload, *, source: str, subject: str, sequence: int,
           traceparent: str | None = None) -> CloudEvent:
        return cls(source=source, type=payload.TYPE, subject=subject, sequence=sequence,
                   data=payload.model_dump(mode="json"), traceparent=traceparent or new_traceparent())

    @staticmethod
    def encode(payload: EventPayload, *, event_id: str, source: str, subject: str, sequence: int, time: datetime,
               traceparent: str | None) -> str:
        """The JSON of ``CloudEvent.of(...)`` (what ``to_json`` writes), built from the payload's
        own JSON instead of a validated envelope: a writer recording thousands of events
        (an import) spent more on building and validating envelopes than on its data.
        The envelope's own rules are checked here (subject, sequence); the payload is a
        validated model already."""
        if not subject or "\x00" in subject:
            raise ValueError(f"an event's subject is a non-empty text without NUL: {subject!r}")
        if not 1 <= sequence <= 2**31 - 1:
            raise ValueError(f"an event's sequence is 1 … 2^31-1: {sequence}")
        if time.tzinfo is None:
            raise ValueError("an event's time carries a zone")
        stamp = time.astimezone(UTC).isoformat().replace("+00:00", "Z")
        trace = f',"traceparent":{json.dumps(traceparent)}' if traceparent is not None else ""
        return (f'{{"specversion":"1.0","id":{json.dumps(event_id)},"source":{json.dumps(source, ensure_ascii=False)},'
                f'"type":{json.dumps(payload.TYPE)},"subject":{json.dumps(subject, ensure_ascii=False)},'
                f'"time":"{stamp}","datacontenttype":"application/json","data":{payload.model_dump_json()},'
                f'"sequence":{sequence}{trace}}}')

    def payload(self) -> EventPayload:
        """The typed, validated ``data`` (raises if the type is unknown or data invalid)."""
        # Through __pydantic_private__ itself: reading a private attribute goes through
        # BaseModel.__getattr__, which cost more than the cached value saved (consumers
        # ask once per handler, several groups ask for one shared event).
        private = self.__pydantic_private__
        payload = private.get("_payload")
        if payload is None:
            payload = private["_payload"] = payload_model(self.type).model_validate(self.data)
        return payload

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> CloudEvent:
        try:
            return cls.model_validate_json(raw)
        except ValueError as e:
            raise MalformedEvent(str(e)) from e

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        return [("content-type", CONTENT_TYPE.encode())]

    def as_dict(self) -> dict[str, Any]:
        return json.loads(self.to_json())
