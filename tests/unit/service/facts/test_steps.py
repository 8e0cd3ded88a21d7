"""The step of a written plan in force on a day."""

from __future__ import annotations

from service.facts.steps import step_on
from tests.support.facts_support import TODAY
from tests.support.history_support import day, steps


def test_the_step_in_force_is_the_one_whose_bounds_hold_the_day() -> None:
    plan = steps(10, 8, 6, 4)  # 8 → 6 changes on day 0
    assert step_on(plan, TODAY) == (2, plan[2])
    assert step_on(plan, day(-1)) == (1, plan[1])
    assert step_on(plan, day(-100)) is None  # not begun
    assert step_on(plan, day(100)) == (3, plan[3])  # after the last step: the last one begun
