"""Platform routes: organisations, API keys, mandates (DESIGN §4)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.runtime.access import ANY_ORG, OPERATOR
from services.runtime.http.api import Api, Ctx, Reply
from services.runtime.cursors import time_and_id
from services.runtime.http.pagination import PageQuery, decode_cursor, page_of
from services.platform import handlers
from services.platform import repository as repo
from services.platform.domain import validate_new_org
from services.runtime.models import Identified, Strict

api = Api("platform")


class OrgCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kind": "institution", "sub_kind": "university", "name": "上海某大学", "country": "CN", "uscc": "12310000425006117P"}]})

    kind: Literal["institution", "enterprise", "venue", "agency", "financier", "operator"]
    sub_kind: Literal["university", "research_institute", "hospital", "other"] | None = None
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    uscc: str | None = Field(default=None, description="统一社会信用代码 (18 characters), for organisations in China")


class Org(BaseModel):
    id: str
    kind: str
    sub_kind: str | None
    name: str
    country: str
    uscc: str | None
    created_at: datetime

    @classmethod
    def of(cls, row) -> Org:
        return cls(**{k: (v.strip() if isinstance(v, str) else v) for k, v in dict(row).items()})


class OrgCreated(BaseModel):
    org: Org
    api_key: str = Field(description="Shown once; only its hash is stored")
    key_id: str


class OrgPage(BaseModel):
    items: list[Org]
    next_cursor: str | None


class OrgListQuery(PageQuery):
    kind: Literal["institution", "enterprise", "venue", "agency", "financier", "operator"] | None = None


class KeyCreated(BaseModel):
    key_id: str
    api_key: str = Field(description="Shown once; only its hash is stored")
    created_at: datetime


class KeyInfo(Identified):
    ID_FIELD: ClassVar[str] = "key_id"

    key_id: str
    created_at: datetime
    revoked_at: datetime | None


class KeyList(BaseModel):
    items: list[KeyInfo]


class MandateCreate(Strict):
    venue_id: str = Field(min_length=1)


class Mandate(BaseModel):
    org_id: str
    venue_id: str
    granted_at: datetime


class MandateList(BaseModel):
    items: list[Mandate]


class Me(BaseModel):
    org: Org
    key_id: str
    acting_for: str | None




@api.post("/v1/orgs", body=OrgCreate, response=OrgCreated, status=201, allow=OPERATOR, errors=(409,),
          summary="Register an organisation; its first API key is returned once")
async def register_org(ctx: Ctx[OrgCreate]) -> Reply:
    b = ctx.body
    org = validate_new_org(b.kind, b.sub_kind, b.name, b.country, b.uscc)
    row, key = await handlers.register_org(ctx.conn, org)
    return Reply(OrgCreated(org=Org.of(row), api_key=key.secret, key_id=key.key_id), 201,
                 {"Location": f"/v1/orgs/{row['id']}"})


@api.get("/v1/orgs", query=OrgListQuery, response=OrgPage, allow=OPERATOR, summary="List organisations")
async def list_orgs(ctx: Ctx) -> OrgPage:
    q: OrgListQuery = ctx.query
    after = decode_cursor(q.cursor, time_and_id)
    rows = await repo.list_orgs(ctx.conn, after, q.limit, q.kind)
    items, cursor = page_of(rows, q.limit, lambda r: [r["created_at"].isoformat(), r["id"]])
    return OrgPage(items=[Org.of(r) for r in items], next_cursor=cursor)


@api.get("/v1/me", response=Me, summary="The organisation behind the API key")
async def me(ctx: Ctx) -> Me:
    p = ctx.me()
    return Me(org=Org.of(await handlers.load_org(ctx.conn, p.org_id)), key_id=p.key_id, acting_for=p.acting_for)


@api.get("/v1/orgs/{id}", response=Org, errors=(404,), summary="One organisation")
async def get_org(ctx: Ctx) -> Org:
    row = await handlers.load_org(ctx.conn, ctx.path["id"])
    return Org.of(row)


@api.post("/v1/orgs/{id}/keys", response=KeyCreated, status=201, allow=ANY_ORG, errors=(404,),
          summary="Issue another API key (rotation: issue, switch, then revoke the old one)")
async def issue_key(ctx: Ctx) -> KeyCreated:
    row, key = await handlers.issue_org_key(ctx.conn, ctx.me(), ctx.path["id"])
    return KeyCreated(key_id=key.key_id, api_key=key.secret, created_at=row["created_at"])


@api.get("/v1/orgs/{id}/keys", response=KeyList, errors=(404,), summary="The organisation's keys (never the secrets)")
async def list_keys(ctx: Ctx) -> KeyList:
    await handlers.load_org(ctx.conn, ctx.path["id"])
    ctx.me().require_self(ctx.path["id"], "this organisation's keys")
    rows = await repo.list_keys(ctx.conn, ctx.path["id"])
    return KeyList(items=[KeyInfo(key_id=r["id"], created_at=r["created_at"], revoked_at=r["revoked_at"]) for r in rows])


@api.delete("/v1/orgs/{id}/keys/{key_id}", status=204, errors=(404,), summary="Revoke a key, effective at once")
async def revoke_key(ctx: Ctx) -> Reply:
    await handlers.revoke_org_key(ctx.conn, ctx.me(), ctx.path["id"], ctx.path["key_id"])
    return Reply(None, 204)


@api.post("/v1/orgs/{id}/mandates", body=MandateCreate, response=Mandate, status=201, errors=(404,),
          summary="Grant a trading venue a mandate to act for this organisation (On-Behalf-Of)")
async def grant_mandate(ctx: Ctx[MandateCreate]) -> Mandate:
    row = await handlers.grant_mandate(ctx.conn, ctx.me(), ctx.path["id"], ctx.body.venue_id)
    return Mandate(org_id=row["org_id"], venue_id=row["venue_id"], granted_at=row["granted_at"])


@api.get("/v1/orgs/{id}/mandates", response=MandateList, errors=(404,), summary="Mandates in force")
async def list_mandates(ctx: Ctx) -> MandateList:
    await handlers.load_org(ctx.conn, ctx.path["id"])
    ctx.me().require_acting_as(ctx.path["id"], "this organisation's mandates")
    rows = await repo.list_mandates(ctx.conn, ctx.path["id"])
    return MandateList(items=[Mandate(**dict(r)) for r in rows])


@api.delete("/v1/orgs/{id}/mandates/{venue_id}", status=204, errors=(404,), summary="Revoke a mandate")
async def revoke_mandate(ctx: Ctx) -> Reply:
    await handlers.revoke_mandate(ctx.conn, ctx.me(), ctx.path["id"], ctx.path["venue_id"])
    return Reply(None, 204)
