"""The event catalogue (``GET /v1/event-types``): every type a venue receives, with the
JSON schema of its webhook body and an example, generated from the event schemas in
``events/`` so that it can never drift from what is sent.

Catalogue changes go to every venue whose filter matches. Auction activity (bids,
extensions, settlement) is frequent and only a venue showing live auctions wants it: those
types are opt-in (``event_types`` of the venue).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from events.registry import EventPayload
from events.schemas.auctions import AuctionClosed, AuctionExtended, AuctionScheduled, AuctionSettled, BidAccepted
from events.schemas.licences import OpenLicenceDeclared, OpenLicenceWithdrawn
from events.schemas.listings import ListingSnapshot
from services.distribution.messages import Change

LISTING_VERBS = ("published", "updated", "withdrawn", "reserved", "released", "sold", "expired")
ROADSHOW_VERBS = ("published", "rescheduled", "cancelled")


class EventType(BaseModel):
    type: str
    entity_type: str
    opt_in: bool = Field(description="sent only to venues that list it in their event_types")
    description: str
    json_schema: dict[str, Any] = Field(description="JSON schema of the webhook body")
    example: dict[str, Any] = Field(description="a body of this type, as a venue receives it")


class _Lot(BaseModel):
    lot: ListingSnapshot | None = Field(default=None, description="the auctioned listing, when known")


def _auction_snapshot(event: type[EventPayload]) -> type[BaseModel]:
    return create_model(f"{event.__name__}Snapshot", __base__=(event, _Lot))


def _entries() -> list[tuple[str, str, bool, str, type[BaseModel]]]:
    """(type, entity type, opt-in, description, the snapshot's model)."""
    from events.registry import registered_types

    out = [(f"psm.listing.{verb}.v1", "listing", False,
            f"A listing (supply or demand) was {verb}; the snapshot is the whole listing.", ListingSnapshot)
           for verb in LISTING_VERBS]
    out += [(OpenLicenceDeclared.TYPE, "open_licence", False, "An open licence (专利法第五十条) was declared.",
             OpenLicenceDeclared),
            (OpenLicenceWithdrawn.TYPE, "open_licence", False, "An open licence was withdrawn.", OpenLicenceWithdrawn)]
    out += [(e.TYPE, "auction", opt_in, text, _auction_snapshot(e)) for e, opt_in, text in (
        (AuctionScheduled, False, "An auction of a listing was scheduled."),
        (AuctionClosed, False, "An auction closed, won or unsold."),
        (BidAccepted, True, "A bid was accepted: the auction's new price and end (opt-in: frequent)."),
        (AuctionExtended, True, "A late bid extended the auction's end (opt-in)."),
        (AuctionSettled, True, "The winner paid and the sale was recorded (opt-in)."))]
    known = registered_types()
    for verb in ROADSHOW_VERBS:
        t = f"psm.roadshow.{verb}.v1"
        if t in known:
            out.append((t, "roadshow", False, f"A roadshow (路演) was {verb}.", known[t]))
    return out


OPT_IN: frozenset[str] = frozenset({BidAccepted.TYPE, AuctionExtended.TYPE, AuctionSettled.TYPE})


def _body_model(change_type: str, snapshot: type[BaseModel]) -> type[BaseModel]:
    name = change_type.removeprefix("psm.").replace(".", "_")
    data = create_model(f"{name}_data", __base__=Change, snapshot=(snapshot, ...))
    return create_model(f"{name}_body", type=(Literal[change_type], ...), timestamp=(datetime, ...), data=(data, ...))


@cache
def catalogue() -> tuple[EventType, ...]:
    out = []
    for change_type, entity, opt_in, text, snapshot in _entries():
        schema = _body_model(change_type, snapshot).model_json_schema()
        example = example_of(schema)
        example["data"].update(type=change_type, entity_type=entity, seq=42, cursor="WzQyXQ",
                               subject={"listing": "lst_2b7c9e1f0a3d4c5e", "open_licence": "olc_5d1e0c2b9a8f7e6d",
                                        "auction": "auc_9f8e7d6c5b4a3f2e", "roadshow": "rsh_1a2b3c4d5e6f7a8b"}[entity])
        out.append(EventType(type=change_type, entity_type=entity, opt_in=opt_in, description=text, json_schema=schema,
                             example=example))
    return tuple(out)


def known_types() -> frozenset[str]:
    return frozenset(e.type for e in catalogue())


# -- examples from a schema (pure) ----------------------------------------------------------
_STRINGS = {"date-time": "2026-06-01T08:00:00Z", "date": "2026-06-01", "uri": "https://venue.example/hook",
            "email": "bd@venue.example"}


def example_of(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A value valid against ``schema`` (as pydantic writes schemas: $defs, anyOf, enums,
    const, decimals as strings with a pattern)."""
    defs = schema.get("$defs", {}) if defs is None else defs
    if "$ref" in schema:
        return example_of(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_of(options[0], defs)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: example_of(s, defs) for name, s in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_of(schema.get("items", {}), defs) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "string":
        if "pattern" in schema:
            return "1.00"  # pydantic's decimal-as-string
        return _STRINGS.get(schema.get("format", ""), "string")
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return None
