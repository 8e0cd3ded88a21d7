"""Likely dependence: regular use for more than four weeks."""

from __future__ import annotations

from service.facts.dependence import dependence
from service.facts.episodes import Interval
from tests.support.facts_support import TODAY
from tests.support.history_support import THRESHOLDS, day


def test_dependence_needs_regular_use_for_more_than_four_weeks() -> None:
    rule = THRESHOLDS.dependence
    daily_five_weeks = [Interval(day(-35), day(-1))]
    assert dependence(daily_five_weeks, 35, TODAY, rule).likely
    assert not dependence([Interval(day(-28), day(-1))], 28, TODAY, rule).likely  # not more than 28 days
    weekends = [Interval(day(-70 + 7 * w), day(-69 + 7 * w)) for w in range(10)]  # 2 days a week for 10 weeks
    found = dependence(weekends, 70, TODAY, rule)
    assert not found.likely and found.days_per_week == 2 and "not regular enough" in found.derivation
