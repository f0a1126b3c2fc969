"""Highlighting, done here rather than by Elasticsearch: the words of a page of results
are marked in Python from the query as the vocabulary reads it.

Why not Elasticsearch's highlighter: with the vocabulary's phrases on eight fields it
re-ran the query on every field of every hit and cost more than the search itself
(profile in bench/PROFILE.md). Here a page costs microseconds, and what is marked is
exactly what the query meant:

* every term of every concept the query names (储能 marks 能量存储 as a whole);
* the other words: a Latin word where it stands whole, a Chinese word wherever two of
  its characters in a row appear (the catalogue matches Chinese by bigrams, so 锂电池
  marks 锂电 and 电池 in 锂电池 as in 锂离子电池).

Output as before: HTML-escaped text with ``<em>`` around each marked run; a title whole,
an abstract or description as at most two fragments of about 120 characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from search.vocabulary import Reading, fold

FRAGMENT_CHARS = 120
FRAGMENTS = 2
LEAD_CHARS = 20  # context kept before a fragment's first mark

_WORD = re.compile(r"[0-9a-z]+|[^\s0-9a-z]+")


def _folded(text: str) -> str:
    """``fold`` one character at a time, so that positions stay those of ``text``."""
    out = []
    for c in text:
        f = fold(c)
        out.append(f if len(f) == 1 else c.lower())
    return "".join(out)


def needles(q: str, reading: Reading) -> tuple[list[str], list[str]]:
    """(whole terms to mark, Chinese words to mark by bigrams) for a query."""
    whole = [fold(t) for g in reading.concepts for t in g.terms]
    by_bigrams: list[str] = []
    for word in _WORD.findall(fold(q)) + _WORD.findall(reading.rest):
        if word.isascii():
            whole.append(word)
        elif len(word) >= 2:
            by_bigrams.append(word)
        else:
            whole.append(word)
    return list(dict.fromkeys(whole)), list(dict.fromkeys(by_bigrams))


def spans(text: str, whole: Sequence[str], by_bigrams: Sequence[str]) -> list[tuple[int, int]]:
    """The marked runs of ``text``, merged, in order."""
    t = _folded(text)
    found: list[tuple[int, int]] = []
    for term in whole:
        if not term:
            continue
        latin = term.isascii() and term.replace(" ", "").isalnum()
        start = t.find(term)
        while start >= 0:
            end = start + len(term)
            if not latin or ((start == 0 or not t[start - 1].isalnum() or not t[start - 1].isascii())
                             and (end == len(t) or not t[end].isalnum() or not t[end].isascii())):
                found.append((start, end))
            start = t.find(term, start + 1)
    for word in by_bigrams:
        for i in range(len(word) - 1):
            pair = word[i:i + 2]
            start = t.find(pair)
            while start >= 0:
                found.append((start, start + 2))
                start = t.find(pair, start + 1)
    found.sort()
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _marked(text: str, runs: Iterable[tuple[int, int]]) -> str:
    out, at = [], 0
    for a, b in runs:
        out += [html.escape(text[at:a]), "<em>", html.escape(text[a:b]), "</em>"]
        at = b
    out.append(html.escape(text[at:]))
    return "".join(out)


def whole(text: str, whole_terms: Sequence[str], by_bigrams: Sequence[str]) -> str | None:
    runs = spans(text, whole_terms, by_bigrams)
    return _marked(text, runs) if runs else None


def fragments(texts: Sequence[str], whole_terms: Sequence[str], by_bigrams: Sequence[str]) -> list[str]:
    """Up to two fragments, each from the first mark of a text (a little before it)."""
    out: list[str] = []
    for text in texts:
        runs = spans(text, whole_terms, by_bigrams)
        if not runs:
            continue
        begin = max(0, runs[0][0] - LEAD_CHARS)
        end = min(len(text), begin + FRAGMENT_CHARS)
        inside = [(max(a, begin) - begin, min(b, end) - begin) for a, b in runs if a < end and b > begin]
        out.append(_marked(text[begin:end], inside))
        if len(out) == FRAGMENTS:
            break
    return out
