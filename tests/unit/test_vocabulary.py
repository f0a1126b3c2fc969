"""Reading a query with the patent vocabulary (pure), and the pinyin of the type-ahead."""

from __future__ import annotations

import pytest

from search.pinyin import spellings, with_spellings
from search.vocabulary import Vocabulary

TEXT = """
# a comment
储能, 能量存储, energy storage | H02J, H01M 10/00
电池管理系统, BMS | H01M 10/42
3D打印, 增材制造 | B33Y
[fillers]
想找, 有没有, 的, 技术
"""


@pytest.fixture
def vocabulary() -> Vocabulary:
    return Vocabulary.parse(TEXT)


def test_a_query_is_read_as_concepts_and_the_words_left(vocabulary):
    r = vocabulary.read("想找能量存储的BMS技术 热管理")
    assert [g.terms[0] for g in r.concepts] == ["储能", "电池管理系统"]
    assert r.rest == "热管理"  # fillers dropped, separators collapsed
    assert r.ipc == {"ipc_subclass": ["H02J"], "ipc_main_group": ["H01M 10/00"], "ipc_group": ["H01M 10/42"]}


def test_longest_term_wins_and_latin_terms_stand_alone(vocabulary):
    assert [g.terms[0] for g in vocabulary.read("ＢＭＳ").concepts] == ["电池管理系统"]  # full width, upper case
    assert vocabulary.read("abmsx").concepts == ()  # not the bms inside another word
    assert [g.terms[0] for g in vocabulary.read("Energy Storage").concepts] == ["储能"]
    assert vocabulary.read("锂电池").concepts == () and vocabulary.read("锂电池").rest == "锂电池"


def test_a_bad_line_is_refused_by_number():
    with pytest.raises(ValueError, match="line 2"):
        Vocabulary.parse("储能 | H02J\n储能 | not-ipc")


def test_the_shipped_vocabulary_reads(tmp_path):
    v = Vocabulary.current()
    assert len(v.groups) > 150
    assert [g.terms[0] for g in v.read("OLED").concepts] == ["有机发光二极管"]
    copy = tmp_path / "v.txt"
    copy.write_text("甲, 乙 | A01\n", encoding="utf-8")
    assert [g.terms for g in Vocabulary.current(copy).groups] == [("甲", "乙")]
    copy.write_text("甲, 乙, 丙 | A01\n", encoding="utf-8")
    import os
    os.utime(copy, ns=(1, 2))  # a different modification time: read again
    assert [g.terms for g in Vocabulary.current(copy).groups] == [("甲", "乙", "丙")]


def test_suggestions_by_characters_pinyin_and_initials(vocabulary):
    assert vocabulary.suggestions("chu", 5) == ["储能"]
    assert vocabulary.suggestions("nlcc", 5) == ["储能"]  # 能量存储's initials
    assert vocabulary.suggestions("3d", 5) == ["3D打印"]
    assert vocabulary.suggestions("增材", 5) == ["3D打印"]
    assert vocabulary.suggestions("zzz", 5) == []


def test_pinyin_spellings():
    assert spellings("锂电池") == ["lidianchi", "ldc"]
    assert spellings("3D打印") == ["3ddayin", "3ddy"]
    assert spellings("OLED") == []  # nothing Chinese: the text itself is its spelling
    assert with_spellings(["储能", "OLED"]) == ["储能", "OLED", "chuneng", "cn"]
