"""``Idempotency-Key`` on POST: a replay gets the first response; another body → 422.

The key's row is written in the same transaction as the request's effect (see the
migration for how concurrent duplicates are serialised), so "the effect happened"
and "the key is used" are one fact: exactly one effect, whatever the concurrency.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web

from services.runtime.access import Principal
from services.runtime.errors import DomainError, FieldError, ValidationFailed
from services.runtime.http.body import text_problem

MAX_KEY_LENGTH = 255


class KeyReused(DomainError):
    status = 422
    title = "Idempotency-Key reused"
    default_rule = "idempotency-key-reused"


def request_hash(request: web.Request, principal: Principal | None, body: object) -> str:
    # Whom the request acts for is part of "the same request": a venue reusing a key
    # for another institution it holds a mandate from must not get the first one's reply.
    acting_for = principal.acting_for if principal else None
    canonical = json.dumps([request.method, request.path, acting_for, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def guarded(conn: asyncpg.Connection, principal: Principal | None, key: str, request: web.Request,
                  body: object, run: Callable[[], Awaitable[web.Response]]) -> web.Response:
    if not key or len(key) > MAX_KEY_LENGTH or text_problem(key):
        raise ValidationFailed([FieldError("Idempotency-Key", f"1 to {MAX_KEY_LENGTH} characters of text")])
    org_id = principal.org_id if principal else "anonymous"
    digest = request_hash(request, principal, body)
    tx = conn.transaction()
    await tx.start()
    try:
        # Blocks while a concurrent request with the same key is in flight.
        await conn.execute(
            "INSERT INTO http.idempotency_keys (org_id, key, request_hash, method, path) "
            "VALUES ($1, $2, $3, $4, $5)",
            org_id, key, digest, request.method, request.path,
        )
    except asyncpg.UniqueViolationError:
        # The key was used (and that request committed): answer as it was answered.
        # Roll back before reading, so the read is outside the aborted transaction.
        await tx.rollback()
        return await _replay(conn, org_id, key, digest)
    except BaseException:
        await tx.rollback()
        raise
    try:
        response = await run()
        await conn.execute(
            "UPDATE http.idempotency_keys SET status = $3, headers = $4, body = $5 WHERE org_id = $1 AND key = $2",
            org_id, key, response.status,
            {"Content-Type": response.content_type,
             **{k: v for k, v in response.headers.items() if k.lower() == "location"}},
            response.body,
        )
    except BaseException:
        await tx.rollback()
        raise
    await tx.commit()
    return response


async def _replay(conn: asyncpg.Connection, org_id: str, key: str, digest: str) -> web.Response:
    row = await conn.fetchrow(
        "SELECT request_hash, status, headers, body FROM http.idempotency_keys WHERE org_id = $1 AND key = $2",
        org_id, key,
    )
    if row["request_hash"] != digest:
        raise KeyReused("this Idempotency-Key was used for a different request; use a new key", field="Idempotency-Key")
    headers = dict(row["headers"] or {})
    content_type = headers.pop("Content-Type", None)
    headers["Idempotent-Replayed"] = "true"
    return web.Response(status=row["status"], body=row["body"], headers=headers,
                        content_type=content_type if row["body"] else None)
