"""Classification codes that several contexts read the same way. Pure."""

from __future__ import annotations

import re

_IPC = re.compile(r"^([A-H])(\d{2})([A-Z])\s*(\d{1,4})\s*/\s*(\d{2,6})$")


class NotAnIpcSymbol(ValueError):
    pass


def normalize_ipc(raw: str) -> str:
    """``h01m10/0525`` → ``H01M 10/0525``; raises ``NotAnIpcSymbol`` for anything that is
    not an IPC group symbol (section A–H, class, subclass, group/subgroup)."""
    m = _IPC.match(raw.strip().upper())
    if not m:
        raise NotAnIpcSymbol(f"{raw!r} is not an IPC symbol like H01M 10/0525")
    section, cls, subclass, group, subgroup = m.groups()
    return f"{section}{cls}{subclass} {int(group)}/{subgroup}"
