"""Rule conditions: their results are remembered by the expression and the exact values it reads."""

from __future__ import annotations

import math
from typing import Any

import pytest

from service.memo import Memo
from service.rules import expressions
from service.rules.expressions import Condition


@pytest.fixture(autouse=True)
def empty_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expressions, "_RESULTS", Memo(expressions.RESULTS))


class CountingProgram:
    """A compiled program that counts how often CEL really runs it."""

    def __init__(self, source: str):
        self.inner = Condition.compile(source).program
        self.runs = 0

    def execute(self, context: dict[str, Any]) -> Any:
        self.runs += 1
        return self.inner.execute(context)


def counting(source: str) -> tuple[Condition, CountingProgram]:
    program = CountingProgram(source)
    return Condition(source, program), program


def test_the_same_values_are_evaluated_once() -> None:
    condition, program = counting("draft.days > params.limit")
    for _ in range(3):
        assert condition.evaluate({"draft": {"days": 30}, "params": {"limit": 28}}) == (True, None)
    assert program.runs == 1


@pytest.mark.parametrize(
    "context",
    [
        {"draft": {"days": 30}, "params": {"limit": 28}},
        {"draft": {"days": 20}, "params": {"limit": 28}},
        {"draft": {"days": 30}, "params": {"limit": 30}},
        {"draft": {"days": 30.0}, "params": {"limit": 28}},
        {"draft": {"days": None}, "params": {"limit": 28}},
        {"draft": {"days": True}, "params": {"limit": 28}},
        {"draft": {}, "params": {"limit": 28}},
        {"draft": {"days": math.nan}, "params": {"limit": 28}},
    ],
)
def test_any_change_in_a_value_read_gives_the_result_cel_gives(context: dict[str, Any]) -> None:
    """Evaluated after every other context: a remembered result never stands in for another value's."""
    condition, _ = counting("draft.days > params.limit")
    others = [{"draft": {"days": days}, "params": {"limit": 28}} for days in (30, 20, 30.0, None, True, 29)]
    for other in others:
        condition.evaluate(other)
    assert condition.evaluate(context) == condition._execute(context)


def test_nan_is_not_taken_for_null() -> None:
    """JSON writes both as null: a context holding NaN is evaluated every time."""
    condition, program = counting("x != null")
    assert condition.evaluate({"x": None}) == (False, None)
    assert condition.evaluate({"x": math.nan}) == (True, None)
    assert condition.evaluate({"x": math.nan}) == (True, None)
    assert program.runs == 3


def test_another_expression_on_the_same_values_is_evaluated_on_its_own() -> None:
    above, _ = counting("x > 1")
    below, _ = counting("x < 1")
    assert above.evaluate({"x": 2}) == (True, None)
    assert below.evaluate({"x": 2}) == (False, None)


def test_a_problem_is_remembered_as_the_same_problem() -> None:
    condition, program = counting("missing > 1")
    first = condition.evaluate({"x": 2})
    assert first[0] is None and first[1] is not None and "missing" in first[1]
    assert condition.evaluate({"x": 2}) == first and program.runs == 1
