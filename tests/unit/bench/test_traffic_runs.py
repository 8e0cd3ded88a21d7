"""The traffic ratios are judged on the median of alternated pairs of runs, every pair's ratio listed."""

from __future__ import annotations

from bench.traffic_runs import median_pair


def _run(rps: float, cpu_ms: float, other_cpus: float = 0.0) -> dict[str, object]:
    return {"rps": rps, "server_cpu_ms_per_call": cpu_ms, "cpu": {"other_cpus": other_cpus}}


def test_the_pair_with_the_median_ratio_is_kept_and_every_ratio_listed_in_the_order_run() -> None:
    pairs = [(_run(1000, 1.0), _run(300, 3.3)), (_run(1000, 1.0), _run(230, 4.3)), (_run(900, 1.1), _run(310, 3.2))]
    bare, mine = median_pair(pairs)
    assert (bare["rps"], mine["rps"]) == (1000, 300)  # ratios 0.30, 0.23, 0.344: the median is 0.30
    assert mine["pair_ratios"] == [0.3, 0.23, 0.344]


def test_a_disturbed_pair_is_ranked_by_its_cpu_ratio_as_it_is_judged() -> None:
    """Another process took the CPU in the second pair's service run: its throughput ratio (0.10) is not
    the service's cost, its CPU ratio (0.32) is, and that is what ranks it."""
    pairs = [(_run(1000, 1.0), _run(250, 4.0)), (_run(1000, 1.0), _run(100, 3.1, other_cpus=0.9)), (_run(1000, 1.0), _run(280, 3.6))]
    bare, mine = median_pair(pairs)
    assert mine["pair_ratios"] == [0.25, 0.323, 0.28] and mine["rps"] == 280
