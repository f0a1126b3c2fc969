"""Pledge financing, pure: who takes each step, the licence-income split, the 价值度 score."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.financing import domain
from services.runtime.errors import Conflict, Forbidden, ValidationFailed


def pledge(**over) -> domain.Pledge:
    values = dict(kind="patent", status="proposed", pledgor_org_id="uni", pledgee_org_id="bank")
    values.update(over)
    return domain.Pledge(**values)


def test_the_financier_confirms_releases_and_declares_default():
    assert pledge().confirm("pledgee") == "reserving"
    assert pledge(kind="licence_income").confirm("pledgee") == "in_force"
    with pytest.raises(Forbidden):
        pledge().confirm("pledgor")
    with pytest.raises(Forbidden):
        pledge(status="in_force").release("pledgor")
    assert pledge(status="in_force").release("pledgee") == "released"
    assert pledge(status="in_force").default("pledgee") == "defaulted"
    with pytest.raises(Conflict) as e:
        pledge(status="released").release("pledgee")
    assert e.value.rule == "pledge-not-in-force"
    with pytest.raises(Forbidden):
        pledge().party_of("stranger")


def test_consents_are_the_pledgees_on_a_patent_pledge_in_force():
    pledge(status="in_force").consent("pledgee")
    with pytest.raises(Forbidden):
        pledge(status="in_force").consent("pledgor")
    with pytest.raises(Conflict) as e:
        pledge(status="in_force", kind="licence_income").consent("pledgee")
    assert e.value.rule == "no-consent-needed"


def test_the_loan_is_checked_by_field():
    with pytest.raises(ValidationFailed) as e:
        domain.check_loan(Decimal(0), 0, Decimal(40))
    assert [x.field for x in e.value.errors] == ["loan.amount", "loan.term_months", "loan.rate_percent"]


@pytest.mark.parametrize("paid, secured, covered, split", [
    ("60", "150", "0", ("60", "0")),
    ("70", "150", "100", ("50", "20")),
    ("30", "150", "150", ("0", "30")),
])
def test_income_goes_to_the_pledgee_until_covered(paid, secured, covered, split):
    assert domain.split(Decimal(paid), Decimal(secured), Decimal(covered)) == tuple(Decimal(x) for x in split)


def test_the_score_is_the_sum_of_documented_factors():
    facts = domain.Facts(legal_status="granted", expires_on=date(2036, 1, 1), today=date(2026, 1, 1),
                         portfolio_size=10, licences=5, exclusive_licence=False, transactions=3,
                         royalty_income=Decimal("1000000"), pledged=False, interest_scores=[5, 5])
    score, factors = domain.score(facts)
    # Every factor full but the term (3,653 days: 9.9986 years → 0.9999, whose 15 × rounds to 15.00).
    assert score == Decimal("100.00")
    assert [f.value for f in factors if f.name == "remaining_term"] == [Decimal("0.9999")]
    assert [f.name for f in factors] == list(domain.WEIGHTS) and sum(f.weight for f in factors) == 100
    weak = domain.Facts(legal_status="fee_unpaid", expires_on=date(2031, 1, 1), today=date(2026, 1, 1),
                        portfolio_size=1, licences=0, exclusive_licence=True, transactions=0,
                        royalty_income=Decimal(0), pledged=True, interest_scores=[1, 3])
    score, factors = domain.score(weak)
    by = {f.name: f for f in factors}
    assert by["legal_status"].value == Decimal("0.3000") and by["free_of_encumbrances"].value == Decimal("0.3000")
    assert by["market_interest"].value == Decimal("0.2500")  # mean 2 of 5 → (2 − 1) / 4
    assert score == sum((f.contribution for f in factors), Decimal(0))
