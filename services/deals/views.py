"""The deals API's renderings of deals and certificates (the API layer)."""

from __future__ import annotations

import asyncpg

from services.deals import handlers
from services.deals import repository as repo
from services.deals.models import CertificateView, DealView, Refusal, Step


async def deal_view(conn: asyncpg.Connection, row: asyncpg.Record) -> DealView:
    history = await repo.history_of(conn, row["id"])
    certificate = await repo.certificate_of(conn, "deal", row["id"])
    return DealView(
        **handlers.snapshot(row).model_dump(), refusal=Refusal(**row["refusal"]) if row["refusal"] else None,
        payment_reference=row["payment_reference"], licence_id=row["licence_id"],
        recording_due_on=row["recording_due_on"], unrecorded_patent_ids=list(row["unrecorded_patent_ids"]),
        contract_registration_no=row["contract_registration_no"],
        contract_registered_on=row["contract_registered_on"],
        certificate_code=certificate["code"] if certificate else None,
        history=[Step(step=h["step"], at=h["at"], by_org_id=h["by_org_id"], version=h["version"]) for h in history])


def certificate_view(row: asyncpg.Record) -> CertificateView:
    return CertificateView(code=row["code"], subject=row["subject"], subject_id=row["subject_id"],
                           parties=row["parties"], patents=row["patents"], terms=row["terms"], history=row["history"],
                           issued_at=row["issued_at"])
