"""Registering an organisation: every field problem reported at once, by field."""

import pytest

from services.runtime.errors import ValidationFailed
from services.platform.domain import validate_new_org

USCC = "91110000802100433B"


def fields_of(**kw) -> dict[str, str]:
    args = {"kind": "enterprise", "sub_kind": None, "name": "Acme", "country": "CN", "uscc": USCC} | kw
    with pytest.raises(ValidationFailed) as e:
        validate_new_org(**args)
    return {err.field: err.message for err in e.value.errors}


def test_an_institution_needs_a_sub_kind():
    assert "sub_kind" in fields_of(kind="institution", sub_kind=None)


def test_an_institution_sub_kind_must_be_a_known_one():
    assert "sub_kind" in fields_of(kind="institution", sub_kind="startup")


@pytest.mark.parametrize("kind", ["enterprise", "venue", "agency", "financier", "operator"])
def test_only_institutions_have_a_sub_kind(kind):
    assert fields_of(kind=kind, sub_kind="university") == {"sub_kind": "only institutions have a sub_kind"}


@pytest.mark.parametrize("sub_kind", ["university", "research_institute", "hospital", "other"])
def test_an_institution_with_a_known_sub_kind_registers(sub_kind):
    org = validate_new_org("institution", sub_kind, "复旦大学", "CN", USCC)
    assert org.sub_kind == sub_kind


@pytest.mark.parametrize("country", ["XX", "UK", "C1", "ZZ"])
def test_country_must_be_an_iso_3166_code(country):
    assert "country" in fields_of(country=country, uscc=None)


def test_a_chinese_organisation_needs_a_uscc():
    assert fields_of(uscc=None) == {"uscc": "required for an organisation registered in China"}


def test_a_foreign_organisation_may_not_have_a_uscc():
    assert "uscc" in fields_of(country="DE")


def test_a_foreign_organisation_registers_without_a_uscc():
    org = validate_new_org("enterprise", None, "Siemens AG", "de", None)
    assert org.country == "DE" and org.uscc is None


def test_a_uscc_with_a_wrong_check_character_is_refused():
    assert "check character" in fields_of(uscc="91110000802100433C")["uscc"]


def test_input_is_normalised():
    org = validate_new_org("enterprise", None, "  Acme   Ltd ", " cn", " 91110000802100433b ")
    assert (org.name, org.country, org.uscc) == ("Acme Ltd", "CN", USCC)


def test_a_blank_name_is_refused():
    assert "name" in fields_of(name="   ")


def test_every_problem_is_reported_at_once():
    assert set(fields_of(kind="institution", sub_kind=None, name=" ", country="XX", uscc="123")) == {
        "sub_kind", "name", "country", "uscc"}
