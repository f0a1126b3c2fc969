"""The licences API's renderings of declarations, licences and payments (the API layer)."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from events.schemas.common import Money
from services.licences import domain, handlers
from services.licences import repository as repo
from services.licences.models import Declaration, Licence, Payment, PaymentReceipt, PeriodBalance, Refusal
from services.runtime.clock import today


def declaration_view(d: asyncpg.Record) -> Declaration:
    return Declaration(id=d["id"], patent_id=d["patent_id"], declarer_org_id=d["declarer_org_id"], status=d["status"],
                       terms=handlers.terms_of(d), cnipa_announcement_no=d["cnipa_announcement_no"],
                       evaluation_report_no=d["evaluation_report_no"], co_owner_consents=list(d["co_owner_consents"]),
                       pledgee_consents=list(d["pledgee_consents"]), patent=repo.snapshot_of(d, "patent"),
                       declared_at=d["declared_at"], withdrawn_at=d["withdrawn_at"],
                       refusal=Refusal(**d["refusal"]) if d["refusal"] else None, ended_reason=d["ended_reason"])


def balance(period: int, revenue: Decimal | None, b: domain.Balance, currency: str) -> PeriodBalance:
    def m(x: Decimal) -> Money:
        return Money(amount=x, currency=currency)

    return PeriodBalance(period=period, reported_revenue=m(revenue) if revenue is not None else None, due=m(b.due),
                         paid=m(b.paid), outstanding=m(b.outstanding))


def payment(p: asyncpg.Record, currency: str) -> Payment:
    revenue = p["reported_revenue"]
    return Payment(id=p["id"], licence_id=p["licence_id"], period=p["period"],
                   amount=Money(amount=p["amount"], currency=currency),
                   reported_revenue=Money(amount=revenue, currency=currency) if revenue is not None else None,
                   paid_at=p["paid_at"])


async def licence_view(conn: asyncpg.Connection, row: asyncpg.Record) -> Licence:
    royalty, terms = await handlers.royalty_and_terms(conn, row)
    currency = royalty.currency
    payments = await repo.payments_of(conn, row["id"])
    revenues = await repo.revenues_of(conn, row["id"])
    paid: dict[int, Decimal] = {}
    for p in payments:
        paid[p["period"]] = paid.get(p["period"], Decimal(0)) + p["amount"]
    balances = []
    for period in sorted(set(paid) | set(revenues)):
        due = domain.royalty_due(royalty, period=period, first_period=row["effective_date"].year,
                                 reported_revenue=revenues.get(period))
        balances.append(balance(period, revenues.get(period), domain.Balance(due, paid.get(period, Decimal(0))),
                                 currency))
    t = today()
    return Licence(
        id=row["id"], kind=row["kind"], open_licence_id=row["open_licence_id"], deal_id=row["deal_id"],
        territory=row["territory"], technology_export_registration=row["technology_export_registration"],
        contract_registration_no=row["contract_registration_no"],
        contract_registered_on=row["contract_registered_on"], patent_id=row["patent_id"],
        licensor_org_id=row["licensor_org_id"], licensee_org_id=row["licensee_org_id"], terms=terms,
        status="active" if row["expires_on"] > t else "expired", effective_date=row["effective_date"],
        expires_on=row["expires_on"], filing_status=domain.filing_status(row["filed_on"], row["filing_due_on"], t),
        filing_due_on=row["filing_due_on"], filed_on=row["filed_on"], filing_no=row["filing_no"],
        royalties=balances, paid=Money(amount=sum(paid.values(), Decimal(0)), currency=currency),
        payments=[payment(p, currency) for p in payments], created_at=row["created_at"],
    )


def receipt(paid: domain.Paid) -> PaymentReceipt:
    return PaymentReceipt(payment=payment(paid.payment, paid.currency),
                          balance=balance(paid.period, paid.revenue, paid.balance, paid.currency))
