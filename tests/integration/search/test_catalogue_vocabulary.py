"""The patent vocabulary at work in the catalogue: a synonym added to the file finds
documents at once (no reindex), pinyin and initials in the type-ahead, and highlighting
that marks the characters that matched — a synonym's too."""

from __future__ import annotations

import re
import shutil

import pytest
from catalogue_helpers import ids

from search.vocabulary import PATH


@pytest.fixture
def vocabulary(tmp_path):
    copy = tmp_path / "vocabulary.txt"
    shutil.copy(PATH, copy)
    return copy


@pytest.fixture
async def settings(settings, vocabulary):  # noqa: F811 — the suite's settings, with this test's vocabulary
    return settings.model_copy(update={"vocabulary_path": vocabulary})


async def test_a_synonym_added_to_the_vocabulary_finds_at_once_without_reindexing(register, vocabulary):
    uni = await register()
    listing = await uni.supply(title="钙钛矿叠层光伏组件", patent={
        "title": "一种钙钛矿晶硅叠层太阳能电池", "abstract": "钙钛矿顶电池与晶硅底电池串联，提高转换效率。",
        "ipc": ["H10K 30/57"]})
    await uni.search_until(lambda r: listing in ids(r))
    assert listing not in ids(await uni.search(q="PSC"))  # an abbreviation the vocabulary lacks

    text = vocabulary.read_text(encoding="utf-8").replace(
        "钙钛矿, perovskite | H10K, H10F", "钙钛矿, perovskite, PSC, 钙钛矿太阳能电池 | H10K, H10F")
    assert "PSC" in text
    vocabulary.write_text(text, encoding="utf-8")
    # The index is untouched: the next search reads the query with the new line.
    assert ids(await uni.search(q="PSC")) == [listing]


async def test_type_ahead_by_pinyin_and_initials(register):
    uni = await register()
    listing = await uni.supply(title="锂电池极片干法工艺")
    await uni.search_until(lambda r: listing in ids(r))

    async def suggest(q: str) -> list[tuple[str, str, str | None]]:
        r = await uni.call("GET", "/v1/catalogue/suggest", params={"q": q})
        return [(s["text"], s["type"], s["id"]) for s in r["items"]]

    for typed in ("lidian", "ld", "LiDian"):
        found = await suggest(typed)
        assert found[0] == ("锂电池", "term", None), (typed, found)  # the vocabulary's term first
        assert ("锂电池极片干法工艺", "listing", listing) in found, (typed, found)
    assert ("锂电池极片干法工艺", "listing", listing) in await suggest("ldcjpgf")  # the title's initials
    assert ("锂电池极片干法工艺", "listing", listing) in await suggest("锂电池极")
    assert all(t[2] != listing for t in await suggest("gangtie"))


def marked(fragments: list[str]) -> list[str]:
    """The runs of characters a highlight marks (adjacent marks are one run)."""
    return re.findall(r"<em>(.*?)</em>", "".join(fragments).replace("</em><em>", ""))


async def test_highlighting_marks_the_matched_characters_and_the_synonyms(register):
    uni = await register()
    listing = await uni.supply(title="一种储能变流器的控制方法", patent={
        "title": "一种能量存储装置", "abstract": "本发明的能量存储装置在电网低谷时充电，高峰时放电。",
        "ipc": ["H02J 3/32"]})
    await uni.search_until(lambda r: listing in ids(r))
    (item,) = [i for i in (await uni.search(q="储能"))["items"] if i["id"] == listing]
    assert marked(item["highlight"]["title"]) == ["储能"]
    # 能量存储 means 储能 (search/vocabulary.txt): marked as a whole where the abstract says it.
    assert set(marked(item["highlight"]["abstracts"])) == {"能量存储"}
    assert "<em>能量存储</em>" in "".join(item["highlight"]["abstracts"]).replace("</em><em>", "")
