"""The patent vocabulary: what an engineer types, read as the catalogue's words.

Pure: parsing ``vocabulary.txt`` and reading a query with it. A query is scanned left
to right for the longest term of any group (储能, 能量存储, BMS …); each group found
becomes a *concept* matched by any of its terms, the words of a typed need that name no
technology (想找, 有没有, 的 …) are dropped, and what is left is matched as free
text. ``search.query`` turns the reading into Elasticsearch clauses.

Applied at query time: ``Vocabulary.current()`` re-reads the file when it changes, so an
edit takes effect on the next search, with no reindex.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from search.pinyin import spellings

PATH = Path(__file__).resolve().parent / "vocabulary.txt"


@dataclass(frozen=True)
class Group:
    terms: tuple[str, ...]  # the first is the one suggested
    ipc: tuple[str, ...] = ()  # classes (H01), subclasses (H01M) or main groups (H01M 10/00) it names


@dataclass(frozen=True)
class Reading:
    """A query as the vocabulary reads it."""

    concepts: tuple[Group, ...]
    rest: str  # the words no group names, fillers dropped ("" if none)

    @property
    def ipc(self) -> dict[str, list[str]]:
        """The IPC the concepts name, by catalogue field: ipc_class, ipc_subclass,
        ipc_main_group (H01M 10/00) or ipc_group (H01M 10/42, that group exactly)."""
        out: dict[str, list[str]] = {}
        for code in dict.fromkeys(c for g in self.concepts for c in g.ipc):
            if "/" in code:
                out.setdefault("ipc_main_group" if code.endswith("/00") else "ipc_group", []).append(code)
            else:
                out.setdefault("ipc_class" if len(code) == 3 else "ipc_subclass", []).append(code)
        return {k: list(dict.fromkeys(v)) for k, v in out.items()}


def fold(text: str) -> str:
    """Full-width to half-width, Latin letters lower-cased (as the analyzers do)."""
    return unicodedata.normalize("NFKC", text).lower()


_IPC = re.compile(r"^[A-H]\d{2}([A-Z]( \d{1,4}/\d{2,6})?)?$")
_SEPARATORS = re.compile(r"[\s,，、;；:：。.!！?？/()（）\[\]【】\"'“”‘’]+")


class Vocabulary:
    def __init__(self, groups: list[Group], fillers: tuple[str, ...] = ()) -> None:
        self.groups, self.fillers = groups, fillers
        self._index: dict[str, Group] = {}
        self._spelled: list[tuple[str, Group]] = []  # every term and its pinyin, for the type-ahead
        for g in self.groups:
            for t in g.terms:
                self._index.setdefault(fold(t), g)
                self._spelled += [(fold(t), g)] + [(sp, g) for sp in spellings(t)]
        self._longest = max((len(k) for k in self._index), default=0)
        self._fillers = {fold(f) for f in self.fillers}
        self._longest_filler = max((len(f) for f in self._fillers), default=0)

    # -- reading the file ----------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> Vocabulary:
        """``vocabulary.txt``'s lines; a line that is not one raises ValueError naming it."""
        groups, fillers, in_fillers = [], [], False
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line == "[fillers]":
                in_fillers = True
                continue
            words, _, codes = line.partition("|")
            terms = tuple(dict.fromkeys(t.strip() for t in words.split(",") if t.strip()))
            if in_fillers:
                fillers += terms
                continue
            ipc = tuple(" ".join(c.split()).upper() for c in codes.split(",") if c.strip())
            if not terms or any(not _IPC.match(c) for c in ipc):
                raise ValueError(f"vocabulary line {n}: expected 'term, term … | IPC, IPC …', got {raw!r}")
            groups.append(Group(terms, ipc))
        return cls(groups, tuple(fillers))

    @classmethod
    def current(cls, path: Path = PATH) -> Vocabulary:
        """The file as it is now (re-read when its modification time changes)."""
        mtime = path.stat().st_mtime_ns
        cached = _READ.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, cls.parse(path.read_text(encoding="utf-8")))
            _READ[path] = cached
        return cached[1]

    # -- reading a query -----------------------------------------------------------------
    def read(self, query: str) -> Reading:
        text = fold(query)
        concepts: list[Group] = []
        rest: list[str] = []
        i = 0
        while i < len(text):
            group, n = self._term_at(text, i)
            if group is not None:
                if group not in concepts:
                    concepts.append(group)
                rest.append(" ")
                i += n
                continue
            n = self._filler_at(text, i)
            if n:
                rest.append(" ")
                i += n
                continue
            rest.append(text[i])
            i += 1
        words = [w for w in _SEPARATORS.split("".join(rest)) if w]
        return Reading(tuple(concepts), " ".join(words))

    def _term_at(self, text: str, i: int) -> tuple[Group | None, int]:
        for n in range(min(self._longest, len(text) - i), 0, -1):
            group = self._index.get(text[i:i + n])
            # A Latin term stands alone (BMS, not the bms in "abmsx").
            if group is not None and not (_latin_cut(text, i - 1, i) or _latin_cut(text, i + n - 1, i + n)):
                return group, n
        return None, 0

    def _filler_at(self, text: str, i: int) -> int:
        for n in range(min(self._longest_filler, len(text) - i), 0, -1):
            if text[i:i + n] in self._fillers:
                return n
        return 0

    def suggestions(self, prefix: str, limit: int) -> list[str]:
        """Groups one of whose terms, or its pinyin or initials, starts with ``prefix``:
        each group's first term, shortest first."""
        p = "".join(fold(prefix).split())
        found = [g for spelled, g in self._spelled if spelled.startswith(p)]
        return sorted(dict.fromkeys(g.terms[0] for g in found), key=len)[:limit]


_READ: dict[Path, tuple[int, Vocabulary]] = {}


def _latin_cut(text: str, a: int, b: int) -> bool:
    """Whether a boundary between ``a`` and ``b`` splits a run of Latin letters or digits."""
    if a < 0 or b >= len(text):
        return False
    return text[a].isascii() and text[a].isalnum() and text[b].isascii() and text[b].isalnum()
