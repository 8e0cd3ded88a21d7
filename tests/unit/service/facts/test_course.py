"""The course of use: use so far, supply left and the order, against the limit for its reason."""

from __future__ import annotations

from service.facts.course import course
from service.facts.episodes import Interval
from service.rules.context import NO_ORDER
from tests.support.facts_support import TODAY
from tests.support.history_support import THRESHOLDS, day


def test_the_course_adds_use_so_far_supply_left_and_the_order() -> None:
    order = NO_ORDER.model_copy(update={"is_bzra": True, "for_insomnia": True, "days_supply": 14.0, "days_supply_known": True})
    found = course(order, 10, Interval(day(-10), day(3)), TODAY, THRESHOLDS.course_limits)
    assert (found.limit_days, found.supply_left_days, found.projected_days, found.days_left_within_limit) == (14, 3, 27, 1)
    without_use = course(order, 0, None, TODAY, THRESHOLDS.course_limits)
    assert without_use.projected_days == 14 and without_use.days_left_within_limit == 14
    other = course(order.model_copy(update={"for_insomnia": False}), 0, None, TODAY, THRESHOLDS.course_limits)
    assert other.limit_days == 28 and other.limit_reason == "other"
