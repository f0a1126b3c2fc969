"""API-key authentication against the platform's key table.

Every service authenticates through this (installed as the app's ``Authenticator``),
reading the platform's key and mandate tables directly rather than a copy built from
events: a revoked key must stop working on the very next request, which an
eventually consistent read model cannot promise.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import asyncpg

from services.runtime.access import OPERATOR_ORG_ID, Principal
from services.runtime.errors import Forbidden, Unauthorized
from services.platform import repository as repo
from services.platform.domain import digest_matches, key_id_of


@dataclass(frozen=True)
class KeyAuthenticator:
    operator_key: str | None

    async def authenticate(self, conn: asyncpg.Connection, token: str, on_behalf_of: str | None) -> Principal:
        principal = await self._who(conn, token)
        if on_behalf_of is None or on_behalf_of == principal.org_id:
            return principal
        if principal.kind != "venue":
            raise Forbidden("only a trading venue may act on behalf of another organisation", rule="not-a-venue")
        mandate = await repo.active_mandate(conn, on_behalf_of, principal.org_id)
        if mandate is None:
            raise Forbidden(f"{on_behalf_of} has not granted your venue a mandate", rule="no-mandate")
        return Principal(principal.org_id, principal.kind, principal.key_id, acting_for=on_behalf_of,
                         acting_for_kind=mandate["kind"])

    async def _who(self, conn: asyncpg.Connection, token: str) -> Principal:
        if self.operator_key and hmac.compare_digest(token.encode(), self.operator_key.encode()):
            return Principal(OPERATOR_ORG_ID, "operator", "operator-bootstrap")
        key_id = key_id_of(token)
        row = await repo.key_for_auth(conn, key_id) if key_id else None
        if row is None or not digest_matches(token, row["digest"]):
            raise Unauthorized("unknown API key")
        if row["revoked_at"] is not None:
            raise Unauthorized("this API key has been revoked")
        return Principal(row["org_id"], row["kind"], key_id)
