from datetime import date

from service.facts.episodes import Interval, continuous_days, days_in_window, merge

D = date.fromisoformat


def test_zolpidem_nightly_for_nine_weeks_is_63_days() -> None:
    episodes = merge([Interval(D("2026-09-21"), D("2026-11-22"))], gap_days=7)
    assert continuous_days(episodes, D("2026-11-23"), gap_days=7) == 63


def test_gaps_within_tolerance_merge_and_longer_gaps_split() -> None:
    a = Interval(D("2026-01-01"), D("2026-01-30"))
    b = Interval(D("2026-02-08"), D("2026-03-09"))  # 8 uncovered days between
    assert merge([b, a], gap_days=8) == [Interval(a.start, b.end)]
    assert merge([a, b], gap_days=7) == [a, b]


def test_overlapping_sources_are_not_counted_twice() -> None:
    episodes = merge([Interval(D("2026-01-01"), D("2026-01-31")), Interval(D("2026-01-15"), D("2026-01-20"))], 0)
    assert days_in_window(episodes, Interval(D("2026-01-01"), D("2026-12-31"))) == 31


def test_continuous_days_stop_counting_after_a_long_break() -> None:
    episodes = merge([Interval(D("2026-01-01"), D("2026-06-30"))], gap_days=14)
    assert continuous_days(episodes, D("2026-07-10"), gap_days=14) == 181  # ran out 9 days ago: still continuous
    assert continuous_days(episodes, D("2026-11-23"), gap_days=14) == 0


def test_use_starting_on_the_order_date_is_not_prior_use() -> None:
    episodes = merge([Interval(D("2026-11-23"), D("2026-12-22"))], gap_days=14)
    assert continuous_days(episodes, D("2026-11-23"), gap_days=14) == 0


def test_days_in_last_12_months_counts_only_the_window() -> None:
    episodes = [Interval(D("2025-10-01"), D("2026-01-31"))]
    window = Interval(D("2025-11-23"), D("2026-11-22"))
    assert days_in_window(episodes, window) == (D("2026-01-31") - D("2025-11-23")).days + 1
