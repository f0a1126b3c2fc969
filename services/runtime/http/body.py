"""Reading a request into a pydantic model: content type, size, JSON, fields."""

from __future__ import annotations

import json
import re
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from services.runtime.validation import field_errors
from services.runtime.errors import DomainError, FieldError, ValidationFailed
from services.runtime.http.state import SETTINGS

M = TypeVar("M", bound=BaseModel)


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported Media Type"
    default_rule = "unsupported-media-type"


class BodyTooLarge(DomainError):
    status = 413
    title = "Content Too Large"
    default_rule = "body-too-large"


class MalformedJson(DomainError):
    status = 400
    title = "Malformed JSON"
    default_rule = "malformed-json"


RAW_BODY = web.RequestKey("raw_body", bytes)


async def read_json(request: web.Request) -> object:
    if request.content_type != "application/json":
        raise UnsupportedMediaType(f"send the body as application/json (got {request.content_type or 'nothing'})",
                                   field="Content-Type")
    raw = await _read_at_most(request, request.app[SETTINGS].max_body_bytes)
    request[RAW_BODY] = raw  # the bytes as sent (a signature is over them, not over the parsed JSON)
    if _nested_deeper_than(raw, MAX_NESTING):
        raise MalformedJson(f"the body nests arrays/objects deeper than {MAX_NESTING} levels")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MalformedJson(f"the body is not valid JSON: {e}") from None
    except RecursionError:  # the check above should make this unreachable
        raise MalformedJson("the body is nested too deeply") from None
    if errors := unstorable_text(data):
        raise ValidationFailed(errors)
    return data


# No body of this API nests deeper than a few levels. A megabyte of "[" is otherwise a
# RecursionError deep inside the JSON parser (and then in every walk of the result),
# which is checked for here, before parsing, rather than provoked.
MAX_NESTING = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb"[\[\]{}]")


def _nested_deeper_than(raw: bytes, limit: int) -> bool:
    if raw.count(b"[") + raw.count(b"{") <= limit:  # the common case: no scan at all
        return False
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        depth += 1 if m.group() in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    """The body, or 413 as soon as it passes ``limit``.

    The app's ``client_max_size`` is the larger upload limit (NDJSON imports), so a
    JSON body is bounded here, while streaming: an oversized body is never buffered
    whole, and a chunked one (no Content-Length) is caught as well.
    """
    too_large = BodyTooLarge(f"a JSON body is at most {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def text_problem(text: str) -> str | None:
    """Why PostgreSQL could not store ``text``, or None.

    Checked at the edge so that such input is a 422 naming its field, not a 500 from
    the database deep inside a handler.
    """
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (no lone surrogates)"
    return None


def unstorable_text(data: object) -> list[FieldError]:
    """Every string (and object key) in parsed JSON that PostgreSQL could not store."""
    errors: list[FieldError] = []
    stack: list[tuple[str, object]] = [("", data)]  # iterative: JSON may nest as deep as the parser allows
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if why := text_problem(value):
                errors.append(FieldError(path or "body", why))
        elif isinstance(value, dict):
            for k, v in value.items():
                child = f"{path}.{k}" if path else k
                if why := text_problem(k):
                    errors.append(FieldError(child, why))
                else:
                    stack.append((child, v))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(value))
    return errors


def parse_model(model: type[M], data: object, *, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(field_errors(e, prefix)) from None


def parse_query(model: type[M], request: web.Request) -> M:
    query = dict(request.query)
    if errors := [FieldError(f"query.{k}", why) for k, v in query.items() if (why := text_problem(k) or text_problem(v))]:
        raise ValidationFailed(errors)
    return parse_model(model, query, prefix="query.")
