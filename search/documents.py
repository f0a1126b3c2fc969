"""What a catalogue document holds: built from an event's snapshot, with no I/O.

The catalogue is a read model of the events alone (DESIGN §1): every listing event
carries the listing's whole state, so a document is a pure function of the latest
event seen for that listing.
"""

from __future__ import annotations

from typing import Any

from events.schemas.licences import OpenLicenceDeclared, OpenLicenceWithdrawn
from events.schemas.listings import ListingSnapshot, PatentSnapshot
from events.schemas.roadshows import RoadshowSnapshot
from search.pinyin import with_spellings
from services.runtime.codes import NotAnIpcSymbol, normalize_ipc

# States a listing is found in by default; drafts are never in the catalogue at all.
VISIBLE_STATUSES = ("published", "reserved", "sold")
# What ?status= may ask for: the visible states, and the ones that left the market.
SEARCHABLE_STATUSES = (*VISIBLE_STATUSES, "withdrawn", "expired")


def ipc_levels(symbol: str) -> dict[str, str]:
    """Section, class, subclass, main group and group of a normalised symbol."""
    subclass, _, group = symbol.partition(" ")
    main = group.split("/", 1)[0]
    return {"ipc_section": symbol[0], "ipc_class": symbol[:3], "ipc_subclass": subclass,
            "ipc_main_group": f"{subclass} {main}/00", "ipc_group": symbol}


def industry_levels(code: str) -> list[str]:
    """GB/T 4754: section letter, division (2 digits), group (3), class (4)."""
    return [code[:n] for n in (1, 3, 4, 5) if len(code) >= n]


def region_levels(code: str) -> list[str]:
    """GB/T 2260: province (``31`` + ``0000``), prefecture (``3101`` + ``00``), county."""
    levels = [code[:2] + "0000", code[:4] + "00", code]
    return list(dict.fromkeys(levels))


def number_spellings(number: str) -> list[str]:
    plain = number.upper().removeprefix("ZL").replace(".", "")
    return list(dict.fromkeys([number, plain]))


# Documents that are about a patent or an event rather than a listing carry no codes.
def _no_industry_or_region() -> dict[str, Any]:
    return {"industry": None, "industry_division": None, "industry_levels": [],
            "region": None, "region_province": None, "region_levels": []}


def _unique(values) -> list:
    return list(dict.fromkeys(v for v in values if v))


def _ipc_fields(patents: list[PatentSnapshot]) -> dict[str, list[str]]:
    ipc_symbols = _unique(sym for p in patents for sym in p.ipc)
    levels: dict[str, list[str]] = {k: [] for k in
                                    ("ipc_section", "ipc_class", "ipc_subclass", "ipc_main_group", "ipc_group")}
    for sym in ipc_symbols:
        try:
            parts = ipc_levels(normalize_ipc(sym))
        except NotAnIpcSymbol:
            continue  # the register validates IPC; an odd old symbol is still kept in ``ipc``
        for k, v in parts.items():
            levels[k].append(v)
    return {"ipc": ipc_symbols, **{k: _unique(v) for k, v in levels.items()}}


