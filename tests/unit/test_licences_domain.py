from datetime import date
from decimal import Decimal as D

import pytest

from services.runtime.errors import Conflict, DomainError, ValidationFailed
from services.licences import domain

TODAY = date(2026, 11, 25)


def royalty(basis: str, rate: str | None = None, amount: str | None = None) -> domain.Royalty:
    return domain.Royalty(basis, D(rate) if rate else None, D(amount) if amount else None, "CNY")


def due(r: domain.Royalty, period: int = 2026, revenue: str | None = None) -> D:
    return domain.royalty_due(r, period=period, first_period=2026, reported_revenue=D(revenue) if revenue else None)


# -- royalties: exact Decimal, to the fen, half up ----------------------------------------
def test_percent_of_revenue_is_revenue_times_rate_rounded_half_up_to_the_fen():
    r = royalty("percent_of_revenue", rate="3.5")
    assert due(r, revenue="1234567.89") == D("43209.88")  # 43209.87615
    assert due(royalty("percent_of_revenue", rate="2.5"), revenue="0.30") == D("0.01")  # 0.0075 → half up
    assert due(royalty("percent_of_revenue", rate="2.5"), revenue="0.10") == D("0.00")  # 0.0025 → down
    assert due(r, period=2030, revenue="100.00") == D("3.50")


def test_a_rate_on_a_third_of_a_percent_is_exact_not_a_float():
    r = royalty("percent_of_revenue", rate="0.3333")
    assert due(r, revenue="10000000.00") == D("33330.00")
    assert isinstance(due(r, revenue="1.00"), D)


def test_fixed_per_year_is_the_amount_every_year():
    r = royalty("fixed_per_year", amount="120000.00")
    assert [due(r, period=y) for y in (2026, 2027, 2031)] == [D("120000.00")] * 3


def test_lump_sum_is_due_once_in_the_first_year():
    r = royalty("lump_sum", amount="500000.01")
    assert due(r, period=2026) == D("500000.01")
    assert due(r, period=2027) == D("0.00")


def test_entry_fee_plus_rate_adds_the_fee_in_the_first_year_only():
    r = royalty("entry_fee_plus_rate", rate="1.25", amount="50000.00")
    assert due(r, period=2026, revenue="800000.04") == D("60000.00")  # 50000 + 10000.0005
    assert due(r, period=2027, revenue="800000.04") == D("10000.00")


def test_a_rate_basis_needs_the_periods_revenue():
    with pytest.raises(ValidationFailed) as e:
        due(royalty("percent_of_revenue", rate="3"))
    assert e.value.errors[0].field == "reported_revenue"


def test_no_period_before_the_licence_starts():
    with pytest.raises(ValidationFailed):
        due(royalty("fixed_per_year", amount="1.00"), period=2025)


@pytest.mark.parametrize("r, field", [
    (royalty("percent_of_revenue"), "royalty.rate_percent"),
    (royalty("percent_of_revenue", rate="3", amount="1.00"), "royalty.amount"),
    (royalty("fixed_per_year"), "royalty.amount"),
    (royalty("lump_sum", rate="2", amount="1.00"), "royalty.rate_percent"),
    (royalty("entry_fee_plus_rate", amount="1.00"), "royalty.rate_percent"),
    (royalty("entry_fee_plus_rate", rate="2"), "royalty.amount"),
])
def test_each_basis_names_what_it_needs(r, field):
    with pytest.raises(ValidationFailed) as e:
        domain.check_royalty(r)
    assert field in {x.field for x in e.value.errors}


def test_payments_are_measured_against_what_is_outstanding():
    b = domain.check_payment(domain.Balance(D("100.00"), D("30.00")), D("70.00"))
    assert (b.paid, b.outstanding) == (D("100.00"), D("0.00"))
    with pytest.raises(DomainError) as e:
        domain.check_payment(domain.Balance(D("100.00"), D("30.00")), D("70.01"))
    assert e.value.rule == "payment-exceeds-outstanding"


def patent(**over) -> domain.PatentFacts:
    args = dict(patent_id="pat_1", owner_org_id="org_a", co_owner_org_ids=(), kind="invention",
                legal_status="granted", expires_on=date(2041, 3, 1))
    args.update(over)
    return domain.PatentFacts(**args)


# -- acceptance, withdrawal, filing -------------------------------------------------------
def test_acceptance_grants_from_today_with_filing_due_in_three_months():
    g = domain.check_acceptance(status="in_force", licensee="org_x", licensor_ids=["org_a"], patent=patent(),
                                term_years=5, today=date(2026, 11, 30))
    assert (g.effective_date, g.expires_on, g.filing_due_on) == (date(2026, 11, 30), date(2031, 11, 30),
                                                                 date(2027, 2, 28))


def test_a_licence_never_outlives_the_patent():
    g = domain.check_acceptance(status="in_force", licensee="org_x", licensor_ids=["org_a"],
                                patent=patent(expires_on=date(2028, 1, 1)), term_years=10, today=TODAY)
    assert g.expires_on == date(2028, 1, 1)


def test_no_acceptance_after_withdrawal_nor_by_an_owner():
    with pytest.raises(Conflict) as e:
        domain.check_acceptance(status="withdrawn", licensee="org_x", licensor_ids=["org_a"], patent=patent(),
                                term_years=5, today=TODAY)
    assert e.value.rule == "open-licence-withdrawn"
    with pytest.raises(DomainError) as e:
        domain.check_acceptance(status="in_force", licensee="org_b", licensor_ids=["org_a", "org_b"],
                                patent=patent(), term_years=5, today=TODAY)
    assert e.value.rule == "licensor-cannot-accept"


def test_withdrawal_needs_the_declarer_and_every_co_owner():
    with pytest.raises(DomainError) as e:
        domain.check_withdrawal(status="in_force", declarer="org_a", acting="org_b", co_owner_ids=[],
                                co_owner_consents=[])
    assert e.value.rule == "not-declarer"
    with pytest.raises(DomainError) as e:
        domain.check_withdrawal(status="in_force", declarer="org_a", acting="org_a", co_owner_ids=["org_b"],
                                co_owner_consents=[])
    assert e.value.rule == "co-owner-not-consented"
    domain.check_withdrawal(status="in_force", declarer="org_a", acting="org_a", co_owner_ids=["org_b"],
                            co_owner_consents=["org_b"])


def test_filing_status():
    due_on = date(2027, 2, 28)
    assert domain.filing_status(None, due_on, due_on) == "filing_due"
    assert domain.filing_status(None, due_on, date(2027, 3, 1)) == "filing_overdue"
    assert domain.filing_status(date(2027, 3, 5), due_on, date(2027, 4, 1)) == "filed"


def test_add_months_keeps_the_day_or_the_months_last():
    assert domain.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert domain.add_months(date(2028, 11, 30), 3) == date(2029, 2, 28)
    assert domain.add_months(date(2026, 10, 15), 3) == date(2027, 1, 15)
