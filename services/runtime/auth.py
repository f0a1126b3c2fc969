"""API keys and their check on every request of every service (DESIGN §3): the one
authentication component, whatever subset of services a process runs.

The platform context issues keys and mandates; this component reads its key and
mandate tables directly rather than a copy built from events: a revoked key must stop
working on the very next request, which an eventually consistent read model cannot
promise (the one documented exception to "never reads another's tables").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import asyncpg

from services.runtime.access import OPERATOR_ORG_ID, Principal
from services.runtime.errors import Forbidden, Unauthorized
from services.runtime.ids import new_id

KEY_PREFIX = "psm"


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    secret: str  # the whole key, shown once
    digest: str


def issue_key() -> IssuedKey:
    key_id = new_id("key")
    secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return IssuedKey(key_id, secret, key_digest(secret))


def key_digest(secret: str) -> str:
    # Keys carry 256 random bits, so a fast unsalted hash is enough to make a stolen
    # table useless; a slow KDF would only slow every request down.
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(secret: str) -> str | None:
    parts = secret.split("_")
    if len(parts) < 4 or parts[0] != KEY_PREFIX or parts[1] != "key":
        return None
    return f"{parts[1]}_{parts[2]}"


def digest_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(secret), digest)


@dataclass(frozen=True)
class KeyAuthenticator:
    """Installed by the application factory in every process (services.runtime.http.app)."""

    operator_key: str | None

    async def authenticate(self, conn: asyncpg.Connection, token: str, on_behalf_of: str | None) -> Principal:
        principal = await self._who(conn, token)
        if on_behalf_of is None or on_behalf_of == principal.org_id:
            return principal
        if principal.kind != "venue":
            raise Forbidden("only a trading venue may act on behalf of another organisation", rule="not-a-venue")
        mandate = await conn.fetchrow(
            "SELECT m.org_id, o.kind FROM platform.mandates m JOIN platform.orgs o ON o.id = m.org_id "
            "WHERE m.org_id = $1 AND m.venue_id = $2 AND m.revoked_at IS NULL", on_behalf_of, principal.org_id)
        if mandate is None:
            raise Forbidden(f"{on_behalf_of} has not granted your venue a mandate", rule="no-mandate")
        return Principal(principal.org_id, principal.kind, principal.key_id, acting_for=on_behalf_of,
                         acting_for_kind=mandate["kind"])

    async def _who(self, conn: asyncpg.Connection, token: str) -> Principal:
        if self.operator_key and hmac.compare_digest(token.encode(), self.operator_key.encode()):
            return Principal(OPERATOR_ORG_ID, "operator", "operator-bootstrap")
        key_id = key_id_of(token)
        row = await conn.fetchrow(
            "SELECT k.digest, k.revoked_at, o.id AS org_id, o.kind FROM platform.api_keys k "
            "JOIN platform.orgs o ON o.id = k.org_id WHERE k.id = $1", key_id) if key_id else None
        if row is None or not digest_matches(token, row["digest"]):
            raise Unauthorized("unknown API key")
        if row["revoked_at"] is not None:
            raise Unauthorized("this API key has been revoked")
        return Principal(row["org_id"], row["kind"], key_id)
