"""Every rule the code can name is explained in Chinese and English (the catalogue behind
``Accept-Language: zh-CN`` and ``/v1/problems/{slug}``) — read from the source itself, so a
new rule without its explanation fails here."""

from __future__ import annotations

import re
from pathlib import Path

from services.runtime.http.problem_catalogue import RULES, explain
from services.runtime.http.problems import _HTTP_RULES

ROOT = Path(__file__).resolve().parents[2]
SLUG = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]+"
PATTERNS = [re.compile(rf'rule="({SLUG})"'), re.compile(rf'default_rule = "({SLUG})"'),
            # the rules kept in tables (NOT_IN_FORCE, NOT_ACCEPTING: (rule, why))
            re.compile(r'^\s+"[a-z_]+": \("([a-z][a-z0-9]*(?:-[a-z0-9]+)+)", "', re.M)]


def slugs_in_source() -> set[str]:
    found = set(_HTTP_RULES.values())
    for path in [*(ROOT / "services").rglob("*.py"), *(ROOT / "search").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            found |= set(pattern.findall(text))
    return found


def test_every_rule_in_the_code_is_explained_in_both_languages():
    found = slugs_in_source()
    assert len(found) > 100  # the scan itself works
    assert sorted(s for s in found if explain(s) is None) == []
    for slug, (zh, en) in RULES.items():
        assert re.search(r"[\u4e00-\u9fff]", zh) and en and not re.search(r"[\u4e00-\u9fff]{4}", en), slug


def test_rules_with_a_state_are_explained_by_their_family():
    for slug in ("roadshow-cancelled", "pledge-not-in-force", "listing-not-draft-to-sold", "http-400"):
        assert explain(slug) is not None, slug
    assert explain("no-such-rule") is None
