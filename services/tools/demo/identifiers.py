"""Made-up but valid identifiers, for tests, benchmarks and ad-hoc data."""

from __future__ import annotations

import itertools
import random

from services.listings.domain import application_check_char
from services.platform.domain import USCC_CHARSET, uscc_check_char

_serial = itertools.count(random.randrange(1_000_000, 8_000_000))


def application_number(year: int = 2021, type_digit: str = "1") -> str:
    """A CN application number with a correct check digit, unique within this process."""
    digits = f"{year}{type_digit}{next(_serial):07d}"
    return f"{digits}.{application_check_char(digits)}"


def uscc(prefix: str = "91", rng: random.Random | None = None) -> str:
    """A unified social credit code with a correct check character (GB 32100-2015)."""
    r = rng or random
    body = prefix + "".join(r.choice(USCC_CHARSET) for _ in range(17 - len(prefix)))
    return body + uscc_check_char(body)
