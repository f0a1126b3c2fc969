from datetime import date

import pytest

from services.runtime.errors import Conflict, ValidationFailed
from services.listings import domain


def facts(**over):
    args = dict(number="202310123456.6", title="一种锂离子电池正极材料", abstract="", kind="invention",
                ipc=["H01M10/0525"], applicants=["复旦大学"], inventors=[], filing_date=date(2023, 1, 10),
                grant_date=date(2024, 6, 1), legal_status="granted", today=date(2026, 11, 25))
    args.update(over)
    return domain.validate_patent(**args)


def fields_of(exc: ValidationFailed) -> set[str]:
    return {e.field for e in exc.errors}


@pytest.mark.parametrize("raw, normalized", [
    ("202310123456.6", "202310123456.6"),
    ("2023101234566", "202310123456.6"),
    ("ZL202310123456.6", "202310123456.6"),
    ("zl 2023 1012 3456.6", "202310123456.6"),
    ("200410018477.9", "200410018477.9"),
])
def test_accepts_application_numbers_in_their_usual_spellings(raw, normalized):
    assert domain.parse_application_number(raw).normalized == normalized


@pytest.mark.parametrize("raw", ["202310123456.5", "20231012345", "202350123456.1", "abc"])
def test_refuses_a_number_with_a_wrong_check_digit_or_shape(raw):
    with pytest.raises(ValidationFailed) as e:
        domain.parse_application_number(raw)
    assert fields_of(e.value) == {"number"}


def test_check_character_ten_is_written_x():
    digits = next(f"2020100{n:05d}" for n in range(100000) if domain.application_check_char(f"2020100{n:05d}") == "X")
    assert domain.parse_application_number(digits + "X").check == "X"


@pytest.mark.parametrize("raw, normalized", [("H01M10/0525", "H01M 10/0525"), ("g06n 3/08", "G06N 3/08"),
                                              ("A61K 31/00", "A61K 31/00")])
def test_normalises_ipc_symbols(raw, normalized):
    assert domain.normalize_ipc(raw) == normalized


@pytest.mark.parametrize("raw", ["Z01M 10/0525", "H01M", "H1M 10/05", "H01M 10/5"])
def test_refuses_malformed_ipc(raw):
    with pytest.raises(ValueError):
        domain.normalize_ipc(raw)


def test_ipc_levels_cover_section_class_subclass_group():
    assert domain.ipc_levels("H01M 10/0525") == ["H", "H01", "H01M", "H01M 10/0525"]


@pytest.mark.parametrize("kind, filed, expires", [
    ("invention", date(2023, 1, 10), date(2043, 1, 10)),
    ("utility_model", date(2023, 1, 10), date(2033, 1, 10)),
    ("design", date(2022, 3, 1), date(2037, 3, 1)),
    ("design", date(2020, 3, 1), date(2030, 3, 1)),
    ("invention", date(2020, 2, 29), date(2040, 2, 29)),
])
def test_derives_expiry_from_kind_and_filing_date(kind, filed, expires):
    assert domain.expiry_of(kind, filed) == expires


def test_kind_must_match_the_numbers_type_digit():
    with pytest.raises(ValidationFailed) as e:
        facts(kind="utility_model")
    assert "kind" in fields_of(e.value)


def test_grant_before_filing_is_refused():
    with pytest.raises(ValidationFailed) as e:
        facts(grant_date=date(2022, 12, 1))
    assert "grant_date" in fields_of(e.value)


def test_filing_year_must_match_the_number():
    with pytest.raises(ValidationFailed) as e:
        facts(filing_date=date(2022, 1, 10), grant_date=None, legal_status="pending")
    assert "filing_date" in fields_of(e.value)


def test_reports_every_problem_at_once():
    with pytest.raises(ValidationFailed) as e:
        facts(number="202310123456.1", ipc=["nonsense"], title=" ")
    assert fields_of(e.value) >= {"number", "ipc.0", "title"}


def test_listing_state_machine():
    domain.transition("draft", "published")
    domain.transition("published", "reserved")
    domain.transition("reserved", "sold")
    with pytest.raises(Conflict):
        domain.transition("withdrawn", "published")
    with pytest.raises(Conflict):
        domain.transition("draft", "sold")


@pytest.mark.parametrize("industry, region, bad", [("C38", "310000", set()), ("C3841", "310115", set()),
                                                   ("Z99", "310000", {"industry"}), ("C38", "990000", {"region"}),
                                                   ("C38", "3100", {"region"})])
def test_industry_and_region_codes(industry, region, bad):
    assert {e.field for e in domain.check_codes(industry=industry, region=region)} == bad
