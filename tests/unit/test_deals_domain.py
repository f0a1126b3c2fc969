"""Negotiated deals, pure: terms by kind, the lifecycle, export review, certificate codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.deals import certificates, domain
from services.runtime.errors import Conflict, Forbidden, ValidationFailed

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def deal(**over) -> domain.Deal:
    values = dict(kind="transfer", status="proposed", owner_org_id="o", counterparty_org_id="c",
                  counterparty_country="CN", version=1, confirmed_by=("owner",), expires_at=NOW + timedelta(days=30))
    values.update(over)
    return domain.Deal(**values)


def fields(e: ValidationFailed) -> list[str]:
    return [x.field for x in e.errors]


def test_each_kind_names_what_it_needs():
    domain.check_terms("transfer", domain.Terms(price=Decimal("1")))
    domain.check_terms("equity", domain.Terms(valuation=Decimal("1"), equity_share_percent=Decimal("5")))
    domain.check_terms("sole_licence", domain.Terms(royalty_basis="percent_of_revenue", rate_percent=Decimal("3"),
                                                    territory="CN", term_years=2))
    with pytest.raises(ValidationFailed) as e:
        domain.check_terms("transfer", domain.Terms(price=Decimal("0"), term_years=3))
    assert fields(e.value) == ["terms.price", "terms.term_years"]
    with pytest.raises(ValidationFailed) as e:
        domain.check_terms("ordinary_licence", domain.Terms(royalty_basis="lump_sum", territory="CN", term_years=1))
    assert fields(e.value) == ["terms.royalty.amount"]
    with pytest.raises(ValidationFailed) as e:
        domain.check_terms("transfer", domain.Terms(price=Decimal("1"), other_currencies=("valuation",)))
    assert fields(e.value) == ["terms.valuation.currency"]


def test_both_confirmations_make_it_agreeing_and_a_counter_resets_them():
    d = deal()
    with pytest.raises(Conflict, match="already confirmed"):
        d.confirm("owner", 1, NOW)
    countered = d.counter("counterparty", domain.Terms(price=Decimal("2")), 1, NOW)
    assert (countered.status, countered.version, countered.confirmed_by) == ("countered", 2, ("counterparty",))
    with pytest.raises(Conflict) as e:
        countered.confirm("owner", 1, NOW)
    assert e.value.rule == "terms-changed"
    agreed = countered.confirm("owner", 2, NOW)
    assert agreed.status == "agreeing"
    with pytest.raises(Conflict) as e:
        agreed.cancel()
    assert e.value.rule == "deal-being-decided"


def test_a_lapsed_proposal_takes_no_answer_and_expires():
    d = deal(expires_at=NOW)
    with pytest.raises(Conflict) as e:
        d.confirm("counterparty", 1, NOW)
    assert e.value.rule == "deal-expired"
    assert d.expire(NOW).status == "expired"
    assert deal(status="countered", expires_at=NOW).expire(NOW).status == "expired"
    assert deal().expire(NOW) is None


def test_export_review_for_transfers_abroad_only():
    assert deal(counterparty_country="US").reserved().status == "pending_export_review"
    assert deal(kind="equity", counterparty_country="DE").reserved().export_review == "pending"
    assert deal(kind="exclusive_licence", counterparty_country="US").reserved().status == "agreed"
    assert domain.export_registration_needed("ordinary_licence", "JP")
    assert not domain.export_registration_needed("transfer", "JP")
    pending = deal(counterparty_country="US").reserved()
    with pytest.raises(Conflict) as e:
        pending.pay()
    assert e.value.rule == "export-review-pending"
    assert pending.review_export(True).pay().status == "paid"
    assert pending.review_export(False).status == "export_refused"


def test_only_the_two_parties_negotiate():
    d = deal()
    assert (d.party_of("o", operator=False), d.party_of("c", operator=True)) == ("owner", "counterparty")
    with pytest.raises(Forbidden):
        d.party_of("x", operator=True)


@given(st.integers(min_value=0, max_value=14), st.sampled_from(certificates.ALPHABET))
def test_a_certificate_code_survives_formatting_and_fails_any_single_change(position, replacement):
    code = certificates.new_code()
    assert certificates.normalise(code) == code
    assert certificates.normalise(code.lower().replace("-", " ")) == code
    raw = code.replace("-", "")
    changed = raw[:position] + replacement + raw[position + 1:]
    assert (certificates.normalise(changed) is None) == (changed != raw)


def test_a_certificate_code_fails_a_swap_of_neighbours():
    for _ in range(200):
        raw = certificates.new_code().replace("-", "")
        i = next((k for k in range(14) if raw[k] != raw[k + 1]), None)
        if i is None:
            continue
        swapped = raw[:i] + raw[i + 1] + raw[i] + raw[i + 2:]
        assert certificates.normalise(swapped) is None
