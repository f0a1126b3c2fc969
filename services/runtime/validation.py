"""pydantic's validation errors as the API's field errors (one path syntax: dotted)."""

from __future__ import annotations

from pydantic import ValidationError

from services.runtime.errors import FieldError


def field_errors(e: ValidationError, prefix: str = "") -> list[FieldError]:
    out = []
    for err in e.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        out.append(FieldError(f"{prefix}{loc}", msg))
    return out
