"""Request bodies and assertions shared by the API tests."""

from __future__ import annotations

import secrets

from services.platform.domain import USCC_CHARSET, uscc_check_char


def new_uscc() -> str:
    body = "9131" + "".join(secrets.choice(USCC_CHARSET) for _ in range(13))
    return body + uscc_check_char(body)


def org_body(kind: str = "enterprise", **kw) -> dict:
    body = {"kind": kind, "name": f"{kind} {secrets.token_hex(3)}", "country": "CN", "uscc": new_uscc()}
    if kind == "institution":
        body["sub_kind"] = "university"
    return body | kw


async def problem_of(response, status: int) -> dict:
    """The problem+json body of a response that must have this status."""
    body = await response.json(content_type=None)
    assert response.status == status, body
    assert response.content_type == "application/problem+json", response.content_type
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    assert all(isinstance(body[k], str) and body[k] for k in ("type", "title", "detail")), body
    return body


def fields(problem: dict) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}
