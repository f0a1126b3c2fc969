"""Organisations: kinds, identity numbers, API keys. Pure: no I/O.

USCC (统一社会信用代码) per GB 32100-2015: 18 characters from the 31-character set
``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z); the last is a check character,
``31 - (Σ value(cᵢ)·3^i mod 31) mod 31`` with the weights 3^i mod 31 for i = 0..16.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.runtime.errors import DomainError, FieldError, ValidationFailed

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28

ORG_KINDS = ("institution", "enterprise", "venue", "agency", "financier", "operator")
INSTITUTION_SUB_KINDS = ("university", "research_institute", "hospital", "other")

# ISO 3166-1 alpha-2, officially assigned codes.
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())


class PlatformError(DomainError):
    pass


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, or None if it is."""
    if len(code) != 18:
        return "a unified social credit code has 18 characters"
    bad = sorted({c for c in code if c not in USCC_CHARSET})
    if bad:
        return f"characters not allowed in a unified social credit code: {''.join(bad)}"
    if uscc_check_char(code[:17]) != code[17]:
        return f"check character should be {uscc_check_char(code[:17])} (GB 32100-2015)"
    return None


@dataclass(frozen=True)
class NewOrg:
    kind: str
    sub_kind: str | None
    name: str
    country: str
    uscc: str | None


def validate_new_org(kind: str, sub_kind: str | None, name: str, country: str, uscc: str | None) -> NewOrg:
    """Normalise and check an organisation's registration; every problem is reported at once."""
    errors: list[FieldError] = []
    name = " ".join(name.split())
    country = country.strip().upper()
    uscc = uscc.strip().upper() if uscc else None
    if kind not in ORG_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(ORG_KINDS)}"))
    if kind == "institution":
        if sub_kind not in INSTITUTION_SUB_KINDS:
            errors.append(FieldError("sub_kind", f"an institution is one of {', '.join(INSTITUTION_SUB_KINDS)}"))
    elif sub_kind is not None:
        errors.append(FieldError("sub_kind", "only institutions have a sub_kind"))
    if not name:
        errors.append(FieldError("name", "must not be empty"))
    if country not in ISO_COUNTRIES:
        errors.append(FieldError("country", "an ISO 3166-1 alpha-2 code, e.g. CN"))
    if country == "CN" and not uscc:
        errors.append(FieldError("uscc", "required for an organisation registered in China"))
    if uscc and country != "CN":
        errors.append(FieldError("uscc", "only organisations registered in China have a unified social credit code"))
    if uscc and (why := uscc_problem(uscc)):
        errors.append(FieldError("uscc", why))
    if errors:
        raise ValidationFailed(errors)
    return NewOrg(kind, sub_kind, name, country, uscc)


# -- API keys: their format is the runtime's (services/runtime/auth.py), which checks
# them on every request of every service.


@dataclass(frozen=True)
class Mandate:
    org_id: str
    venue_id: str
    granted_at: datetime


def check_mandate_grant(org_kind: str, venue_kind: str) -> None:
    if org_kind not in ("institution", "enterprise"):
        raise PlatformError("only institutions and enterprises grant mandates", rule="mandate-grantor-kind")
    if venue_kind != "venue":
        raise PlatformError("a mandate is granted to a trading venue", rule="mandate-grantee-not-venue",
                            field="venue_id")
