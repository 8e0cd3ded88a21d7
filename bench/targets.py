"""The targets (issue 20, for 2 cores), judged on one run's results; reported, never asserted.

Throughput ratios are the service's wrk requests/s over the bare baseline's on the same index of bodies.
That holds while each server has its core to itself: both are CPU-bound on one core, so the ratio of
throughputs is the inverse ratio of CPU time per call. When other processes took the CPUs during either
run (more than `DISTURBED_CPUS`), the server got only a share of its core, a different share in each
run, and the throughput ratio says more about that share than about the service; the ratio of CPU time
per call (baseline over service) is then judged instead, and the report says which one was.

Each traffic runs three times on each server, alternately (baseline, service, baseline, ...), and the
pair with the median judged ratio counts (`traffic_runs.measure_alternately`): the host's speed swings
by a third within a minute. Every pair's ratio is listed.

The sign after its selects is timed alone (`bench.sign_phases`): each round sends every patient's
selects, then the signs by themselves, and only the signs' phase is measured, on the service and on the
baseline alike; judged like the others.
"""

from __future__ import annotations

import math
from typing import Any

from bench.scenarios import DISTURBED_CPUS

BZRA_RATIO = 0.25
NON_BZRA_RATIO = 0.70
SIGN_RATIO = 0.50
NO_PREFETCH_CPU_MS = 4.0
P99_TARGET_MS = 25.0
S4_LIMIT_MS = 150.0
RSS_LIMIT_MB = 200.0
S2_EXTRA_MS = 20.0  # scenario 2: p99 ≤ 1.5 × the FHIR delay + this (the earlier target, kept)
# Linear growth: time ∝ size^k with k ≤ 1 between 100 and 1,000 resources (log-log slope), with room for noise.
LINEAR_SLOPE_LIMIT = 1.1


def ratio(service: dict[str, Any], baseline: dict[str, Any]) -> float:
    return service["rps"] / baseline["rps"] if baseline.get("rps") else math.nan


def cpu_ratio(service: dict[str, Any], baseline: dict[str, Any]) -> float:
    mine, bare = service.get("server_cpu_ms_per_call"), baseline.get("server_cpu_ms_per_call")
    return bare / mine if mine and bare else math.nan


def disturbed(*runs: dict[str, Any]) -> bool:
    return any(run.get("cpu", {}).get("other_cpus", 0.0) > DISTURBED_CPUS for run in runs)


def judged(service: dict[str, Any], baseline: dict[str, Any]) -> tuple[float, str]:
    """(the ratio judged, what it is): throughput, or CPU time per call when a run was disturbed."""
    if disturbed(service, baseline) and not math.isnan(cpu_ratio(service, baseline)):
        return cpu_ratio(service, baseline), "CPU time per call (runs disturbed by other processes)"
    return ratio(service, baseline), "throughput"


