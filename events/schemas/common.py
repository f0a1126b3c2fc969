"""Value types shared by several contexts' events."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer


def _not_a_json_number(value: object) -> object:
    # A JSON number is a binary float to most clients (5.1 is 5.0999…): money is written
    # as a decimal string, and one sent as a number is refused rather than guessed at.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError('money is a decimal string, e.g. "12345.67", not a JSON number')
    return value


# Money travels as a decimal string with fen precision, never a float.
Amount = Annotated[Decimal, BeforeValidator(_not_a_json_number), Field(max_digits=16, decimal_places=2, ge=0),
                   PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: Literal["CNY", "USD", "EUR", "HKD", "JPY", "GBP"] = "CNY"
