"""Reading a request into a pydantic model: content type, size, JSON, fields."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from services.errors import DomainError, FieldError, ValidationFailed

M = TypeVar("M", bound=BaseModel)


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported Media Type"
    default_rule = "unsupported-media-type"


class MalformedJson(DomainError):
    status = 400
    title = "Malformed JSON"
    default_rule = "malformed-json"


def field_errors(e: ValidationError, prefix: str = "") -> list[FieldError]:
    out = []
    for err in e.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        out.append(FieldError(f"{prefix}{loc}", msg))
    return out


async def read_json(request: web.Request) -> object:
    if request.content_type != "application/json":
        raise UnsupportedMediaType(f"send the body as application/json (got {request.content_type or 'nothing'})",
                                   field="Content-Type")
    raw = await request.read()  # bounded by the app's client_max_size → 413
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MalformedJson(f"the body is not valid JSON: {e}") from None


def parse_model(model: type[M], data: object, *, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(field_errors(e, prefix)) from None


def parse_query(model: type[M], request: web.Request) -> M:
    return parse_model(model, dict(request.query), prefix="query.")