def sign_after_selects(service: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """The signs timed alone after their selects (`bench.sign_phases`) against the bare baseline's same rounds."""
    mine, bare = service["signs"], baseline["signs"]
    value, basis = judged(mine, bare)
    return {"judged": value, "basis": basis, "ratio": ratio(mine, bare), "cpu_ratio": cpu_ratio(mine, bare),
            "sign_cpu_ms": mine.get("server_cpu_ms_per_call", math.nan),
            "bare_sign_cpu_ms": bare.get("server_cpu_ms_per_call", math.nan)}


def pair_ratios(run: dict[str, Any]) -> str:
    """The ratios of every alternated pair of runs (`traffic_runs.measure_alternately`), in the order run;
    empty for a run measured once."""
    return ", ".join(f"{value:.3f}" for value in run.get("pair_ratios", []))


def _pairs(run: dict[str, Any]) -> str:
    listed = pair_ratios(run)
    return f", the median of pairs at {listed}" if listed else ""


def _row(target: str, measured: str, passed: bool) -> dict[str, Any]:
    return {"target": target, "measured": measured, "pass": bool(passed)}


def traffic_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    b, s = results["baseline"]["traffic"], results["service"]["traffic"]
    sign = sign_after_selects(s, b)
    sequence, sequence_basis = judged(s["select_sign"], b["select_sign"])

    def measured(kind: str) -> tuple[str, float]:
        value, basis = judged(s[kind], b[kind])
        return (f"**{value:.3f}** by {basis}{_pairs(s[kind])}; throughput {ratio(s[kind], b[kind]):.3f} ({s[kind]['rps']:.0f} vs "
                f"{b[kind]['rps']:.0f} req/s), CPU time {cpu_ratio(s[kind], b[kind]):.3f} "
                f"({s[kind].get('server_cpu_ms_per_call', math.nan):.2f} vs {b[kind].get('server_cpu_ms_per_call', math.nan):.2f} ms a call)"), value

    bzra_text, bzra = measured("bzra")
    non_text, non = measured("non_bzra")
    return [
        _row(f"Distinct BZRA orders ≥ {BZRA_RATIO:.2f} of bare", bzra_text, bzra >= BZRA_RATIO),
        _row(f"Non-BZRA orders ≥ {NON_BZRA_RATIO:.2f} of bare", non_text, non >= NON_BZRA_RATIO),
        _row(f"The sign after its selects ≥ {SIGN_RATIO:.2f} of bare",
             f"**{sign['judged']:.3f}** by {sign['basis']}{_pairs(s['signs'])}; throughput {sign['ratio']:.3f} "
             f"({s['signs']['rps']:.0f} vs {b['signs']['rps']:.0f} signs/s), CPU time {sign['cpu_ratio']:.3f} "
             f"({sign['sign_cpu_ms']:.2f} vs {sign['bare_sign_cpu_ms']:.2f} ms a sign); "
             f"the whole sequence {sequence:.3f} by {sequence_basis.split(' (')[0]}", sign["judged"] >= SIGN_RATIO),
    ]


def _listed(values: list[float | None]) -> str:
    return ", ".join("—" if value is None else f"{value:.2f}" for value in values)


def over_bare_reader(s: dict[str, Any]) -> float | None:
    """Scenario 2's CPU per call over the bare FHIR reader's in the same run; None without the reader."""
    reader = s.get("s2_bare_reader")
    if not reader or not reader.get("server_cpu_ms_per_call"):
        return None
    return s["s2"].get("server_cpu_ms_per_call", math.nan) / reader["server_cpu_ms_per_call"]


def _bare_reader(s: dict[str, Any]) -> str:
    """The bare FHIR reader's CPU per call, run by run between the service's: how fast the host was."""
    ratio = over_bare_reader(s)
    if ratio is None:
        return ""
    reader = s["s2_bare_reader"]
    return (f"; the bare FHIR reader, run before each: {reader['server_cpu_ms_per_call']:.2f} ms "
            f"(runs {_listed(reader.get('runs', []))}), so the service costs {ratio:.1f} × the bare reader")


def open_loop_load(half: dict[str, Any], wrk_cpu_ms: float | None) -> str:
    """How busy the service's core was during the half-capacity open loop, and its CPU a call there
    against the same bodies under wrk (right before it; in older results, the traffic runs'). At the
    same rate, calls one at a time cost more than wrk's back-to-back ones (each arrival wakes an idle
    loop; the journal syncs about once a call), so "half the capacity" keeps the core busy more than
    half the time, and a single loop's queue, hence its p99, follows (bench/PROFILE.md, round 7).
    Empty for a run without the CPU watch."""
    cpu, calls = half.get("cpu", {}), half.get("answered_including_warmup")
    if not calls or not cpu.get("server_cpus") or not cpu.get("elapsed_s"):
        return ""
    per_call = cpu["server_cpus"] * cpu["elapsed_s"] / calls * 1000
    against = f" ({wrk_cpu_ms:.2f} under wrk)" if wrk_cpu_ms else ""
    return f"; the service's core busy {cpu['server_cpus']:.2f} of the time, {per_call:.2f} ms of CPU a call{against}"


def other_targets(results: dict[str, Any], linearity: dict[str, Any], delay_ms: float, largest: int) -> list[dict[str, Any]]:
    s = results["service"]
    half = s["traffic"]["half_own_capacity"]
    p99 = half["p99_ms"]
    cpu = s["s2"].get("server_cpu_ms_per_call", math.nan)
    s2_limit = 1.5 * delay_ms + S2_EXTRA_MS
    large = s["s4"][str(largest)]
    rss = s["memory_after_runs_mb"]["VmRSS"]
    return [
        _row(f"No-prefetch CPU per call ≤ {NO_PREFETCH_CPU_MS:.0f} ms",
             f"{cpu:.2f} ms, the median of runs at {_listed(s['s2'].get('runs', [cpu]))} ms "
             f"(wrk, {s['s2']['connections']} connections, a new token per call){_bare_reader(s)}", cpu <= NO_PREFETCH_CPU_MS),
        _row(f"p99 ≤ {P99_TARGET_MS:.0f} ms at half the service's own capacity, distinct patients "
             f"({half['offered_rate']:.0f} req/s, open loop)",
             (f"p99 {p99:.1f} ms" if p99 is not None else f"p99 unbounded ({half['unfinished']} unanswered)")
             + (f", the median of runs at {_listed(half['runs'])} ms" if "runs" in half else "")
             + f", {half['errors']} errors"
             + open_loop_load(half, half.get("capacity_cpu_ms_per_call", s["traffic"]["bzra"].get("server_cpu_ms_per_call"))),
             p99 is not None and p99 <= P99_TARGET_MS and half["errors"] == 0),
        _row(f"1,000 resources under {S4_LIMIT_MS:.0f} ms (median)",
             f"median {large['median_ms']:.1f} ms, p95 {large['p95_ms']:.1f} ms", large["median_ms"] < S4_LIMIT_MS),
        _row("Large history grows linearly",
             f"time ∝ size^{linearity['exponent_100_to_1000']:.2f} from 100 to 1,000 resources (linear: ≤ {LINEAR_SLOPE_LIMIT})",
             linearity["at_most_linear"]),
        _row(f"Resident memory under {RSS_LIMIT_MB:.0f} MB after the runs",
             f"{rss:.0f} MB (peak {s['memory_after_runs_mb']['VmHWM']:.0f} MB)", rss < RSS_LIMIT_MB),
        _row(f"No-prefetch p99 ≤ 1.5 × delay + {S2_EXTRA_MS:.0f} ms = {s2_limit:.0f} ms (earlier target)",
             f"p99 {s['s2']['p99_ms']:.1f} ms", s["s2"]["p99_ms"] <= s2_limit and s["s2"]["errors"] == 0),
    ]
