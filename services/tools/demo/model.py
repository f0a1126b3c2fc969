"""The demo data set: plain values, with the local keys (``fudan``, ``p00001``) that
the loader maps to the ids the services assign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class DemoOrg:
    key: str
    kind: str  # institution | enterprise | venue
    sub_kind: str | None
    name: str
    uscc: str
    region: str
    domains: tuple[str, ...] = ()
    mandates: tuple[str, ...] = ()  # keys of the venues it mandates to publish for it


@dataclass(frozen=True)
class DemoPatent:
    key: str
    owner: str
    domain: str
    topic: str
    number: str
    title: str
    abstract: str
    kind: str
    ipc: tuple[str, ...]
    applicants: tuple[str, ...]
    inventors: tuple[str, ...]
    filing_date: date
    grant_date: date | None
    legal_status: str
    featured: bool = False  # part of the demo's story: granted, and offered for transfer


@dataclass(frozen=True)
class DemoListing:
    key: str
    owner: str
    kind: str  # supply | demand
    title: str
    description: str
    patents: tuple[str, ...]
    modes: tuple[str, ...]
    price: Decimal | None
    negotiable: bool
    budget: Decimal | None
    industry: str
    field: str
    stage: str | None
    region: str
    tags: tuple[str, ...]
    status: str  # draft | published | withdrawn
    via: str | None = None  # a venue acting under the owner's mandate


@dataclass(frozen=True)
class DemoDeal:
    """A deal completed (paid) in the demo's history."""

    key: str
    owner: str
    counterparty: str
    patent: str
    kind: str  # transfer | exclusive_licence | sole_licence | ordinary_licence | equity
    paid_on: date
    amount: Decimal  # price, valuation, or the licence's lump sum


@dataclass(frozen=True)
class DemoData:
    """Venues come first among ``orgs``: institutions name them in their mandates."""

    orgs: tuple[DemoOrg, ...]
    patents: tuple[DemoPatent, ...]
    listings: tuple[DemoListing, ...]
    deals: tuple[DemoDeal, ...] = ()

    def patents_of(self, org_key: str) -> list[DemoPatent]:
        return [p for p in self.patents if p.owner == org_key]

    def listings_of(self, org_key: str) -> list[DemoListing]:
        return [x for x in self.listings if x.owner == org_key]
