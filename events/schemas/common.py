"""Value types shared by several contexts' events."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

# Money travels as a decimal string with fen precision, never a float.
Amount = Annotated[Decimal, Field(max_digits=16, decimal_places=2, ge=0),
                   PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: Literal["CNY", "USD", "EUR", "HKD", "JPY", "GBP"] = "CNY"
