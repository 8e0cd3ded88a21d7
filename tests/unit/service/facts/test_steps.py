"""The pure pieces behind the history facts: plan steps, a taper seen in doses, dependence, the course."""

from __future__ import annotations

from datetime import date, timedelta

from service.facts.course import course
from service.facts.dependence import dependence
from service.facts.episodes import Interval
from service.facts.ongoing_taper import DosePoint, WrittenPlan, plan_taper, series_taper, steps_go_down
from service.facts.steps import Step, step_on
from service.knowledge.loader import load_knowledge
from service.rules.context import NO_ORDER

KNOWLEDGE = load_knowledge()
THRESHOLDS = KNOWLEDGE.use_thresholds
TODAY = date(2026, 11, 23)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def steps(*doses: float, first: int = -28, length: int = 14) -> list[Step]:
    return [Step(i + 1, day(first + i * length), day(first + (i + 1) * length - 1), dose) for i, dose in enumerate(doses)]


def test_the_step_in_force_is_the_one_whose_bounds_hold_the_day() -> None:
    plan = steps(10, 8, 6, 4)  # 8 → 6 changes on day 0
    assert step_on(plan, TODAY) == (2, plan[2])
    assert step_on(plan, day(-1)) == (1, plan[1])
    assert step_on(plan, day(-100)) is None  # not begun
    assert step_on(plan, day(100)) == (3, plan[3])  # after the last step: the last one begun


def test_a_plan_goes_down_only_if_never_up_and_lower_at_the_end() -> None:
    assert steps_go_down(steps(10, 10, 8, 5))
    assert not steps_go_down(steps(10, 12, 8))
    assert not steps_go_down(steps(10, 10))
    assert not steps_go_down(steps(10))
    assert not steps_go_down([Step(1, None, None, 10), Step(2, None, None, None)])


def test_a_plan_in_force_gives_the_current_and_the_next_step() -> None:
    seen = plan_taper("diazepam", WrittenPlan("MedicationRequest/p", steps(10, 8, 6, 4)), TODAY, 14)
    assert seen is not None and seen.current_mg == 6 and seen.next_mg == 4 and seen.next_start == day(14)
    assert seen.doses_mg == [10, 8, 6, 4] and "step 3 is in force" in seen.derivation


def test_a_plan_that_ended_beyond_the_gap_is_not_in_force() -> None:
    ended = steps(6, 4, 2, first=-80)  # last step ended 39 days ago
    assert plan_taper("diazepam", WrittenPlan("MedicationRequest/p", ended), TODAY, 14) is None


def test_doses_going_down_twice_without_going_up_are_a_taper() -> None:
    rule = THRESHOLDS.ongoing_taper
    points = [DosePoint(day(-42), 3.0, "d1"), DosePoint(day(-42), 3.0, "o1"), DosePoint(day(-28), 2.0, "d2"), DosePoint(day(-14), 2.0, "d3"), DosePoint(day(-7), 1.5, "d4")]
    seen = series_taper("lorazepam", points, TODAY, rule)
    assert seen is not None and seen.doses_mg == [3.0, 2.0, 1.5] and seen.current_mg == 1.5


def test_one_reduction_an_increase_or_old_points_are_no_taper() -> None:
    rule = THRESHOLDS.ongoing_taper
    assert series_taper("x", [DosePoint(day(-28), 3.0, "a"), DosePoint(day(-14), 2.0, "b")], TODAY, rule) is None
    up = [DosePoint(day(-42), 3.0, "a"), DosePoint(day(-28), 2.0, "b"), DosePoint(day(-14), 1.0, "c"), DosePoint(day(-7), 3.0, "d")]
    assert series_taper("x", up, TODAY, rule) is None
    old = [DosePoint(day(-400), 3.0, "a"), DosePoint(day(-380), 2.0, "b"), DosePoint(day(-360), 1.0, "c")]
    assert series_taper("x", old, TODAY, rule) is None


def test_dependence_needs_regular_use_for_more_than_four_weeks() -> None:
    rule = THRESHOLDS.dependence
    daily_five_weeks = [Interval(day(-35), day(-1))]
    assert dependence(daily_five_weeks, 35, TODAY, rule).likely
    assert not dependence([Interval(day(-28), day(-1))], 28, TODAY, rule).likely  # not more than 28 days
    weekends = [Interval(day(-70 + 7 * w), day(-69 + 7 * w)) for w in range(10)]  # 2 days a week for 10 weeks
    found = dependence(weekends, 70, TODAY, rule)
    assert not found.likely and found.days_per_week == 2 and "not regular enough" in found.derivation


def test_the_course_adds_use_so_far_supply_left_and_the_order() -> None:
    order = NO_ORDER.model_copy(update={"is_bzra": True, "for_insomnia": True, "days_supply": 14.0, "days_supply_known": True})
    found = course(order, 10, Interval(day(-10), day(3)), TODAY, THRESHOLDS.course_limits)
    assert (found.limit_days, found.supply_left_days, found.projected_days, found.days_left_within_limit) == (14, 3, 27, 1)
    without_use = course(order, 0, None, TODAY, THRESHOLDS.course_limits)
    assert without_use.projected_days == 14 and without_use.days_left_within_limit == 14
    other = course(order.model_copy(update={"for_insomnia": False}), 0, None, TODAY, THRESHOLDS.course_limits)
    assert other.limit_days == 28 and other.limit_reason == "other"
