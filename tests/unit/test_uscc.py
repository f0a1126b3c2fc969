"""USCC (统一社会信用代码, GB 32100-2015): 18 characters, the last a check character."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.platform.domain import USCC_CHARSET, uscc_check_char, uscc_problem

first17 = st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17)

# Codes of real, well-known companies and public institutions, as printed on their
# business licences.
REAL_CODES = [
    "91110000802100433B",
    "91440300708461136T",
    "914403001922038216",
    "911100001000080343",
    "91110108551385082Q",
    "12100000400000624D",
]


@given(first17)
def test_seventeen_charset_characters_plus_their_check_character_validate(body):
    assert uscc_problem(body + uscc_check_char(body)) is None


@given(first17, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=len(USCC_CHARSET) - 1))
def test_changing_any_one_character_invalidates_the_code(body, position, shift):
    code = body + uscc_check_char(body)
    replaced = USCC_CHARSET[(USCC_CHARSET.index(code[position]) + shift) % len(USCC_CHARSET)]
    changed = code[:position] + replaced + code[position + 1:]
    assert changed != code
    assert "check character" in uscc_problem(changed)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_validate(code):
    assert uscc_problem(code) is None


@pytest.mark.parametrize("code", ["91110000802100433", "91110000802100433BX", ""])
def test_a_code_of_the_wrong_length_is_refused_for_its_length(code):
    assert uscc_problem(code) == "a unified social credit code has 18 characters"


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_letters_the_standard_leaves_out_are_named(letter):
    code = "9111000080210043" + letter + "B"
    assert uscc_problem(code) == f"characters not allowed in a unified social credit code: {letter}"


def test_a_wrong_check_character_says_which_one_is_right():
    assert uscc_problem("91110000802100433C") == "check character should be B (GB 32100-2015)"
