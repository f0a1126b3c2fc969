"""The patent register and listings: identity numbers, classification, lifecycle, rules.

Pure: no I/O. Handlers load what a rule needs (a patent's other listings, its
encumbrances) and pass it in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from services.runtime.codes import normalize_ipc
from services.runtime.errors import Conflict, DomainError, FieldError, ValidationFailed


class ListingsError(DomainError):
    pass


# -- CN application numbers --------------------------------------------------------------
# Since 2003 an application number is YYYY + type + 7-digit serial + "." + check
# character; before, YY + type + 5-digit serial + check. The check is
# Σ digitᵢ · wᵢ mod 11 with weights 2,3,4,5,6,7,8,9 repeating; 10 is written X.
# Type digit: 1 invention, 2 utility model, 3 design, 8 PCT invention, 9 PCT utility model.
_NUMBER = re.compile(r"^(?:ZL|CN)?\s*(\d{8}|\d{12})\.?([0-9X])$")
TYPE_TO_KIND = {"1": "invention", "2": "utility_model", "3": "design", "8": "invention", "9": "utility_model"}


def application_check_char(digits: str) -> str:
    weights = [2, 3, 4, 5, 6, 7, 8, 9]
    total = sum(int(d) * weights[i % 8] for i, d in enumerate(digits))
    r = total % 11
    return "X" if r == 10 else str(r)


@dataclass(frozen=True)
class ApplicationNumber:
    digits: str
    check: str

    @property
    def normalized(self) -> str:
        return f"{self.digits}.{self.check}"

    @property
    def type_digit(self) -> str:
        return self.digits[4] if len(self.digits) == 12 else self.digits[2]

    @property
    def year(self) -> int:
        return int(self.digits[:4]) if len(self.digits) == 12 else 1900 + int(self.digits[:2])


def parse_application_number(raw: str) -> ApplicationNumber:
    m = _NUMBER.match(raw.strip().upper().replace(" ", ""))
    if not m:
        raise ValidationFailed([FieldError("number", "a CN application number, e.g. 202310123456.6 or ZL2023101234566")])
    number = ApplicationNumber(m.group(1), m.group(2))
    if number.type_digit not in TYPE_TO_KIND:
        raise ValidationFailed([FieldError("number", f"type digit {number.type_digit} is not 1, 2, 3, 8 or 9")])
    expected = application_check_char(number.digits)
    if expected != number.check:
        raise ValidationFailed([FieldError("number", f"check digit should be {expected}")])
    return number


# -- IPC ---------------------------------------------------------------------------------
def ipc_levels(symbol: str) -> list[str]:
    """Section, class, subclass and group of a normalised symbol, for prefix filters."""
    return [symbol[0], symbol[:3], symbol[:4], symbol]


def normalize_ipc_symbols(ipc: Sequence[str]) -> tuple[list[str], list[FieldError]]:
    """Each symbol normalised (duplicates dropped, first kept), and a problem per bad one."""
    symbols: list[str] = []
    errors: list[FieldError] = []
    for i, raw in enumerate(ipc):
        try:
            symbols.append(normalize_ipc(raw))
        except ValueError as e:
            errors.append(FieldError(f"ipc.{i}", str(e)))
    return list(dict.fromkeys(symbols)), errors


# -- Patents -----------------------------------------------------------------------------
TERM_YEARS = {"invention": 20, "utility_model": 10}
DESIGN_TERM_CHANGE = date(2021, 6, 1)  # Patent Law as amended 2020, art. 42: designs 15 years from this date
DEAD_STATUSES = ("lapsed", "expired", "invalidated")


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def expiry_of(kind: str, filing_date: date) -> date:
    if kind == "design":
        years = 15 if filing_date >= DESIGN_TERM_CHANGE else 10
    else:
        years = TERM_YEARS[kind]
    return add_years(filing_date, years)


@dataclass(frozen=True)
class PatentFacts:
    number: str
    title: str
    abstract: str
    kind: str
    ipc: list[str]
    applicants: list[str]
    inventors: list[str]
    filing_date: date
    grant_date: date | None
    legal_status: str
    expires_on: date
    co_owner_org_ids: list[str] = field(default_factory=list)


def validate_patent(*, number: str, title: str, abstract: str, kind: str, ipc: list[str], applicants: list[str],
                    inventors: list[str], filing_date: date, grant_date: date | None, legal_status: str,
                    today: date, owner_org_id: str | None = None, co_owner_org_ids: Sequence[str] = ()) -> PatentFacts:
    """Check a register entry; every problem is reported at once, naming its field."""
    errors: list[FieldError] = []
    normalized = number
    try:
        parsed = parse_application_number(number)
        normalized = parsed.normalized
        if TYPE_TO_KIND[parsed.type_digit] != kind:
            errors.append(FieldError("kind", f"number {normalized} is a {TYPE_TO_KIND[parsed.type_digit]} application"))
        if parsed.type_digit in "123" and parsed.year != filing_date.year:
            errors.append(FieldError("filing_date", f"number {normalized} was filed in {parsed.year}"))
    except ValidationFailed as e:
        errors.extend(e.errors)
    symbols, ipc_errors = normalize_ipc_symbols(ipc)
    errors += ipc_errors
    if not ipc and kind != "design":  # designs are classified by Locarno, not IPC
        errors.append(FieldError("ipc", "at least one IPC symbol"))
    if not title.strip():
        errors.append(FieldError("title", "must not be empty"))
    if filing_date > today:
        errors.append(FieldError("filing_date", "is in the future"))
    if grant_date is not None:
        if grant_date < filing_date:
            errors.append(FieldError("grant_date", "is before the filing date"))
        if grant_date > today:
            errors.append(FieldError("grant_date", "is in the future"))
    if legal_status == "pending" and grant_date is not None:
        errors.append(FieldError("grant_date", "a pending application has no grant date"))
    if legal_status in ("granted", "fee_unpaid", "suspended", "lapsed", "expired") and grant_date is None:
        errors.append(FieldError("grant_date", f"required when legal_status is {legal_status}"))
    expires_on = expiry_of(kind, filing_date) if kind in ("invention", "utility_model", "design") else filing_date
    if legal_status == "granted" and expires_on <= today:
        errors.append(FieldError("legal_status", f"the term ended on {expires_on}: the patent has expired"))
    co_owners = [c.strip() for c in co_owner_org_ids]
    if len(set(co_owners)) != len(co_owners) or not all(co_owners):
        errors.append(FieldError("co_owner_org_ids", "each co-owner once, by organisation id"))
    if owner_org_id is not None and owner_org_id in co_owners:
        errors.append(FieldError("co_owner_org_ids", "the owner is not its own co-owner"))
    if errors:
        raise ValidationFailed(errors)
    return PatentFacts(normalized, title.strip(), abstract.strip(), kind, symbols,
                       [a.strip() for a in applicants if a.strip()], [i.strip() for i in inventors if i.strip()],
                       filing_date, grant_date, legal_status, expires_on, co_owners)


def effective_legal_status(legal_status: str, expires_on: date, today: date) -> str:
    return "expired" if legal_status == "granted" and expires_on <= today else legal_status


# -- Listings ----------------------------------------------------------------------------
MODES = ("transfer", "exclusive_licence", "sole_licence", "ordinary_licence", "equity")

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"published", "withdrawn"}),
    "published": frozenset({"reserved", "withdrawn", "expired", "sold"}),
    # reserved → expired: the patent stopped being in force while an auction or deal ran.
    "reserved": frozenset({"published", "sold", "expired"}),
    "sold": frozenset(),
    "withdrawn": frozenset(),
    "expired": frozenset(),
}

_INDUSTRY = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")  # GB/T 4754-2017: section letter, division, group, class
_PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
              "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}


def transition(current: str, target: str) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {current} listing cannot become {target}", rule=f"listing-not-{current}-to-{target}")


def check_codes(*, industry: str | None, region: str | None) -> list[FieldError]:
    errors = []
    if industry is not None and not _INDUSTRY.match(industry):
        errors.append(FieldError("industry", "a GB/T 4754 code: section letter A–T, then 2–4 digits, e.g. C38"))
    if region is not None and not (len(region) == 6 and region.isdigit() and region[:2] in _PROVINCES):
        errors.append(FieldError("region", "a GB/T 2260 six-digit division code, e.g. 310000"))
    return errors


def check_terms(*, kind: str, modes: list[str], price: Decimal | None, negotiable: bool,
                patent_count: int) -> list[FieldError]:
    errors = []
    if len(set(modes)) != len(modes):
        errors.append(FieldError("modes", "each mode once"))
    if kind == "supply":
        if patent_count == 0:
            errors.append(FieldError("patent_ids", "a supply listing offers at least one patent"))
        if not modes:
            errors.append(FieldError("modes", f"at least one of {', '.join(MODES)}"))
        if price is None and not negotiable:
            errors.append(FieldError("price", "give a price, or set negotiable: true"))
        if price is not None and price <= 0:
            errors.append(FieldError("price", "must be positive"))
    elif patent_count:
        errors.append(FieldError("patent_ids", "a demand names no patents"))
    return errors
