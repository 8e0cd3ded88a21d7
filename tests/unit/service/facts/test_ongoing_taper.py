"""A taper seen in the history: a written plan in force, or doses going down."""

from __future__ import annotations

from service.facts.ongoing_taper import DosePoint, WrittenPlan, plan_taper, series_taper, steps_go_down
from service.facts.steps import Step
from tests.support.facts_support import TODAY
from tests.support.history_support import THRESHOLDS, day, steps


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
