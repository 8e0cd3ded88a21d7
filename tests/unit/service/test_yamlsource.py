"""YAML read with positions: a validation error points at its file, line and column."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from service.yamlsource import Problem, parse_yaml, validate


class _Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    sizes: list[int]


def test_yamlsource_maps_pydantic_errors_to_lines_in_lists() -> None:
    source, problems = parse_yaml("name: box\nsizes:\n  - 1\n  - two\n", "thing.yaml")
    assert source is not None and problems == []
    model, problems = validate(source, _Thing)
    assert model is None
    assert [(p.line, p.column) for p in problems] == [(4, 5)]
    assert str(problems[0]).startswith("thing.yaml:4:5: sizes.1:")


def test_problem_formats_without_line() -> None:
    assert str(Problem("f.yaml", None, None, "oops")) == "f.yaml: oops"
