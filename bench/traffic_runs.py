"""The traffic scenarios measured: distinct BZRA orders, non-BZRA orders, order-select then order-sign.

The same index files (`bench/traffic.py`) go to the bare baseline and to the service, with the same wrk
settings, in the same run: every ratio compares the two on identical bodies.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench import population, sign_phases, traffic
from bench.scenarios import Options, Server, open_loop, post_json, stable, wrk_measured

KINDS = ("bzra", "non_bzra", "select_sign")  # measured with wrk, on the baseline and on the service
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
    cases = population.population(patients, today, seed)
    sequence_cases = [population.make_case(seed, patients + i, today) for i in range(patients)]
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


def measure(options: Options, server: Server, prepared: Traffic) -> dict[str, Any]:
    """wrk on each index, closed loop with the throughput runs' connections; then the signs after their
    selects, timed alone (`bench.sign_phases`)."""
    results: dict[str, Any] = {}
    for kind in KINDS:
        options.log(f"{server.name}: {LABELS[kind]}, {len(prepared.calls[kind])} bodies, {options.connections} connections")
        index = f"@{prepared.indexes[kind]}"
        results[kind] = stable(options, lambda: wrk_measured(options, server, Path(index), "unique", options.connections))
        results[kind]["distinct_bodies"] = len(prepared.calls[kind])
        options.log(f"  {results[kind]['rps']:.0f} req/s, p99 {results[kind]['p99_ms']:.1f} ms, "
                    f"{results[kind].get('server_cpu_ms_per_call', float('nan')):.2f} ms CPU a call")
    options.log(f"{server.name}: {LABELS['signs']}, {options.sign_rounds} rounds")
    results["signs"] = stable(options, lambda: sign_phases.signs_after_selects(
        options, server, prepared.calls["select_sign"], options.sign_rounds))
    options.log(f"  {results['signs']['rps']:.0f} signs/s, {results['signs']['server_cpu_ms_per_call']:.2f} ms CPU a sign")
    return results


def half_own_capacity(options: Options, server: Server, prepared: Traffic, own_rps: float) -> dict[str, Any]:
    """Open loop at half the service's own throughput on the distinct BZRA orders (the p99 target)."""
    rate = own_rps / 2
    options.log(f"{server.name}: open loop at half its own throughput ({rate:.0f}/s), distinct BZRA orders")
    result = stable(options, lambda: open_loop(options, server, Path(f"@{prepared.indexes['bzra']}"), rate))
    options.log(f"  p99 {result['p99_ms']} ms, {result['errors']} errors")
    return result
