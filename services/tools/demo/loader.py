"""Write a demo data set through the services' own use cases, so that every change
records its outbox events exactly as an API request would (the relay publishes them
once ``psm serve`` runs, and the catalogue, venues and read models fill from them).

Each organisation goes in ONE transaction: its registration, its mandates, its
patents and its listings. An organisation whose USCC is already registered is
skipped whole, so a second run adds nothing, and a run cut short resumes with the
first organisation it had not committed.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal

import asyncpg

from services.runtime.access import Principal
from services.deals import domain as deals_domain
from services.deals import handlers as deals
from services.tools.demo.model import DemoData, DemoDeal, DemoListing, DemoOrg, DemoPatent
from services.runtime.errors import Conflict
from services.listings import domain as listings_domain
from services.listings import handlers as listings
from services.listings.models import ListingCreate, PatentCreate
from services.platform import handlers as platform
from services.platform.domain import validate_new_org

SEED_KEY_ID = "seed"  # the Principal's key id: the seed acts as each organisation, with no API key


@dataclass
class SeedReport:
    orgs: int = 0
    mandates: int = 0
    patents: int = 0
    supply: int = 0
    demands: int = 0
    published: int = 0
    deals: int = 0  # deals of the demo's history (completed, dated in the past)
    already_there: int = 0  # organisations found registered (by USCC) and left alone
    numbers_taken: int = 0  # patents whose number another organisation had registered
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def nothing_done(self) -> bool:
        return self.orgs == 0

    def summary(self) -> str:
        if self.nothing_done:
            return (f"demo data already loaded ({self.already_there} organisations found): nothing to do")
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.by_kind.items()))
        lines = [f"seeded in {self.seconds:.1f} s: {self.orgs} organisations ({kinds}), {self.mandates} mandates, "
                 f"{self.patents} patents, {self.supply} supply listings, {self.demands} demands "
                 f"({self.published} listings published), {self.deals} completed deals over two years"]
        if self.already_there:
            lines.append(f"  {self.already_there} organisations were already registered and left as they were")
        if self.numbers_taken:
            lines.append(f"  {self.numbers_taken} patents skipped: their numbers were already in the register")
        return "\n".join(lines)


async def load(pool: asyncpg.Pool, data: DemoData) -> SeedReport:
    """Register ``data``; organisations already registered (same USCC) are left alone."""
    started = time.monotonic()
    report = SeedReport()
    patents_of: dict[str, list[DemoPatent]] = defaultdict(list)
    listings_of: dict[str, list[DemoListing]] = defaultdict(list)
    for p in data.patents:
        patents_of[p.owner].append(p)
    for x in data.listings:
        listings_of[x.owner].append(x)
    org_ids: dict[str, str] = {}
    async with pool.acquire() as conn:
        for org in data.orgs:  # venues first: institutions' mandates name them
            existing = await conn.fetchval("SELECT id FROM platform.orgs WHERE uscc = $1", org.uscc)
            if existing:
                org_ids[org.key] = existing
                report.already_there += 1
                continue
            try:
                async with conn.transaction():
                    org_ids[org.key] = await _load_org(conn, org, patents_of[org.key], listings_of[org.key],
                                                       org_ids, report)
            except Conflict as e:
                if e.rule != "uscc-taken":
                    raise
                # Another seed registered it between our look-up and our insert.
                report.already_there += 1
                org_ids[org.key] = await conn.fetchval("SELECT id FROM platform.orgs WHERE uscc = $1", org.uscc)
        async with conn.transaction():
            report.deals = await _load_deals(conn, data, org_ids)
    report.seconds = time.monotonic() - started
    return report


async def _load_deals(conn: asyncpg.Connection, data: DemoData, org_ids: dict[str, str]) -> int:
    """The history's deals, through the deals context's import (each with its events and
    certificate); a deal already imported (its id is derived from its patent) is skipped."""
    orgs = {o.key: o for o in data.orgs}
    patents = {p.key: p for p in data.patents}
    loaded = 0
    for d in data.deals:
        row = await conn.fetchrow("SELECT * FROM listings.patents WHERE number = $1 AND owner_org_id = $2",
                                  patents[d.patent].number, org_ids[d.owner])
        if row is None:
            continue  # its number was taken by someone else, or it changed hands
        snapshot = await listings.patent_snapshot(conn, row)
        owner, buyer = org_ids[d.owner], org_ids[d.counterparty]
        paid_at = datetime.combine(d.paid_on, time_of_day(11), tzinfo=UTC)
        imported = await deals.import_completed(
            conn, deal_id="dl_" + hashlib.sha256(f"demo:{snapshot.number}".encode()).hexdigest()[:16], kind=d.kind,
            owner_org_id=owner, counterparty_org_id=buyer, patents=[snapshot], terms=_terms(d),
            proposed_at=paid_at - timedelta(days=40), agreed_at=paid_at - timedelta(days=12), paid_at=paid_at,
            parties={owner: (orgs[d.owner].name, "CN"), buyer: (orgs[d.counterparty].name, "CN")})
        loaded += imported is not None
    return loaded


def _terms(d: DemoDeal) -> deals_domain.Terms:
    if d.kind == "transfer":
        return deals_domain.Terms(price=d.amount)
    if d.kind == "equity":
        return deals_domain.Terms(valuation=d.amount, equity_share_percent=Decimal("10"))
    return deals_domain.Terms(royalty_basis="entry_fee_plus_rate", royalty_amount=d.amount, rate_percent=Decimal("3"),
                              territory="中国大陆", term_years=5)


async def _load_org(conn: asyncpg.Connection, org: DemoOrg, patents: list[DemoPatent], offers: list[DemoListing],
                    org_ids: dict[str, str], report: SeedReport) -> str:
    row, _key = await platform.register_org(conn, validate_new_org(org.kind, org.sub_kind, org.name, "CN", org.uscc))
    org_id = row["id"]
    me = Principal(org_id, org.kind, key_id=SEED_KEY_ID)
    for venue in org.mandates:
        await platform.grant_mandate(conn, me, org_id, org_ids[venue])
    patent_ids: dict[str, str] = {}
    for p in patents:
        patent_id = await _register_patent(conn, org_id, p)
        if patent_id is None:
            report.numbers_taken += 1
        else:
            patent_ids[p.key] = patent_id
    listing_counts = {"supply": 0, "demand": 0, "published": 0}
    for offer in offers:
        ids = [patent_ids[k] for k in offer.patents if k in patent_ids]
        if offer.kind == "supply" and not ids:
            continue
        actor = me if offer.via is None else Principal(org_ids[offer.via], "venue", key_id=SEED_KEY_ID,
                                                       acting_for=org_id, acting_for_kind=org.kind)
        await _list(conn, actor, offer, ids)
        listing_counts[offer.kind] += 1
        listing_counts["published"] += offer.status == "published"
    # Counted only here, once nothing in the transaction can fail any more.
    report.orgs += 1
    report.by_kind[org.kind] += 1
    report.mandates += len(org.mandates)
    report.patents += len(patent_ids)
    report.supply += listing_counts["supply"]
    report.demands += listing_counts["demand"]
    report.published += listing_counts["published"]
    return org_id


async def _register_patent(conn: asyncpg.Connection, org_id: str, p: DemoPatent) -> str | None:
    """The new patent's id, or None if its number is already registered (by anyone)."""
    # Through the API's own body model and validation, as POST /v1/patents does.
    b = PatentCreate(number=p.number, title=p.title, abstract=p.abstract, kind=p.kind, ipc=list(p.ipc),
                     applicants=list(p.applicants), inventors=list(p.inventors), filing_date=p.filing_date,
                     grant_date=p.grant_date, legal_status=p.legal_status)
    facts = listings_domain.validate_patent(
        number=b.number, title=b.title, abstract=b.abstract, kind=b.kind, ipc=b.ipc, applicants=b.applicants,
        inventors=b.inventors, filing_date=b.filing_date, grant_date=b.grant_date, legal_status=b.legal_status,
        today=listings.today())
    try:
        row = await listings.register_patent(conn, org_id, facts)
    except Conflict as e:
        if e.rule != "patent-already-registered":
            raise
        # Its insert did nothing (ON CONFLICT DO NOTHING), so the transaction goes on.
        return None
    return row["id"]


async def _list(conn: asyncpg.Connection, me: Principal, offer: DemoListing, patent_ids: list[str]) -> None:
    def money(amount):
        return None if amount is None else {"amount": amount, "currency": "CNY"}

    b = ListingCreate(kind=offer.kind, title=offer.title, description=offer.description, patent_ids=patent_ids,
                      modes=list(offer.modes), price=money(offer.price), negotiable=offer.negotiable,
                      budget=money(offer.budget), industry=offer.industry, field=offer.field, stage=offer.stage,
                      region=offer.region, tags=list(offer.tags))
    values = listings.listing_values(b, fields=set(ListingCreate.model_fields) - {"kind", "patent_ids"})
    snapshot = await listings.create_listing(conn, me, b.kind, b.patent_ids, values)
    if offer.status in ("published", "withdrawn"):
        await listings.publish_listing(conn, me, snapshot.listing_id)
    if offer.status == "withdrawn":
        await listings.withdraw_listing(conn, me, snapshot.listing_id)
