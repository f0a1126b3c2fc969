"""Pinyin spellings of Chinese text, for the type-ahead (``lidian``, ``ld`` → 锂电池).

Computed when a document is indexed (and when the vocabulary is read), never per
keystroke: a text's full pinyin and its initials, without tones or spaces; Latin letters
and digits are kept as they are (3D打印 → 3ddayin, 3ddy).
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_CJK = re.compile(r"[\u3400-\u9fff]")
_KEEP = re.compile(r"[^0-9a-z]+")


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def spellings(text: str) -> list[str]:
    """Full pinyin and initials of ``text`` (nothing for text without Chinese)."""
    if not has_chinese(text):
        return []
    full = _KEEP.sub("", "".join(lazy_pinyin(text)).lower())
    initials = _KEEP.sub("", "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower())
    return list(dict.fromkeys(s for s in (full, initials) if s))


def with_spellings(texts: list[str]) -> list[str]:
    """Each text, then its pinyin spellings (for a completion field's inputs)."""
    out = list(texts)
    for t in texts:
        out += spellings(t)
    return list(dict.fromkeys(x for x in out if x))
