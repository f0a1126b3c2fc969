"""The roadshow as an iCalendar object (RFC 5545): one VEVENT, times in UTC.

Pure: the text is built here and validated in the tests by a real parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

PRODID = "-//Patent Supermarket//Roadshows//ZH"


def escape(text: str) -> str:
    """TEXT values (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def utc(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Lines longer than 75 octets are folded (§3.1), never inside a UTF-8 character."""
    out, current = [], b""
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += b
    out.append(current.decode())
    return "\r\n ".join(out)


def calendar(*, uid: str, title: str, description: str, starts_at: datetime, ends_at: datetime,
             location: str | None, url: str | None, status: str, sequence: int, stamp: datetime,
             lineup: Sequence[tuple[datetime, str]], organiser: str) -> str:
    """``status``: the roadshow's (a cancelled one is STATUS:CANCELLED, so calendars drop it)."""
    agenda = "\n".join(f"{t.astimezone(UTC).strftime('%H:%M')} UTC {name}" for t, name in lineup)
    text = "\n\n".join(p for p in (description.strip(), agenda) if p)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(starts_at)}",
        f"DTEND:{utc(ends_at)}",
        # SEQUENCE grows with each reschedule or cancellation, so calendars take the update.
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{escape(title)}",
        f"STATUS:{'CANCELLED' if status == 'cancelled' else 'CONFIRMED'}",
        f"ORGANIZER;CN={escape(organiser)}:urn:psm:org:{organiser}",
    ]
    if text:
        lines.append(f"DESCRIPTION:{escape(text)}")
    if location:
        lines.append(f"LOCATION:{escape(location)}")
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
