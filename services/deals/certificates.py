"""Transaction certificates (交易鉴证, plan item 十八): one for every completed deal,
auction and open-licence licence — the parties, the patents, the terms and the history,
printed as a PDF with a verification code that anyone can check at
``GET /v1/certificates/{code}``.

A code is 15 random Crockford base-32 characters and a check character (ISO 7064
mod 37,36 style: any one character changed, or two swapped, fails the check), so a
mistyped or tampered code is told apart from an unknown one without a lookup.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from events.outbox import Outbox
from events.schemas.deals import CertificateIssued, DealSnapshot
from events.schemas.listings import PatentSnapshot
from services.deals import repository as repo
from services.runtime.clock import now
from services.runtime.ids import new_id

OUTBOX = Outbox(schema="deals", source="/psm/deals")
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CHECK = ALPHABET + "*~$=U"  # 37 symbols for the check character


# -- codes -------------------------------------------------------------------------------
def _check_char(body: str) -> str:
    total = 0
    for ch in body:
        total = (total * 32 + ALPHABET.index(ch)) % 37
    return CHECK[(37 - total * 32 % 37) % 37]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(15))
    raw = body + _check_char(body)
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalise(code: str) -> str | None:
    """The code as stored, or None when it is not a well-formed code (wrong length,
    characters outside the alphabet, or a failing check character)."""
    raw = code.strip().upper().replace("-", "").replace(" ", "")
    raw = raw.translate(str.maketrans("ILO", "110"))  # Crockford's readings of look-alikes
    if len(raw) != 16 or any(ch not in ALPHABET for ch in raw[:15]) or _check_char(raw[:15]) != raw[15]:
        return None
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


# -- issuing -----------------------------------------------------------------------------
def _patent(p: PatentSnapshot) -> dict:
    return {"patent_id": p.patent_id, "number": p.number, "title": p.title}


async def _party(conn: asyncpg.Connection, role: str, org_id: str | None,
                 known: dict[str, tuple[str, str]] | None = None) -> dict:
    if known and org_id in known:
        name, country = known[org_id]
    else:
        org = await repo.get_org(conn, org_id) if org_id else None
        name, country = (org["name"], org["country"]) if org else (None, None)
    return {"role": role, "org_id": org_id, "name": name, "country": country}


async def _issue(conn: asyncpg.Connection, *, subject: str, subject_id: str, parties: list[dict],
                 patents: list[dict], terms: dict, history: list[dict], at: datetime) -> asyncpg.Record | None:
    row = await repo.insert_certificate(conn, {
        "id": new_id("crt"), "code": new_code(), "subject": subject, "subject_id": subject_id, "parties": parties,
        "patents": patents, "terms": terms, "history": history, "issued_at": at})
    if row is not None:
        await OUTBOX.record(conn, row["id"], CertificateIssued(certificate_id=row["id"], code=row["code"],
                                                               subject=subject, subject_id=subject_id, issued_at=at))
    return row


ROLES = {"transfer": ("transferor", "transferee"), "equity": ("contributor", "company"),
         "exclusive_licence": ("licensor", "licensee"), "sole_licence": ("licensor", "licensee"),
         "ordinary_licence": ("licensor", "licensee")}


async def issue_for_deal(conn: asyncpg.Connection, row: asyncpg.Record, deal: DealSnapshot,
                         history: Sequence[asyncpg.Record], parties: dict[str, tuple[str, str]] | None = None) -> None:
    """``parties``: (name, country) by org id, when the caller knows them better than this
    context's read model (an import)."""
    first, second = ROLES[deal.kind]
    await _issue(conn, subject="deal", subject_id=deal.deal_id,
                 parties=[await _party(conn, first, deal.owner_org_id, parties),
                          await _party(conn, second, deal.counterparty_org_id, parties)],
                 patents=[_patent(p) for p in deal.patents],
                 terms={"kind": deal.kind, **deal.terms.model_dump(mode="json", exclude_none=True)},
                 history=[{"step": h["step"], "at": h["at"].isoformat()} for h in history], at=now())


async def issue_for_auction(conn: asyncpg.Connection, *, auction_id: str, patent: PatentSnapshot, seller: str,
                            buyer: str, price: dict | None, transferred_at: datetime) -> None:
    """A lot of several patents is transferred patent by patent: the first transfer issues
    the certificate, the others add their patent to it."""
    existing = await repo.certificate_of(conn, "auction", auction_id, lock=True)
    if existing is not None:
        await repo.add_certificate_patent(conn, existing["id"], _patent(patent))
        return
    await _issue(conn, subject="auction", subject_id=auction_id,
                 parties=[await _party(conn, "seller", seller), await _party(conn, "buyer", buyer)],
                 patents=[_patent(patent)], terms={"kind": "transfer", "channel": "auction", "price": price},
                 history=[{"step": "settled", "at": transferred_at.isoformat()}], at=now())


async def issue_for_open_licence(conn: asyncpg.Connection, *, licence_id: str, declaration_id: str,
                                 patent: PatentSnapshot | None, licensor: str, licensee: str, terms: dict,
                                 effective: str, at: datetime) -> None:
    await _issue(conn, subject="open_licence_licence", subject_id=licence_id,
                 parties=[await _party(conn, "licensor", licensor), await _party(conn, "licensee", licensee)],
                 patents=[_patent(patent)] if patent else [],
                 terms={"kind": "ordinary_licence", "channel": "open_licence", "open_licence_id": declaration_id,
                        "effective_date": effective, **terms},
                 history=[{"step": "accepted", "at": at.isoformat()}], at=now())


# -- the printed certificate -------------------------------------------------------------
FONT = "STSong-Light"  # reportlab's built-in Adobe CID font: Chinese with no font file to ship


def render_pdf(c: asyncpg.Record | dict, verify_url: str) -> bytes:
    """An A4 page a person would print: title, code, parties, patents, terms, history."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)
    page.setTitle(f"交易鉴证 Transaction certificate {c['code']}")
    width, height = A4
    y = height - 60

    def line(text: str, size: int = 10, gap: int = 16) -> None:
        nonlocal y
        if y < 60:
            page.showPage()
            y = height - 60
        page.setFont(FONT, size)
        page.drawString(50, y, text[:110])
        y -= gap

    line("专利超市 交易鉴证书 / Transaction certificate", 16, 26)
    line(f"验证码 Verification code: {c['code']}", 12)
    line(f"核验 Verify at: {verify_url}", 9, 22)
    line(f"交易 Subject: {c['subject']} {c['subject_id']}    签发 Issued: {c['issued_at'].isoformat()}", 10, 22)
    line("当事人 Parties", 12, 18)
    for p in c["parties"]:
        line(f"  {p['role']}: {p['name'] or ''} ({p['org_id']}, {p['country'] or '?'})")
    y -= 6
    line("专利 Patents", 12, 18)
    for p in c["patents"]:
        line(f"  {p['number']}  {p['title']}")
    y -= 6
    line("条款 Terms", 12, 18)
    for key, value in _flat(c["terms"]):
        line(f"  {key}: {value}")
    y -= 6
    line("过程 History", 12, 18)
    for h in c["history"]:
        line(f"  {h['at']}  {h['step']}")
    page.showPage()
    page.save()
    return out.getvalue()


def _flat(terms: dict, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in terms.items():
        if isinstance(value, dict):
            if set(value) == {"amount", "currency"}:
                out.append((prefix + key, f"{value['amount']} {value['currency']}"))
            else:
                out.extend(_flat(value, f"{prefix}{key}."))
        elif value is not None:
            out.append((prefix + key, str(value)))
    return out
