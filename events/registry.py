"""Event payload schemas and the registry mapping a CloudEvents ``type`` to its model.

Every event type is a pydantic model declared with ``@event_type("psm.<aggregate>.<verb>.v1",
Topic.X)``. A new version of a payload is a new class with a new suffix; the old one
stays so that old events still parse.
"""

from __future__ import annotations

import re
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from events.topics import Topic


class EventPayload(BaseModel):
    """The ``data`` of one event type. Immutable; unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    TOPIC: ClassVar[Topic]


class UnknownEventType(LookupError):
    pass


_REGISTRY: dict[str, type[EventPayload]] = {}

P = TypeVar("P", bound=type[EventPayload])

# Lower-case ASCII segments: ``str.isdigit`` alone would take "v²" or "v٣" for a version.
_TYPE_NAME = re.compile(r"psm(\.[a-z][a-z0-9_]*){2,}\.v[0-9]+", re.ASCII)


def event_type(name: str, topic: Topic):
    """Class decorator: register ``cls`` as the payload of events of type ``name``."""
    if not _TYPE_NAME.fullmatch(name):
        raise ValueError(f"event type {name!r} must look like psm.<aggregate>.<verb>.v<N>")

    def register(cls: P) -> P:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"event type {name!r} registered twice")
        cls.TYPE = name
        cls.TOPIC = topic
        _REGISTRY[name] = cls
        return cls

    return register


def payload_model(type_name: str) -> type[EventPayload]:
    _load_schemas()
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise UnknownEventType(f"no schema for event type {type_name!r}") from None


def registered_types() -> dict[str, type[EventPayload]]:
    _load_schemas()
    return dict(_REGISTRY)


def _load_schemas() -> None:
    # Importing the package registers every schema module it lists.
    import events.schemas  # noqa: F401
