"""Deal statistics, pure: periods, growth, regions and industries, the plan's targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.stats import domain


def test_periods_cover_the_range_empty_ones_included():
    assert domain.periods(date(2024, 11, 15), date(2025, 2, 1), "month") == [
        date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]
    assert [domain.period_key(s, "quarter") for s in domain.periods(date(2024, 2, 1), date(2024, 12, 31), "quarter")] \
        == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert domain.periods(date(2023, 6, 1), date(2024, 1, 1), "year") == [date(2023, 1, 1), date(2024, 1, 1)]


def test_growth_is_exact_and_none_from_nothing():
    assert domain.growth(3, 2) == Decimal("0.5000")
    assert domain.growth(Decimal("200.00"), Decimal("1100.00")) == Decimal("-0.8182")
    assert domain.growth(5, 0) is None


def test_region_from_the_uscc_and_industry_from_the_ipc():
    assert domain.region_of("CN", "91310000MA1FL0000X") == "31"
    assert domain.region_of("CN", None) == "unknown"
    assert domain.region_of("US", None) == "US"
    assert domain.industry_of(["h01m 4/525"]) == "H"
    assert domain.industry_of([]) is None


def test_targets_year_by_year():
    t = domain.year_target(2024, date(2024, 12, 31), 12, 10, Decimal("0"))
    assert (t.institution_growth, t.institution_growth_met) == (Decimal("0.2000"), False)  # not above 20 %
    t = domain.year_target(2025, date(2025, 6, 30), 15, 12, Decimal("75000000000"))
    assert (t.institution_growth, t.institution_growth_met) == (Decimal("0.2500"), True)
    assert t.city_contract_value_progress == Decimal("0.500000")
    t = domain.year_target(2030, date(2030, 1, 1), 0, 0, Decimal("0"))
    assert (t.institution_growth, t.institution_growth_met) == (None, None)
    # A year still running is counted up to the range's last day.
    assert domain.target_spans(2025, 2026, date(2026, 11, 30)) == [
        (2025, date(2025, 1, 1), date(2025, 12, 31)), (2026, date(2026, 1, 1), date(2026, 11, 30))]


def test_a_table_keeps_empty_periods():
    rows = [domain.Row(date(2024, 1, 1), "a", domain.Measures(1, Decimal("2.00"))),
            domain.Row(date(2024, 1, 1), "a", domain.Measures(2, Decimal("3.00"))),
            domain.Row(date(2023, 1, 1), "b", domain.Measures(9, Decimal("9.00")))]
    t = domain.table(rows, [date(2024, 1, 1), date(2024, 2, 1)])
    assert t == {date(2024, 1, 1): {"a": domain.Measures(3, Decimal("5.00"))}, date(2024, 2, 1): {}}


def test_a_range_splits_into_whole_months_and_partial_edges():
    d = date
    assert domain.split_by_month(d(2024, 1, 1), d(2024, 12, 31)) == ((d(2024, 1, 1), d(2024, 12, 1)), [])
    assert domain.split_by_month(d(2024, 3, 11), d(2025, 2, 10)) == (
        (d(2024, 4, 1), d(2025, 1, 1)), [(d(2024, 3, 11), d(2024, 3, 31)), (d(2025, 2, 1), d(2025, 2, 10))])
    assert domain.split_by_month(d(2024, 3, 11), d(2024, 3, 20)) == (None, [(d(2024, 3, 11), d(2024, 3, 20))])
    assert domain.split_by_month(d(2024, 3, 11), d(2024, 4, 30)) == (
        (d(2024, 4, 1), d(2024, 4, 1)), [(d(2024, 3, 11), d(2024, 3, 31))])
    assert domain.split_by_month(d(2024, 2, 1), d(2024, 2, 28)) == (None, [(d(2024, 2, 1), d(2024, 2, 28))])