def listing_document(s: ListingSnapshot) -> dict[str, Any] | None:
    """The catalogue document of a listing, or None while it is a draft (never searchable)."""
    if s.status == "draft":
        return None
    money = s.price if s.kind == "supply" else s.budget
    doc_type = "listing" if s.kind == "supply" else "demand"
    return {
        "type": doc_type,
        "id": s.listing_id,
        "title": s.title,
        "description": s.description,
        "abstracts": _unique(p.abstract for p in s.patents),
        "patent_titles": _unique(p.title for p in s.patents),
        "field": s.field,
        "tags": list(s.tags),
        "owner_name": s.owner_name,
        "applicants": _unique(a for p in s.patents for a in p.applicants),
        "patent_ids": [p.patent_id for p in s.patents],
        "patent_numbers": _unique(n for p in s.patents for n in number_spellings(p.number)),
        **_ipc_fields(s.patents),
        "industry": s.industry,
        "industry_division": s.industry[:3] if s.industry else None,
        "industry_levels": industry_levels(s.industry) if s.industry else [],
        "region": s.region,
        "region_province": s.region[:2] + "0000" if s.region else None,
        "region_levels": region_levels(s.region) if s.region else [],
        "modes": list(s.modes),
        "stage": s.stage,
        "status": s.status,
        "owner_kind": s.owner_kind,
        "owner_org_id": s.owner_org_id,
        "price": float(money.amount) if money else None,
        "price_amount": f"{money.amount:.2f}" if money else None,
        "currency": money.currency if money else None,
        "price_kind": None if money is None else ("price" if s.kind == "supply" else "budget"),
        "negotiable": s.negotiable,
        "open_licence": s.open_licence,
        "published_at": s.published_at.isoformat() if s.published_at else None,
        "updated_at": s.updated_at.isoformat(),
        "ends_at": None,
        "suggest": {
            "input": with_spellings(_unique([s.title, *(p.title for p in s.patents), s.field or "", *s.tags])),
            "contexts": {"type": [doc_type], "status": [s.status]},
        },
    }


# An auction's own status, and the catalogue status it is found under: live lots are
# on the market, a won lot is reserved, a settled one sold; the rest leave the market.
AUCTION_CATALOGUE_STATUS = {"scheduled": "published", "open": "published", "closed_won": "reserved",
                            "pending_export_review": "reserved", "settled": "sold", "closed_unsold": "withdrawn",
                            "defaulted": "withdrawn", "export_refused": "withdrawn", "cancelled": "withdrawn"}


def auction_document(lot: dict[str, Any], auction_id: str, state: dict[str, Any]) -> dict[str, Any]:
    """The catalogue document of an auction: its lot's listing document, as type
    ``auction``, with the auction's price (the current bid, else the start price), end
    and state. ``state`` holds status, listing_id, bid_count, starts_at, ends_at,
    price (Decimal-able string), currency, reserve_met."""
    status = AUCTION_CATALOGUE_STATUS[state["status"]]
    doc = {**lot, "type": "auction", "id": auction_id, "status": status,
           "price": float(state["price"]), "price_amount": state["price"], "currency": state["currency"],
           "price_kind": "price", "negotiable": False, "ends_at": state["ends_at"],
           "auction": {"status": state["status"], "listing_id": state["listing_id"],
                       "bid_count": state["bid_count"], "starts_at": state["starts_at"],
                       "reserve_met": state["reserve_met"]}}
    doc["suggest"] = {"input": lot["suggest"]["input"], "contexts": {"type": ["auction"], "status": [status]}}
    return doc


BASIS_TEXT = {"percent_of_revenue": "按销售收入提成", "fixed_per_year": "每年固定许可费", "lump_sum": "一次性总付",
              "entry_fee_plus_rate": "入门费加提成"}


