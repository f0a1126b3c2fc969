"""Route rules (``Rule``, ``kinds``) and the principal behind a request."""

import pytest

from services.runtime.access import ANY_ORG, OPERATOR, OPERATOR_ORG_ID, Principal, kinds
from services.runtime.errors import Forbidden

KINDS = ("institution", "enterprise", "venue", "agency", "financier", "operator")


def org(kind: str, org_id: str = "org_a") -> Principal:
    return Principal(org_id, kind, "key_a")


def venue_for(institution: str = "org_inst") -> Principal:
    return Principal("org_venue", "venue", "key_v", acting_for=institution, acting_for_kind="institution")


def operator() -> Principal:
    return Principal(OPERATOR_ORG_ID, "operator", "operator-bootstrap")


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "operator"])
def test_operator_rule_refuses_every_other_kind(kind):
    with pytest.raises(Forbidden) as e:
        OPERATOR.enforce(org(kind))
    assert e.value.status == 403 and e.value.rule == "kind-not-allowed"


def test_operator_rule_admits_the_operator():
    OPERATOR.enforce(operator())


def test_kinds_admits_the_listed_kinds_and_the_operator_only():
    rule = kinds("institution", "enterprise")
    assert [k for k in KINDS if rule.check(org(k))] == ["institution", "enterprise", "operator"]


def test_kinds_judges_a_venue_by_the_organisation_it_acts_for():
    assert kinds("institution").check(venue_for())
    assert not kinds("venue").check(venue_for())


def test_kinds_describes_itself_with_the_operator_included():
    assert kinds("venue", "agency").describe == "agency or operator or venue"


def test_or_combines_two_rules_and_their_descriptions():
    rule = kinds("agency") | kinds("financier")
    assert rule.check(org("agency")) and rule.check(org("financier")) and not rule.check(org("venue"))
    assert "agency" in rule.describe and "financier" in rule.describe


def test_any_org_admits_every_kind():
    assert all(ANY_ORG.check(org(k)) for k in KINDS)


def test_a_refusal_names_what_is_allowed_and_who_asked():
    with pytest.raises(Forbidden) as e:
        kinds("institution").enforce(org("financier"))
    assert "institution or operator" in e.value.detail and "financier" in e.value.detail


def test_an_organisation_acts_as_itself_only():
    p = org("enterprise", "org_a")
    assert p.acts_as("org_a") and not p.acts_as("org_b")
    assert p.effective_org_id == "org_a" and p.effective_kind == "enterprise"


def test_a_venue_under_mandate_acts_as_the_institution_not_as_itself():
    p = venue_for("org_inst")
    assert p.effective_org_id == "org_inst" and p.effective_kind == "institution"
    assert p.acts_as("org_inst")
    assert not p.acts_as("org_venue")
    assert not p.acts_as("org_other")


def test_the_operator_acts_as_anyone():
    assert operator().acts_as("org_anything")


def test_require_acting_as_refuses_a_stranger_with_403():
    with pytest.raises(Forbidden) as e:
        org("enterprise", "org_a").require_acting_as("org_b", "its listings")
    assert e.value.rule == "not-owner" and "its listings" in e.value.detail


def test_require_self_refuses_a_venue_acting_under_mandate():
    with pytest.raises(Forbidden):
        venue_for("org_inst").require_self("org_inst", "its mandates")


def test_require_self_admits_the_organisation_itself_and_the_operator():
    org("institution", "org_inst").require_self("org_inst", "its mandates")
    operator().require_self("org_inst", "its mandates")
