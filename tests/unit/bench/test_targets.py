"""The target rows of the benchmark's report."""

from __future__ import annotations

from bench.targets import _bare_reader, _listed, _pairs, open_loop_load


def test_the_target_row_lists_a_run_without_the_value_as_a_dash() -> None:
    assert _listed([4.7, None, 3.912]) == "4.70, —, 3.91"


def test_the_no_prefetch_row_gives_the_bare_reader_of_the_same_run_and_the_ratio() -> None:
    s = {"s2": {"server_cpu_ms_per_call": 5.0}, "s2_bare_reader": {"server_cpu_ms_per_call": 1.25, "runs": [1.3, 1.25, 1.1]}}
    assert _bare_reader(s) == "; the bare FHIR reader, run before each: 1.25 ms (runs 1.30, 1.25, 1.10), so the service costs 4.0 × the bare reader"
    assert _bare_reader({"s2": {"server_cpu_ms_per_call": 5.0}}) == ""  # results of an older run


def test_a_traffic_row_lists_every_alternated_pair() -> None:
    assert _pairs({"pair_ratios": [0.3, 0.23, 0.344]}) == ", the median of pairs at 0.300, 0.230, 0.344"
    assert _pairs({"rps": 300}) == ""  # results of an older run, one pair


def test_the_p99_row_says_how_busy_the_core_was_and_what_a_call_cost_in_the_open_loop() -> None:
    half = {"answered_including_warmup": 1657, "cpu": {"elapsed_s": 12.32, "server_cpus": 0.579}}
    # 0.579 of 12.32 s over 1,657 calls: 4.30 ms a call, against 3.52 ms for the same bodies under wrk
    assert open_loop_load(half, 3.516) == "; the service's core busy 0.58 of the time, 4.30 ms of CPU a call (3.52 under wrk)"
    assert open_loop_load(half, None) == "; the service's core busy 0.58 of the time, 4.30 ms of CPU a call"
    assert open_loop_load({"p99_ms": 20.0}, 3.5) == ""  # results of an older run
