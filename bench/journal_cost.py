"""What the audit journal costs a hook call: the same service with `BZRA_AUDIT_JOURNAL` on and off.

Two fresh services (each its own SQLite store) get the scenario 1 body, one after the other, twice
over (on, off, on, off), so that a drift of the shared machine touches both alike: one call at a time
(the latency a prescriber sees, which includes the journal's write) and wrk with 16 connections
(throughput and CPU time per call, which include the group commit's fsyncs). The report gives the
ratios on / off; nothing is asserted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.scenarios import HOOK_PATH, Options, Server, sequential, service_server, stable, wrk_measured

ROUNDS = 2


def _measure(options: Options, server: Server, body: bytes, body_file: Path) -> dict[str, Any]:
    calls = max(options.sequential_calls * 4, 60)
    return {
        "sequential": stable(options, lambda: sequential(server.port, HOOK_PATH, body, calls, server=server)),
        "wrk": stable(options, lambda: wrk_measured(options, server, body_file, "unique", options.connections)),
    }


def _mean(runs: list[dict[str, Any]], part: str, key: str) -> float:
    return sum(run[part][key] for run in runs) / len(runs)


def journal_cost(options: Options, cpus: set[int] | None, work: Path, body: bytes, body_file: Path) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    for round_number in range(ROUNDS):
        for mode in ("on", "off"):
            server = service_server(work / f"journal-{mode}-{round_number}", cpus, options.out_dir / f"service-journal-{mode}.log")
            server.env["BZRA_AUDIT_JOURNAL"] = "true" if mode == "on" else "false"
            options.log(f"audit journal {mode} (round {round_number + 1} of {ROUNDS}): one call at a time, then wrk")
            server.start(ready_path="/readyz")
            try:
                runs[mode].append(_measure(options, server, body, body_file))
            finally:
                server.stop()
    summary = {
        mode: {
            "sequential_median_ms": _mean(runs[mode], "sequential", "median_ms"),
            "sequential_p99_ms": _mean(runs[mode], "sequential", "p99_ms"),
            "wrk_rps": _mean(runs[mode], "wrk", "rps"),
            "wrk_p99_ms": _mean(runs[mode], "wrk", "p99_ms"),
        }
        for mode in runs
    }
    on, off = summary["on"], summary["off"]
    summary["ratios"] = {
        "sequential_median": round(on["sequential_median_ms"] / off["sequential_median_ms"], 3),
        "sequential_p99": round(on["sequential_p99_ms"] / off["sequential_p99_ms"], 3),
        "wrk_rps": round(on["wrk_rps"] / off["wrk_rps"], 3),
        "wrk_p99": round(on["wrk_p99_ms"] / off["wrk_p99_ms"], 3),
    }
    summary["runs"] = runs
    return summary


def markdown(journal: dict[str, Any]) -> list[str]:
    on, off, ratio = journal["on"], journal["off"], journal["ratios"]
    return [
        "",
        "## The audit journal's cost",
        "",
        "The scenario 1 call on two fresh services, `BZRA_AUDIT_JOURNAL` on and off, alternately "
        f"({ROUNDS} rounds, means shown; `bench/journal_cost.py`).",
        "",
        "| | journal on | journal off | on / off |",
        "|---|---|---|---|",
        f"| one call at a time, median | {on['sequential_median_ms']:.2f} ms | {off['sequential_median_ms']:.2f} ms | {ratio['sequential_median']:.3f} |",
        f"| one call at a time, p99 | {on['sequential_p99_ms']:.2f} ms | {off['sequential_p99_ms']:.2f} ms | {ratio['sequential_p99']:.3f} |",
        f"| wrk {journal['runs']['on'][0]['wrk'].get('connections', 16)} connections, throughput | {on['wrk_rps']:.0f} req/s | {off['wrk_rps']:.0f} req/s | {ratio['wrk_rps']:.3f} |",
        f"| wrk, p99 | {on['wrk_p99_ms']:.1f} ms | {off['wrk_p99_ms']:.1f} ms | {ratio['wrk_p99']:.3f} |",
    ]
