"""The CloudEvents envelope and the event-type registry: pure, no I/O."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.envelope import CONTENT_TYPE, CloudEvent, MalformedEvent
from events.registry import EventPayload, event_type, payload_model
from events.schemas.platform import OrgRegistered
from events.topics import Topic

json_leaf = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False,
                                                                                  allow_infinity=False) | st.text()
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
zones = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
# Extension attributes: lower-case alphanumeric names (CloudEvents 1.0 §3.1.1) that are
# not context attributes already; values are never null (null means "absent").
extension_names = st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True).filter(
    lambda n: n not in CloudEvent.model_fields)
extension_values = st.booleans() | st.integers(-(2**31), 2**31) | st.text()

events = st.builds(
    CloudEvent,
    id=st.uuids().map(str),
    source=st.text(min_size=1).map(lambda s: "/psm/" + s),
    type=st.sampled_from(["psm.org.registered.v1", "psm.anything.happened.v7"]),
    subject=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1),
    time=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones),
    data=st.dictionaries(st.text(max_size=10), json_value, max_size=6),
    sequence=st.integers(1, 2**31 - 1),
    traceparent=st.none() | st.from_regex(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]", fullmatch=True),
).flatmap(lambda e: st.dictionaries(extension_names, extension_values, max_size=3).map(
    lambda ext: e.model_copy(update=ext)))


@given(events)
def test_an_event_survives_the_wire_unchanged(event: CloudEvent):
    back = CloudEvent.from_json(event.to_json())

    assert back == event
    assert back.model_extra == event.model_extra
    assert back.time.utcoffset() == timedelta(0)


@given(events)
def test_the_wire_form_is_structured_mode_json(event: CloudEvent):
    wire = json.loads(event.to_json())

    assert wire["specversion"] == "1.0"
    assert {"id", "source", "type", "subject", "time", "data", "sequence"} <= wire.keys()
    assert event.kafka_headers() == [("content-type", CONTENT_TYPE.encode())]


@given(st.binary())
def test_arbitrary_bytes_are_an_event_or_malformed_never_another_error(raw: bytes):
    try:
        CloudEvent.from_json(raw)
    except MalformedEvent:
        pass


def _valid() -> dict:
    return json.loads(CloudEvent(source="/psm/t", type="psm.org.registered.v1", subject="o-1", sequence=1,
                                 data={}).to_json())


@given(st.sampled_from(["specversion", "id", "source", "type", "subject", "time", "data", "sequence"]),
       json_value | st.sampled_from(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "not-a-uuid",
                                     "1970-01-01T00:00:00", 0, -1, 2**31, "2.0"]))
def test_a_wrong_or_out_of_range_attribute_is_malformed_never_another_error(name: str, value):
    raw = json.dumps({**_valid(), name: value})
    try:
        event = CloudEvent.from_json(raw)
    except MalformedEvent:
        return
    # What is accepted is something the outbox and consumer tables can store.
    uuid.UUID(event.id)
    assert 1 <= event.sequence < 2**31
    assert event.time.tzinfo is not None


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b"{}", b"\xff\xfe", b"{" * 100_000,
                                 b'{"specversion": "0.3"}'])
def test_known_bad_inputs_are_malformed(raw: bytes):
    with pytest.raises(MalformedEvent):
        CloudEvent.from_json(raw)


def test_an_event_made_from_a_payload_carries_its_type_and_typed_data():
    payload = OrgRegistered(org_id="o-1", kind="enterprise", name="宁德", country="CN")
    event = CloudEvent.of(payload, source="/psm/platform", subject="o-1", sequence=3)

    assert event.type == "psm.org.registered.v1"
    assert event.payload() == payload
    assert CloudEvent.from_json(event.to_json()).payload() == payload
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", event.traceparent)


def test_a_time_without_a_zone_is_refused():
    with pytest.raises(ValueError):
        CloudEvent(source="/psm/t", type="psm.org.registered.v1", subject="o-1", sequence=1, data={},
                   time=datetime(2024, 1, 1))


def test_the_time_is_kept_in_utc():
    event = CloudEvent(source="/psm/t", type="psm.org.registered.v1", subject="o-1", sequence=1, data={},
                       time=datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))))
    assert event.time == datetime(2024, 1, 1, tzinfo=UTC)
    assert event.time.tzinfo == UTC


# -- the registry -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["psm.org.registered.v1", "psm.listing.price_changed.v12",
                                  "psm.org.key.issued.v2"])
def test_a_well_formed_type_name_is_accepted(name: str):
    event_type(name, Topic.PLATFORM)  # the decorator is made; nothing is registered yet


@pytest.mark.parametrize("name", ["org.registered.v1", "psm.registered.v1", "psm.org.registered",
                                  "psm.org.registered.v", "psm.org.registered.1", "psm.org.registered.V1",
                                  "psm.org.registered.v²", "psm..registered.v1", "psm.Org.registered.v1",
                                  "psm.org.re gistered.v1", "psm.org.registered.v1 ", "psm.org.registered.v1.",
                                  "psm.org.registered.v٣"])
def test_a_malformed_type_name_is_refused(name: str):
    with pytest.raises(ValueError, match="psm.<aggregate>.<verb>.v<N>"):
        event_type(name, Topic.PLATFORM)


@given(st.text(max_size=40))
def test_type_names_are_accepted_exactly_when_they_match_the_convention(name: str):
    convention = re.fullmatch(r"psm(\.[a-z][a-z0-9_]*){2,}\.v[0-9]+", name, flags=re.ASCII)
    try:
        event_type(name, Topic.PLATFORM)
    except ValueError:
        assert convention is None
    else:
        assert convention is not None


def test_one_type_name_cannot_name_two_payloads():
    @event_type("psm.unittest.registered_once.v1", Topic.PLATFORM)
    class First(EventPayload):
        x: int

    with pytest.raises(ValueError, match="registered twice"):
        @event_type("psm.unittest.registered_once.v1", Topic.PLATFORM)
        class Second(EventPayload):
            x: int

    assert payload_model("psm.unittest.registered_once.v1") is First
    assert First.TOPIC is Topic.PLATFORM


@given(subject=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1),
       name=st.text(min_size=1, max_size=40), sequence=st.integers(1, 2**31 - 1),
       time=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones),
       traceparent=st.none() | st.from_regex(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]", fullmatch=True))
def test_encode_writes_what_of_and_to_json_write(subject, name, sequence, time, traceparent):
    """The outbox's fast path reads back as the same event as the validated envelope."""
    payload = OrgRegistered(org_id="org_1", kind="enterprise", sub_kind=None, name=name, country="CN",
                            uscc="91310000MA1FL0000X")
    event_id = str(uuid.uuid4())
    fast = CloudEvent.from_json(CloudEvent.encode(payload, event_id=event_id, source="/psm/platform",
                                                  subject=subject, sequence=sequence, time=time,
                                                  traceparent=traceparent))
    slow = CloudEvent.of(payload, source="/psm/platform", subject=subject, sequence=sequence,
                         traceparent=traceparent).model_copy(update={"id": event_id, "time": time.astimezone(UTC)})
    assert fast.model_dump() == slow.model_dump() | ({"traceparent": None} if traceparent is None else {})
    assert fast.payload() == payload


@pytest.mark.parametrize("subject,sequence,time", [("", 1, datetime.now(UTC)), ("a\x00b", 1, datetime.now(UTC)),
                                                   ("a", 0, datetime.now(UTC)), ("a", 2**31, datetime.now(UTC)),
                                                   ("a", 1, datetime(2026, 1, 1))])
def test_encode_refuses_what_the_envelope_refuses(subject, sequence, time):
    payload = OrgRegistered(org_id="org_1", kind="enterprise", sub_kind=None, name="x", country="CN",
                            uscc="91310000MA1FL0000X")
    with pytest.raises(ValueError):
        CloudEvent.encode(payload, event_id=str(uuid.uuid4()), source="/psm/platform", subject=subject,
                          sequence=sequence, time=time, traceparent=None)
