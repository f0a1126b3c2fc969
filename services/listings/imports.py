"""Bulk patent imports: NDJSON accepted at once (202), applied by a background worker.

The upload's lines are stored with the job in the request's transaction, so nothing
accepted is lost; the worker applies them in chunks, each chunk in one transaction
together with the job's progress, so a crash or restart resumes after the last
committed chunk and never applies a line twice. Several replicas share the work:
a job is claimed row-lock-first (FOR UPDATE SKIP LOCKED) for each chunk.
"""

from __future__ import annotations

import asyncio
import json
import logging

import asyncpg
from pydantic import ValidationError

from services.runtime.access import Principal
from services.runtime.errors import DomainError, FieldError, NotFound, ValidationFailed
from services.runtime.validation import field_errors
from services.listings import domain, handlers
from services.listings.commands import PatentCreate

log = logging.getLogger("psm.listings.imports")

MAX_LINES = 100_000
CHUNK = 1000


class TooManyLines(DomainError):
    status = 413
    title = "Too many lines"
    default_rule = "import-too-large"


async def accept(conn: asyncpg.Connection, me: Principal, lines: list[tuple[int, str]]) -> asyncpg.Record:
    """A new job holding ``lines`` ((line number, text) of the non-blank lines): its row."""
    if not lines:
        raise ValidationFailed([FieldError("body", "no lines to import")])
    if len(lines) > MAX_LINES:
        raise TooManyLines(f"{len(lines)} lines; an import takes at most {MAX_LINES}")
    job_id = handlers.new_id("imp")
    row = await conn.fetchrow(
        "INSERT INTO listings.imports (id, owner_org_id, status, total) VALUES ($1, $2, 'queued', $3) RETURNING *",
        job_id, me.effective_org_id, len(lines),
    )
    await conn.copy_records_to_table("import_lines", schema_name="listings", columns=["import_id", "line", "body"],
                                     records=[(job_id, n, line) for n, line in lines])
    await conn.execute("SELECT pg_notify('psm_listings_imports', $1)", job_id)
    return row


async def progress(conn: asyncpg.Connection, me: Principal, job_id: str, after_line: int,
                   limit: int) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    """The job and up to ``limit`` + 1 of its line errors after ``after_line`` (one more
    than asked: whether there is a next page)."""
    row = await conn.fetchrow("SELECT * FROM listings.imports WHERE id = $1", job_id)
    if row is None or not me.acts_as(row["owner_org_id"]):
        raise NotFound(f"no import {job_id}")
    errs = await conn.fetch(
        "SELECT line, errors FROM listings.import_errors WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3",
        job_id, after_line, limit + 1,
    )
    return row, list(errs)


def _validate_line(body: str, owner: str) -> domain.PatentFacts:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as e:
        raise ValidationFailed([FieldError("line", f"not valid JSON: {e.msg}")]) from None
    try:
        p = PatentCreate.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(field_errors(e)) from None
    if p.owner_org_id not in (None, owner):
        raise ValidationFailed([FieldError("owner_org_id", "an import registers patents of its uploader only")])
    return domain.validate_patent(number=p.number, title=p.title, abstract=p.abstract, kind=p.kind, ipc=p.ipc,
                                  applicants=p.applicants, inventors=p.inventors, filing_date=p.filing_date,
                                  grant_date=p.grant_date, legal_status=p.legal_status, today=handlers.today(),
                                  owner_org_id=owner, co_owner_org_ids=p.co_owner_org_ids)


class ImportWorker:
    """Applies queued imports. ``run()`` until cancelled; safe in several processes."""

    def __init__(self, pool: asyncpg.Pool, poll_interval_s: float = 0.5) -> None:
        self.pool = pool
        self.poll_interval_s = poll_interval_s

    async def run(self) -> None:
        while True:
            try:
                worked = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — logged; the chunk rolled back and is retried
                log.exception("import chunk failed; retrying")
                worked = False
            if not worked:
                await asyncio.sleep(self.poll_interval_s)

    async def step(self) -> bool:
        """Apply one chunk of one job; False when there was nothing to do."""
        async with self.pool.acquire() as conn, conn.transaction():
            job = await conn.fetchrow(
                "SELECT * FROM listings.imports WHERE status <> 'done' ORDER BY created_at "
                "FOR UPDATE SKIP LOCKED LIMIT 1"
            )
            if job is None:
                return False
            # A chunk's lines are deleted in its own transaction, so the next chunk is
            # simply the first lines left: no OFFSET that rescans what was applied.
            lines = await conn.fetch(
                "SELECT line, body FROM listings.import_lines WHERE import_id = $1 ORDER BY line LIMIT $2",
                job["id"], CHUNK,
            )
            owner = job["owner_org_id"]
            errors: list[tuple[int, list[FieldError]]] = []
            valid: list[tuple[int, domain.PatentFacts]] = []
            for line in lines:
                try:
                    valid.append((line["line"], _validate_line(line["body"], owner)))
                except DomainError as e:
                    errors.append((line["line"], e.errors or [FieldError("line", e.detail)]))
            # The valid lines in one statement, in line order: a number already in the
            # register (or earlier in this import) is refused, as register_patent would.
            rows = await handlers.register_patents(conn, owner, [facts for _, facts in valid])
            for (n, facts), row in zip(valid, rows, strict=True):
                if row is None:
                    errors.append((n, [FieldError("number", f"patent {facts.number} is already in the register")]))
            if errors:
                await conn.execute(
                    "INSERT INTO listings.import_errors (import_id, line, errors) "
                    "SELECT $1, n, e::jsonb FROM unnest($2::int[], $3::text[]) AS x(n, e) ON CONFLICT DO NOTHING",
                    job["id"], [n for n, _ in errors],
                    [json.dumps([{"field": f.field, "message": f.message} for f in errs], ensure_ascii=False)
                     for _, errs in errors],
                )
            accepted, rejected = len(lines) - len(errors), len(errors)
            processed = job["processed"] + len(lines)
            done = processed >= job["total"] or not lines
            await conn.execute(
                "UPDATE listings.imports SET processed = $2, accepted = accepted + $3, rejected = rejected + $4, "
                "status = $5, finished_at = CASE WHEN $6 THEN now() END WHERE id = $1",
                job["id"], processed, accepted, rejected, "done" if done else "running", done,
            )
            if lines:
                await conn.execute("DELETE FROM listings.import_lines WHERE import_id = $1 AND line <= $2",
                                   job["id"], lines[-1]["line"])
            return True
