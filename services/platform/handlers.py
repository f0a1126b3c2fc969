"""Platform use cases: each loads, asks the domain, and saves + records its events in
the caller's transaction (the request's unit of work)."""

from __future__ import annotations

import asyncpg

from events.outbox import Outbox
from events.schemas.platform import OrgKeyIssued, OrgKeyRevoked, OrgMandateGranted, OrgMandateRevoked, OrgRegistered
from services.runtime.access import OPERATOR_ORG_ID, Principal
from services.runtime.errors import Conflict, NotFound
from services.platform import repository as repo
from services.platform.domain import NewOrg, check_mandate_grant
from services.runtime.auth import IssuedKey, issue_key
from services.runtime.ids import new_id

OUTBOX = Outbox(schema="platform", source="/psm/platform")


async def register_org(conn: asyncpg.Connection, org: NewOrg) -> tuple[asyncpg.Record, IssuedKey]:
    if org.uscc and await repo.org_exists_with_uscc(conn, org.uscc):
        raise Conflict(f"an organisation with USCC {org.uscc} is already registered", rule="uscc-taken", field="uscc")
    org_id = new_id("org")
    try:
        row = await repo.insert_org(conn, org_id, org)
    except asyncpg.UniqueViolationError:
        # The check above cannot see a concurrent registration of the same USCC that
        # has not committed yet; the unique index can (the insert waits for it). Its
        # violation is that same conflict, not a server error; the request's
        # transaction is rolled back as for any other refusal.
        raise Conflict(f"an organisation with USCC {org.uscc} is already registered", rule="uscc-taken",
                       field="uscc") from None
    key = issue_key()
    await repo.insert_key(conn, key.key_id, org_id, key.digest)
    await OUTBOX.record(conn, org_id, OrgRegistered(org_id=org_id, kind=org.kind, sub_kind=org.sub_kind,
                                                    name=org.name, country=org.country, uscc=org.uscc))
    await OUTBOX.record(conn, org_id, OrgKeyIssued(org_id=org_id, key_id=key.key_id))
    return row, key


async def ensure_operator_org(conn: asyncpg.Connection) -> None:
    """The bootstrap operator organisation behind ``PSM_OPERATOR_KEY``."""
    async with conn.transaction():
        created = await repo.ensure_operator(conn, OPERATOR_ORG_ID, "专利超市运营方 (Patent Supermarket operator)")
        if created:
            await OUTBOX.record(conn, OPERATOR_ORG_ID, OrgRegistered(
                org_id=OPERATOR_ORG_ID, kind="operator", name="专利超市运营方 (Patent Supermarket operator)",
                country="CN"))


async def load_org(conn: asyncpg.Connection, org_id: str) -> asyncpg.Record:
    row = await repo.get_org(conn, org_id)
    if row is None:
        raise NotFound(f"no organisation {org_id}")
    return row


async def issue_org_key(conn: asyncpg.Connection, me: Principal, org_id: str) -> tuple[asyncpg.Record, IssuedKey]:
    await load_org(conn, org_id)
    me.require_self(org_id, "this organisation's keys")
    key = issue_key()
    row = await repo.insert_key(conn, key.key_id, org_id, key.digest)
    await OUTBOX.record(conn, org_id, OrgKeyIssued(org_id=org_id, key_id=key.key_id))
    return row, key


async def revoke_org_key(conn: asyncpg.Connection, me: Principal, org_id: str, key_id: str) -> None:
    await load_org(conn, org_id)
    me.require_self(org_id, "this organisation's keys")
    revoked = await repo.revoke_key(conn, org_id, key_id)
    if revoked is None:
        raise NotFound(f"organisation {org_id} has no key {key_id}")
    if revoked:
        await OUTBOX.record(conn, org_id, OrgKeyRevoked(org_id=org_id, key_id=key_id))


async def grant_mandate(conn: asyncpg.Connection, me: Principal, org_id: str, venue_id: str) -> asyncpg.Record:
    org = await load_org(conn, org_id)
    me.require_self(org_id, "this organisation's mandates")
    venue = await repo.get_org(conn, venue_id)
    if venue is None:
        raise NotFound(f"no organisation {venue_id}", rule="venue-not-found")
    check_mandate_grant(org["kind"], venue["kind"])
    row, new = await repo.upsert_mandate(conn, org_id, venue_id)
    if new:
        await OUTBOX.record(conn, org_id, OrgMandateGranted(org_id=org_id, venue_id=venue_id))
    return row


async def revoke_mandate(conn: asyncpg.Connection, me: Principal, org_id: str, venue_id: str) -> None:
    await load_org(conn, org_id)
    # Not a venue under mandate either: it could revoke its rivals' mandates.
    me.require_self(org_id, "this organisation's mandates")
    if not await repo.revoke_mandate(conn, org_id, venue_id):
        raise NotFound(f"{org_id} has no mandate in force for {venue_id}")
    await OUTBOX.record(conn, org_id, OrgMandateRevoked(org_id=org_id, venue_id=venue_id))
