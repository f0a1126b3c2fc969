"""The financing API's renderings of pledges and valuations (the API layer)."""

from __future__ import annotations

import asyncpg

from events.schemas.common import Money
from services.financing import handlers
from services.financing import repository as repo
from services.financing.models import LedgerLine, PledgeView, Refusal, Step, Valuation


async def pledge_view(conn: asyncpg.Connection, row: asyncpg.Record) -> PledgeView:
    def m(x) -> Money:
        return Money(amount=x, currency=row["currency"])

    income = row["kind"] == "licence_income"
    ledger = await repo.ledger_of(conn, row["id"]) if income else []
    return PledgeView(
        **handlers.snapshot(row).model_dump(), refusal=Refusal(**row["refusal"]) if row["refusal"] else None,
        disposal=row["disposal"],
        secured_remaining=m(max(row["loan_amount"] - row["attributed"], 0)) if income else None,
        ledger=[LedgerLine(payment_id=x["payment_id"], licence_id=x["licence_id"], paid=m(x["paid"]),
                           to_pledgee=m(x["to_pledgee"]), to_licensor=m(x["to_licensor"]), at=x["at"]) for x in ledger],
        history=[Step(step=h["step"], at=h["at"], by_org_id=h["by_org_id"])
                 for h in await repo.history_of(conn, row["id"])])


def valuation_view(v: asyncpg.Record) -> Valuation:
    return Valuation(id=v["id"], patent_id=v["patent_id"], evaluator=v["evaluator"], method=v["method"],
                     value=Money(amount=v["value"], currency=v["currency"]), valued_on=v["valued_on"],
                     report_ref=v["report_ref"], recorded_by=v["recorded_by"], created_at=v["created_at"])
