"""The target rows of the benchmark's report."""

from __future__ import annotations

from bench.targets import _listed


def test_the_target_row_lists_a_run_without_the_value_as_a_dash() -> None:
    assert _listed([4.7, None, 3.912]) == "4.70, —, 3.91"
