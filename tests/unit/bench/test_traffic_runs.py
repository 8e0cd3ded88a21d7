"""The traffic ratios are judged on the median of alternated pairs of runs, every pair's ratio listed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from bench import traffic_runs
from bench.scenarios import Options, Server
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


def test_each_open_loop_runs_at_half_the_throughput_wrk_measured_right_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The host's speed swings within a minute: the rate comes from a wrk run just before each open loop,
    not from the traffic runs minutes earlier."""
    sent: list[tuple[str, float]] = []
    capacities = iter([400.0, 300.0, 360.0])

    def wrk_measured(options: object, server: object, index: object, mode: str, connections: int) -> dict[str, object]:
        rps = next(capacities)
        sent.append(("wrk", rps))
        return {"rps": rps, "p99_ms": 50.0, "server_cpu_ms_per_call": 1000 / rps}

    def open_loop(options: object, server: object, index: object, rate: float) -> dict[str, object]:
        sent.append(("open loop", rate))
        return {"offered_rate": rate, "p99_ms": {200.0: 30.0, 150.0: 20.0, 180.0: 25.0}[rate], "errors": 0}

    monkeypatch.setattr(traffic_runs, "wrk_measured", wrk_measured)
    monkeypatch.setattr(traffic_runs, "open_loop", open_loop)
    monkeypatch.setattr(traffic_runs, "stable", lambda options, run: run())
    prepared = traffic_runs.Traffic(calls={"bzra": []}, indexes={"bzra": Path("bzra.index")}, summary={})
    server = cast(Server, SimpleNamespace(name="bzra-cds"))
    result = traffic_runs.half_own_capacity(Options(log=lambda message: None), server, prepared)
    assert sent == [("wrk", 400.0), ("open loop", 200.0), ("wrk", 300.0), ("open loop", 150.0), ("wrk", 360.0), ("open loop", 180.0)]
    assert (result["p99_ms"], result["capacity_rps"]) == (25.0, 360.0)  # the median p99, with the wrk run before it
    assert result["capacity_cpu_ms_per_call"] == 1000 / 360.0
    assert (result["runs"], result["rates"]) == ([30.0, 20.0, 25.0], [200.0, 150.0, 180.0])
