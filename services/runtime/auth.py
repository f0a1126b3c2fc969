"""API keys and their check on every request of every service (DESIGN §3): the one
authentication component, whatever subset of services a process runs.

The platform context issues keys and mandates; this component reads its key and
mandate tables directly rather than a copy built from events: a revoked key must stop
working on the very next request, which an eventually consistent read model cannot
promise (the one documented exception to "never reads another's tables").

A key's row is remembered per process (``KeyCache``), so a request costs no query for
it; a trigger on the key table NOTIFYs every change (platform migration 0002), and each
process forgets the key when the notice comes — PostgreSQL sends it to every listener
at commit, before the revoking request has even been answered. While a process is not
listening (starting, or its LISTEN connection lost), it asks the table every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from services.runtime.access import OPERATOR_ORG_ID, Principal
from services.runtime.errors import Forbidden, Unauthorized
from services.runtime.ids import new_id

KEY_PREFIX = "psm"
AUTH_CHANNEL = "psm_api_key_changed"  # payload: the key's id (platform migration 0002)

log = logging.getLogger("psm.auth")


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
class KeyRow:
    digest: str
    revoked: bool
    org_id: str
    kind: str


class KeyCache:
    """Key rows remembered by this process, forgotten on each NOTIFY of their change.

    A row read before a notice and stored after it would bring the old state back: each
    notice bumps ``generation``, and a row is stored only if none came while it was
    being read. ``ttl_s`` bounds what a missed notice could cost; the size is bounded too.
    """

    def __init__(self, database_url: str, *, ttl_s: float = 300.0, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.database_url, self.ttl_s, self.max_entries, self.clock = database_url, ttl_s, max_entries, clock
        self.generation = 0
        self.listening = False
        self._rows: dict[str, tuple[float, KeyRow]] = {}

    def get(self, key_id: str) -> KeyRow | None:
        found = self._rows.get(key_id) if self.listening else None
        if found is None or self.clock() - found[0] > self.ttl_s:
            return None
        return found[1]

    def put(self, key_id: str, row: KeyRow, generation: int) -> None:
        if not self.listening or generation != self.generation:
            return
        if len(self._rows) >= self.max_entries:
            self._rows.clear()
        self._rows[key_id] = (self.clock(), row)

    def forget(self, key_id: str | None = None) -> None:
        self.generation += 1
        if key_id:
            self._rows.pop(key_id, None)
        else:
            self._rows.clear()

    def _on_notice(self, _conn, _pid, _channel: str, payload: str) -> None:
        self.forget(payload or None)

    async def run(self) -> None:
        """LISTEN (supervised by the app: after a loss, it reconnects and starts empty)."""
        conn = await asyncpg.connect(self.database_url, server_settings={"application_name": "psm-auth-listen"})
        try:
            await conn.add_listener(AUTH_CHANNEL, self._on_notice)
            self.forget()
            self.listening = True
            while not conn.is_closed():
                await asyncio.sleep(1.0)
            raise ConnectionResetError("the LISTEN connection of the key cache was lost")
        finally:
            self.listening = False
            self.forget()
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)


@dataclass(frozen=True)
class KeyAuthenticator:
    """Installed by the application factory in every process (services.runtime.http.app)."""

    operator_key: str | None
    cache: KeyCache | None = field(default=None, compare=False)

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

    def known(self, token: str, on_behalf_of: str | None) -> Principal | None:
        """The caller, when that needs no query (the operator, or a key this process
        remembers, not acting for another organisation); None: ask ``authenticate``."""
        if on_behalf_of is not None:
            return None
        if (operator := self._operator(token)) is not None:
            return operator
        key_id = key_id_of(token)
        row = self.cache.get(key_id) if self.cache is not None and key_id else None
        if row is None or row.revoked or not digest_matches(token, row.digest):
            return None  # authenticate says why
        return Principal(row.org_id, row.kind, key_id)

    def _operator(self, token: str) -> Principal | None:
        if self.operator_key and hmac.compare_digest(token.encode(), self.operator_key.encode()):
            return Principal(OPERATOR_ORG_ID, "operator", "operator-bootstrap")
        return None

    async def _who(self, conn: asyncpg.Connection, token: str) -> Principal:
        if (operator := self._operator(token)) is not None:
            return operator
        key_id = key_id_of(token)
        row = await self._row(conn, key_id) if key_id else None
        if row is None or not digest_matches(token, row.digest):
            raise Unauthorized("unknown API key")
        if row.revoked:
            raise Unauthorized("this API key has been revoked")
        return Principal(row.org_id, row.kind, key_id)

    async def _row(self, conn: asyncpg.Connection, key_id: str) -> KeyRow | None:
        cache = self.cache
        if cache is not None and (known := cache.get(key_id)) is not None:
            return known
        generation = cache.generation if cache is not None else 0
        r = await conn.fetchrow(
            "SELECT k.digest, k.revoked_at, o.id AS org_id, o.kind FROM platform.api_keys k "
            "JOIN platform.orgs o ON o.id = k.org_id WHERE k.id = $1", key_id)
        if r is None:
            return None  # not remembered: an unknown key costs its query (a new key is found at once)
        row = KeyRow(r["digest"], r["revoked_at"] is not None, r["org_id"], r["kind"])
        if cache is not None:
            cache.put(key_id, row, generation)
        return row
