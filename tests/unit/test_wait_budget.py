"""Read-your-writes waits during an outage: one full wait, then short ones until a wait succeeds."""

from __future__ import annotations

from services.runtime.http.consistency import WaitBudget


def test_after_a_wait_runs_out_the_next_ones_are_short_until_one_succeeds():
    now = [100.0]
    budget = WaitBudget(5.0, short_s=0.2, short_for_s=10.0, clock=lambda: now[0])
    assert budget.bound() == 5.0
    budget.ran_out("Kafka")
    assert budget.bound() == 0.2
    now[0] += 9.9
    assert budget.bound() == 0.2
    budget.succeeded()
    assert budget.bound() == 5.0


def test_short_waits_end_by_themselves_and_a_new_outage_starts_them_again():
    now = [0.0]
    budget = WaitBudget(5.0, short_s=0.2, short_for_s=10.0, clock=lambda: now[0])
    budget.ran_out("Kafka")
    now[0] += 10.0
    assert budget.bound() == 5.0  # try the full wait again: the outage may be over
    budget.ran_out("Kafka")
    assert budget.bound() == 0.2
