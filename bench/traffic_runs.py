"""The traffic scenarios measured: distinct BZRA orders, non-BZRA orders, order-select then order-sign.

The same index files (`bench/traffic.py`) go to the bare baseline and to the service, with the same wrk
settings, in the same run, alternately (`measure_alternately`): every ratio compares the two on
identical bodies, a minute apart at most.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench import population, sign_phases, traffic
from bench.scenarios import Options, Server, median_run, open_loop, post_json, stable, wrk_measured
from bench.targets import judged

KINDS = ("bzra", "non_bzra", "select_sign")  # measured with wrk, on the baseline and on the service
ROUNDS = 3  # alternated rounds of baseline and service per traffic; runs of the open loop
LABELS = {
    "bzra": "distinct BZRA orders (order-sign)",
    "non_bzra": "non-BZRA orders, same patients (order-sign)",
    "select_sign": "order-select ×2–3 then order-sign, per patient",
    "signs": "the signs alone, each after its own selects",
}


@dataclass(frozen=True)
class Traffic:
    calls: dict[str, list[traffic.Call]]
    indexes: dict[str, Path]
    summary: dict[str, Any]


def prepare(patients: int, seed: int, today: date, directory: Path) -> Traffic:
    """`patients` for the BZRA and non-BZRA orders, as many others for the select-then-sign sequences."""
    cases, sequence_cases = population.with_sequences(patients, today, seed)
    calls = traffic.build(cases, sequence_cases, today)
    indexes = traffic.write(calls, directory)
    summary = {"seed": seed, "population": population.summary(cases),
               "sequence_population": population.summary(sequence_cases), "calls": traffic.sizes(calls)}
    return Traffic(calls, indexes, summary)


def check(server: Server, prepared: Traffic, kinds: tuple[str, ...], sample: int | None) -> dict[str, dict[str, int]]:
    """Every body (or the first `sample` of each list) once: 200, no data issue; counts answers with cards.

    The patient ids carry the cycle "check", which no load run uses, so these calls warm nothing up
    for the measured runs.
    """
    found: dict[str, dict[str, int]] = {}
    for kind in kinds:
        counts: Counter[str] = Counter()
        for call in prepared.calls[kind][:sample]:
            status, answer = post_json(server.port, call.path, traffic.fill(call, str(uuid.uuid4()), "check"))
            if status != 200 or (isinstance(answer, dict) and "extension" in answer):
                raise RuntimeError(f"sanity check failed: {kind} patient {call.patient} ({call.hook}) answered "
                                   f"{status} {json.dumps(answer)[:400]}")
            counts["with cards" if answer.get("cards") else "no cards"] += 1
        found[kind] = dict(counts)
    return found


def _measure_kind(options: Options, server: Server, prepared: Traffic, kind: str) -> dict[str, Any]:
    """One run of one traffic: wrk on its index, closed loop with the throughput runs' connections; for
    "signs", the signs after their selects, timed alone (`bench.sign_phases`)."""
    if kind == "signs":
        options.log(f"{server.name}: {LABELS['signs']}, {options.sign_rounds} rounds")
        result = stable(options, lambda: sign_phases.signs_after_selects(
            options, server, prepared.calls["select_sign"], options.sign_rounds))
        options.log(f"  {result['rps']:.0f} signs/s, {result['server_cpu_ms_per_call']:.2f} ms CPU a sign")
        return result
    options.log(f"{server.name}: {LABELS[kind]}, {len(prepared.calls[kind])} bodies, {options.connections} connections")
    index = Path(f"@{prepared.indexes[kind]}")
    result = stable(options, lambda: wrk_measured(options, server, index, "unique", options.connections))
    result["distinct_bodies"] = len(prepared.calls[kind])
    options.log(f"  {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms, "
                f"{result.get('server_cpu_ms_per_call', float('nan')):.2f} ms CPU a call")
    return result


def median_pair(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Of (baseline run, service run) pairs, the one whose judged ratio is the median (the higher middle
    one of an even number); the service's run lists every pair's ratio, in the order run (`pair_ratios`)."""
    ratios = [judged(mine, bare)[0] for bare, mine in pairs]
    ordered = sorted(range(len(pairs)), key=lambda i: -math.inf if math.isnan(ratios[i]) else ratios[i])
    bare, mine = pairs[ordered[len(pairs) // 2]]
    return bare, {**mine, "pair_ratios": [round(value, 3) for value in ratios]}


def measure_alternately(options: Options, baseline: Server, service: Server, prepared: Traffic) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each traffic on the baseline, then on the service, `ROUNDS` times; the pair with the median ratio
    is kept. On this shared host the speed swings by a third within a minute, so a ratio of two runs
    minutes apart (the whole baseline, then the whole service) measured the host as much as the service
    (bench/PROFILE.md, round 5). Returns (the baseline's runs, the service's runs) by traffic."""
    bare: dict[str, Any] = {}
    mine: dict[str, Any] = {}
    for kind in (*KINDS, "signs"):
        pairs = [(_measure_kind(options, baseline, prepared, kind), _measure_kind(options, service, prepared, kind))
                 for _ in range(ROUNDS)]
        bare[kind], mine[kind] = median_pair(pairs)
        options.log(f"  {LABELS[kind]}: ratios {mine[kind]['pair_ratios']}, the median kept")
    return bare, mine


def half_own_capacity(options: Options, server: Server, prepared: Traffic) -> dict[str, Any]:
    """Open loop at half the service's own throughput on the distinct BZRA orders (the p99 target), run
    `ROUNDS` times, each right after wrk has measured that throughput on the same bodies. The host's
    speed swings by a third within a minute: a rate taken from the traffic runs minutes earlier kept the
    core busy 0.58 of the time in one run and 0.76 in the next (bench/PROFILE.md, round 7). The run with
    the median p99 is kept, with the throughput and CPU a call wrk measured before it; every run's p99
    and rate are listed (`runs`, `rates`)."""
    index = Path(f"@{prepared.indexes['bzra']}")
    runs = []
    for _ in range(ROUNDS):
        capacity = _measure_kind(options, server, prepared, "bzra")
        rate = capacity["rps"] / 2
        options.log(f"{server.name}: open loop at half that ({rate:.0f}/s), distinct BZRA orders")
        run = stable(options, lambda: open_loop(options, server, index, rate))
        runs.append({**run, "capacity_rps": capacity["rps"],
                     "capacity_cpu_ms_per_call": capacity.get("server_cpu_ms_per_call")})
    result = {**median_run(runs, "p99_ms"), "rates": [run["offered_rate"] for run in runs]}
    options.log(f"  p99 {result['runs']} ms at {result['rates']} req/s, {result['errors']} errors")
    return result
