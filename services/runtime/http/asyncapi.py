"""The AsyncAPI 3.0 document (``GET /v1/asyncapi.json``), generated from the event schemas
in ``events/``: one channel per Kafka topic with every event type published on it (a
CloudEvents 1.0 envelope whose ``data`` is the payload model), and the live auction
WebSocket with its messages."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from events.registry import registered_types
from events.topics import DLQ_SUFFIX, Topic

LIVE = {"state": None, "opened": "psm.auction.opened.v1", "bid_accepted": "psm.auction.bid_accepted.v1",
        "extended": "psm.auction.extended.v1", "closed": "psm.auction.closed.v1",
        "settled": "psm.auction.settled.v1"}


def _envelope(type_name: str, data_ref: str) -> dict[str, Any]:
    return {"type": "object", "required": ["specversion", "id", "source", "type", "subject", "time", "sequence", "data"],
            "properties": {
                "specversion": {"const": "1.0"}, "id": {"type": "string", "format": "uuid"},
                "source": {"type": "string"}, "type": {"const": type_name},
                "subject": {"type": "string", "description": "the aggregate's id (also the Kafka key)"},
                "time": {"type": "string", "format": "date-time"},
                "sequence": {"type": "integer", "minimum": 1, "description": "the event's place in its aggregate's "
                                                                            "history: 1, 2, 3 … without gaps"},
                "datacontenttype": {"const": "application/json"},
                "traceparent": {"type": "string", "description": "W3C trace context of the command that caused it"},
                "data": {"$ref": data_ref}}}


def build_asyncapi(*, title: str = "Patent Supermarket (专利超市) events", version: str = "1") -> dict[str, Any]:
    types = registered_types()
    names = {t: cls.__name__ for t, cls in types.items()}
    _, defs = models_json_schema([(cls, "serialization") for cls in sorted(types.values(), key=lambda c: c.__name__)],
                                 ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in Topic:
        on_topic = sorted(t for t, cls in types.items() if cls.TOPIC == topic)
        channel: dict[str, Any] = {"address": topic.value, "description": f"Kafka topic {topic.value} (a deployment may "
                                   f"prefix it); failed events go to {topic.value}{DLQ_SUFFIX}", "messages": {}}
        for t in on_topic:
            name = names[t]
            schemas[f"{name}Event"] = _envelope(t, f"#/components/schemas/{name}")
            messages[name] = {"name": t, "title": name, "summary": (types[t].__doc__ or "").strip().split("\n")[0],
                              "contentType": "application/cloudevents+json",
                              "payload": {"$ref": f"#/components/schemas/{name}Event"}}
            channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
        channels[topic.name.lower()] = channel
        operations[f"receive_{topic.name.lower()}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{topic.name.lower()}"},
            "summary": f"What the marketplace publishes on {topic.value} (key: the aggregate id)",
            "messages": [{"$ref": f"#/channels/{topic.name.lower()}/messages/{names[t]}"} for t in on_topic]}
    live: dict[str, Any] = {}
    for kind, t in LIVE.items():
        data = ({"type": "object", "description": "the auction now: id, status, ends_at, current_price "
                 "{amount, currency}, bid_count, leading"} if t is None else {"$ref": f"#/components/schemas/{names[t]}"})
        name = f"Live{''.join(w.capitalize() for w in kind.split('_'))}"
        schemas[name] = {"type": "object", "required": ["type", "sequence", "data"], "properties": {
            "type": {"const": kind}, "sequence": {"type": "integer"}, "time": {"type": "string", "format": "date-time"},
            "data": data}}
        messages[name] = {"name": kind, "contentType": "application/json", "payload": {"$ref": f"#/components/schemas/{name}"}}
        live[name] = {"$ref": f"#/components/messages/{name}"}
    channels["auctionLive"] = {
        "address": "/v1/auctions/{id}/live", "servers": [{"$ref": "#/servers/api"}],
        "description": "WebSocket: the auction's state, then every bid, extension, the close and the settlement, in "
                       "order; ?after=<sequence> replays what a reconnecting client missed. Bidders are masked. "
                       "Authentication: 'Authorization: Bearer <key>', or from a browser the subprotocols "
                       "['psm.v1', 'psm.bearer.<key>'] (the server selects psm.v1).",
        "parameters": {"id": {"description": "the auction's id"}}, "messages": live}
    operations["watch_auction"] = {"action": "receive", "channel": {"$ref": "#/channels/auctionLive"},
                                   "messages": [{"$ref": f"#/channels/auctionLive/messages/{n}"} for n in live]}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version,
                 "description": "Every event is a CloudEvents 1.0 envelope in structured mode; its type names its "
                                "payload (psm.<aggregate>.<verb>.v1)."},
        "servers": {"kafka": {"host": "kafka:9092", "protocol": "kafka", "description": "the deployment's brokers"},
                    "api": {"host": "localhost:8080", "protocol": "ws", "description": "any marketplace process"}},
        "channels": channels, "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
