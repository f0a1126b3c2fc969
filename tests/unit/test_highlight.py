"""Highlighting in Python: the characters that matched, synonyms and bigrams included."""

from __future__ import annotations

from search import highlight
from search.vocabulary import Vocabulary

V = Vocabulary.parse("储能, 能量存储 | H02J\n锂电池, 锂离子电池 | H01M\n电池管理系统, BMS | H01M\n[fillers]\n的, 想找\n")


def marks(q: str, text: str) -> str | None:
    return highlight.whole(text, *highlight.needles(q, V.read(q)))


def test_a_concept_marks_each_of_its_terms_whole():
    assert marks("储能", "一种能量存储装置及储能方法") == "一种<em>能量存储</em>装置及<em>储能</em>方法"
    assert marks("锂电池", "锂离子电池正极材料") == "<em>锂离子电池</em>正极材料"


def test_other_chinese_words_are_marked_by_bigrams_and_latin_words_whole():
    # 正极材料's bigrams are 正极, 极材, 材料: in 负极材料 the last two match (as the index's bigrams do).
    assert marks("正极材料", "高镍正极材料与负极材料") == "高镍<em>正极材料</em>与负<em>极材料</em>"
    assert marks("bms 均衡", "BMS主动均衡; aBMSx") == "<em>BMS</em>主动<em>均衡</em>; aBMSx"
    assert marks("想找的", "的") is None  # fillers mark nothing


def test_text_is_escaped_and_fragments_are_bounded():
    assert marks("储能", "<b>储能</b>") == "&lt;b&gt;<em>储能</em>&lt;/b&gt;"
    long = "甲" * 300 + "储能" + "乙" * 300
    (frag,) = highlight.fragments([long, "无关"], *highlight.needles("储能", V.read("储能")))
    assert len(frag.replace("<em>", "").replace("</em>", "")) == highlight.FRAGMENT_CHARS
    assert frag.startswith("甲" * highlight.LEAD_CHARS + "<em>储能</em>")
    assert len(highlight.fragments(["储能"] * 5, ["储能"], [])) == highlight.FRAGMENTS
