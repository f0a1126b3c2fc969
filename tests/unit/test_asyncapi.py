"""The AsyncAPI 3.0 document: every registered event type is a message of its topic's
channel, with a CloudEvents envelope whose data is its payload schema; the live WebSocket
is described; every $ref resolves."""

from __future__ import annotations

import json

from events.registry import registered_types
from services.runtime.http.asyncapi import LIVE, build_asyncapi

DOC = build_asyncapi()


def resolve(ref: str) -> dict:
    node = DOC
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_event_type_is_a_message_on_its_topic():
    by_address = {c["address"]: c for c in DOC["channels"].values()}
    # The marketplace's own schemas (another test module may register a type of its own).
    ours = {t: cls for t, cls in registered_types().items() if cls.__module__.startswith("events.schemas.")}
    assert len(ours) > 80
    for type_name, cls in ours.items():
        channel = by_address[cls.TOPIC.value]
        message = resolve(channel["messages"][cls.__name__]["$ref"])
        assert message["name"] == type_name
        envelope = resolve(message["payload"]["$ref"])
        assert envelope["properties"]["type"] == {"const": type_name}
        assert resolve(envelope["properties"]["data"]["$ref"])["title"] == cls.__name__


def test_the_live_websocket_and_every_reference_resolve():
    live = DOC["channels"]["auctionLive"]
    assert live["address"] == "/v1/auctions/{id}/live"
    assert sorted(resolve(m["$ref"])["name"] for m in live["messages"].values()) == sorted(LIVE)
    refs = [value for value in json.dumps(DOC).split('"$ref": "')[1:]]
    for ref in refs:
        resolve(ref.split('"', 1)[0])  # raises if it does not resolve
    assert DOC["asyncapi"] == "3.0.0" and all(op["action"] in ("send", "receive") for op in DOC["operations"].values())
