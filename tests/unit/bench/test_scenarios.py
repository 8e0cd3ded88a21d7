"""Scenario 2's CPU per call is judged on the median of its runs, and every run is reported."""

from __future__ import annotations

from bench.scenarios import median_run


def test_the_run_with_the_median_cpu_is_kept_and_every_run_listed_in_order() -> None:
    runs = [{"cpu": 4.7, "rps": 70}, {"cpu": 3.9, "rps": 71}, {"cpu": 4.2, "rps": 72}]
    kept = median_run(runs, "cpu")
    assert kept["cpu"] == 4.2 and kept["rps"] == 72 and kept["runs"] == [4.7, 3.9, 4.2]


def test_a_run_without_the_value_counts_as_the_slowest() -> None:
    """A run that answered no call has no CPU per call: it must not be taken for the fastest."""
    kept = median_run([{"rps": 0}, {"cpu": 3.9}, {"cpu": 4.1}], "cpu")
    assert kept["cpu"] == 4.1 and kept["runs"] == [None, 3.9, 4.1]


def test_with_an_even_number_of_runs_the_higher_middle_is_kept() -> None:
    """The judged number errs on the side of the target not being met."""
    assert median_run([{"cpu": 1.0}, {"cpu": 2.0}], "cpu")["cpu"] == 2.0


def test_an_unbounded_p99_counts_as_the_slowest_run() -> None:
    """An open loop with over 1 % unanswered has no p99 (None): the worst run, not the best."""
    kept = median_run([{"p99_ms": None}, {"p99_ms": 12.0}, {"p99_ms": 30.0}], "p99_ms")
    assert kept["p99_ms"] == 30.0 and kept["runs"] == [None, 12.0, 30.0]