def open_licence_document(e: OpenLicenceDeclared | OpenLicenceWithdrawn) -> dict[str, Any] | None:
    """The catalogue document of an open-licence declaration (``type=open_licence``):
    the patent's title, abstract and IPC with the declared terms; a withdrawn one is
    ``withdrawn`` (out of default searches). None for an event without the patent's
    snapshot (written before the licences service existed): nothing to show."""
    p, t = e.patent, e.terms
    if p is None or t is None:
        return None
    status = "withdrawn" if isinstance(e, OpenLicenceWithdrawn) else "published"
    rate = format(t.rate_percent.normalize(), "f") if t.rate_percent is not None else None
    summary = [f"开放许可（专利法第五十条）：{BASIS_TEXT[t.basis]}"]
    if t.amount is not None:
        summary.append(f"{t.amount.amount:.2f} {t.amount.currency}")
    if rate is not None:
        summary.append(f"提成比例 {rate}%")
    summary.append(f"许可期限 {t.term_years} 年；支付方式 {t.payment_method}，{t.payment_schedule}")
    owner_name = p.owner_name
    return {
        "type": "open_licence",
        "id": e.declaration_id,
        "title": p.title,
        "description": "；".join(summary),
        "abstracts": _unique([p.abstract]),
        "patent_titles": [p.title],
        "field": None,
        "tags": ["开放许可"],
        "owner_name": owner_name,
        "applicants": _unique(p.applicants),
        "patent_ids": [p.patent_id],
        "patent_numbers": number_spellings(p.number),
        **_ipc_fields([p]),
        **_no_industry_or_region(),
        "modes": ["ordinary_licence"],
        "stage": None,
        "status": status,
        "owner_kind": p.owner_kind,
        "owner_org_id": p.owner_org_id,
        "price": float(t.amount.amount) if t.amount else None,
        "price_amount": f"{t.amount.amount:.2f}" if t.amount else None,
        "currency": t.amount.currency if t.amount else None,
        "price_kind": "royalty" if t.amount else None,
        "negotiable": False,
        "open_licence": True,
        "published_at": e.declared_at.isoformat() if e.declared_at else None,
        "updated_at": (getattr(e, "withdrawn_at", None) or e.declared_at).isoformat() if e.declared_at else None,
        "ends_at": None,
        "open_licence_terms": {
            "patent_id": p.patent_id, "basis": t.basis, "rate_percent": rate,
            "amount": f"{t.amount.amount:.2f}" if t.amount else None, "currency": t.amount.currency if t.amount else None,
            "payment_method": t.payment_method, "payment_schedule": t.payment_schedule, "term_years": t.term_years,
            "cnipa_announcement_no": getattr(e, "cnipa_announcement_no", None),
        },
        "suggest": {
            "input": with_spellings(_unique([p.title])),
            "contexts": {"type": ["open_licence"], "status": [status]},
        },
    }


# A roadshow's own status, and the catalogue status it is found under.
ROADSHOW_CATALOGUE_STATUS = {"published": "published", "cancelled": "withdrawn"}
MODE_TEXT = {"online": "线上路演", "offline": "线下路演", "hybrid": "线上线下路演"}


def roadshow_document(r: RoadshowSnapshot) -> dict[str, Any] | None:
    """The catalogue document of a roadshow (``type=roadshow``): its title, the titles of
    the listings it presents, when and where; a cancelled one is ``withdrawn`` (out of
    default searches). None while it is a draft (never searchable)."""
    if r.status not in ROADSHOW_CATALOGUE_STATUS:
        return None
    status = ROADSHOW_CATALOGUE_STATUS[r.status]
    titles = _unique(s.listing_title for s in r.lineup)
    return {
        "type": "roadshow",
        "id": r.roadshow_id,
        "title": r.title,
        "description": "；".join(p for p in (r.description, MODE_TEXT[r.mode], r.location or "") if p),
        "abstracts": [],
        "patent_titles": titles,
        "field": None,
        "tags": ["路演"],
        "owner_name": None,
        "applicants": [],
        "patent_ids": [],
        "patent_numbers": [],
        **_ipc_fields([]),
        **_no_industry_or_region(),
        "modes": [],
        "stage": None,
        "status": status,
        "owner_kind": r.organiser_kind,
        "owner_org_id": r.organiser_org_id,
        "price": None,
        "price_amount": None,
        "currency": None,
        "price_kind": None,
        "negotiable": False,
        "open_licence": False,
        "published_at": r.published_at.isoformat() if r.published_at else None,
        "updated_at": r.updated_at.isoformat(),
        "ends_at": r.ends_at.isoformat(),
        "roadshow": {
            "status": r.status, "starts_at": r.starts_at.isoformat(), "mode": r.mode, "location": r.location,
            "capacity": r.capacity, "listing_ids": [s.listing_id for s in r.lineup],
            "slots": [{"listing_id": s.listing_id, "listing_title": s.listing_title,
                       "slot_starts_at": s.slot_starts_at.isoformat(), "slot_ends_at": s.slot_ends_at.isoformat()}
                      for s in r.lineup],
        },
        "suggest": {
            "input": with_spellings(_unique([r.title, *titles])),
            "contexts": {"type": ["roadshow"], "status": [status]},
        },
    }
