"""What a call without prefetch pays for reading its history over FHIR: scenario 2's target taken apart.

    .venv/bin/python -m bench.read_cost [--calls 100] [--rounds 6]      # about 20 s

Scenario 2 (no prefetch) is judged by its CPU a call, at most 4 ms, and reported against the bare FHIR
reader (`bench/baseline_app.py`: the same five reads, each answer parsed, nothing else). This splits the
service's call on the same patient, in process, by the CPU time of the event loop's thread
(`time.thread_time`: neither the HTTP server nor the audit threads count):

- **bare reads**: the five GETs at once on one aiohttp session, each answer parsed, as the bare reader
  makes them;
- **no prefetch**: the service's call reading the patient from the FHIR stub, a new token per call; its
  **reading** is `Pipeline.gather` (the reads, their checks, the content keys, the history kept from
  earlier calls), **after reading** the rest (facts, rules, cards, the answer, the audit record);
- **prefetch**: the same patient's call with the same history in prefetch;
- **prefetch after reads**: the same call right after five reads of the stub (made as the bare reads
  are, not counted). The CPU's caches then hold what aiohttp touched, as they do after a call's own
  reads, so the difference from **prefetch** is what the reads cost the work that follows them.

Each round times every column over `--calls` calls, one column after the other, so the host's swings
(a quarter from one minute to the next, bench/PROFILE.md) fall on all of them; the medians of the
rounds are printed, then one JSON line. The FHIR stub is scenario 2's (`scenarios.delayed_fhir_server`,
each search answer stamped as HAPI FHIR stamps them), in a process of its own, with a 2 ms delay.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import aiohttp

from bench import patients
from bench.baseline_app import read_all
from bench.profile import app_as_served, asgi_post, fhir_server_process
from bench.profile_traffic import CPU, cpu_timed
from bench.scenarios import HOOK_PATH

STUB_DELAY_S = 0.002
WARMUP_CALLS = 50
COLUMNS = ("bare reads", "no prefetch", "reading", "after reading", "prefetch", "prefetch after reads")


def summary(runs: dict[str, list[float]]) -> dict[str, Any]:
    """The medians of the rounds (ms a call), and what they say: the service's reading over the bare
    reads, and what the reads add to the work after them."""
    median = {column: statistics.median(values) for column, values in runs.items()}
    return {
        "median_ms": median,
        "reading_over_bare_ms": median["reading"] - median["bare reads"],
        "call_over_bare": median["no prefetch"] / median["bare reads"],
        "reads_cost_the_work_after_ms": median["prefetch after reads"] - median["prefetch"],
    }


def text(result: dict[str, Any], rounds: int, calls: int) -> str:
    median = result["median_ms"]
    lines = [
        f"CPU of the event loop's thread, ms a call: the median of {rounds} rounds of {calls} calls, in process",
        "",
        "| | ms a call | rounds |",
        "|---|---|---|",
    ]
    for column in COLUMNS:
        shown = f"  ↳ {column}" if column in ("reading", "after reading") else column
        lines.append(f"| {shown} | {median[column]:.2f} | {', '.join(f'{v:.2f}' for v in result['runs'][column])} |")
    lines += [
        "",
        f"- The call without prefetch costs {result['call_over_bare']:.1f} × the bare reads.",
        f"- Its reading costs {result['reading_over_bare_ms']:.2f} ms more than the bare reads.",
        f"- Right after five reads, the same patient's call in prefetch costs {result['reads_cost_the_work_after_ms']:.2f} ms "
        "more than on its own: what the reads cost the work after them.",
    ]
    return "\n".join(lines)


def bodies(today: date, fhir_base_url: str) -> tuple[bytes, bytes]:
    """The same patient's order-sign without prefetch (read from the stub, which holds
    `patients.fhir_server_resources`) and with that same history in prefetch."""
    without_prefetch = patients.body(patients.hook_request(today, fhir_server=fhir_base_url))
    history = patients.realistic_history(today, references=False)  # the stub's: coded medications, no Medication reads
    return without_prefetch, patients.body(patients.hook_request(today, prefetch_data=patients.prefetch(today, history)))


async def _cpu_ms(calls: int, call: Callable[[], Awaitable[Any]], before: Callable[[], Awaitable[Any]] | None = None) -> float:
    """The loop thread's CPU a call over `calls` calls; `before` runs ahead of each, not counted."""
    spent = 0.0
    for _ in range(calls):
        if before is not None:
            await before()
        started = time.thread_time()
        await call()
        spent += time.thread_time() - started
    return spent / calls * 1000


async def measure(calls: int, rounds: int) -> dict[str, Any]:
    today = date.today()
    stub, base_url = fhir_server_process(STUB_DELAY_S)
    try:
        without_prefetch, with_prefetch = bodies(today, base_url)
        import service.pipeline

        stages: dict[str, float] = defaultdict(float)
        gather = service.pipeline.Pipeline.gather
        service.pipeline.Pipeline.gather = functools.wraps(gather)(cpu_timed(gather, "reading", stages))  # type: ignore[method-assign]
        runs: dict[str, list[float]] = {column: [] for column in COLUMNS}
        try:
            async with app_as_served("bzra-read-cost-") as app, aiohttp.ClientSession() as session:

                async def bare_reads() -> None:
                    await read_all(session, base_url, patients.PATIENT_ID, "bench-read-cost")

                async def hook_call(body: bytes) -> None:
                    status, answer = await asgi_post(app, HOOK_PATH, patients.fill(body, str(uuid.uuid4())))
                    assert status == 200, answer[:300]

                for _ in range(WARMUP_CALLS):
                    await bare_reads()
                    await hook_call(without_prefetch)
                    await hook_call(with_prefetch)
                for _ in range(rounds):
                    runs["bare reads"].append(await _cpu_ms(calls, bare_reads))
                    stages.clear()
                    runs["no prefetch"].append(await _cpu_ms(calls, lambda: hook_call(without_prefetch)))
                    runs["reading"].append(stages["reading" + CPU] / calls * 1000)
                    runs["after reading"].append(runs["no prefetch"][-1] - runs["reading"][-1])
                    runs["prefetch"].append(await _cpu_ms(calls, lambda: hook_call(with_prefetch)))
                    runs["prefetch after reads"].append(await _cpu_ms(calls, lambda: hook_call(with_prefetch), before=bare_reads))
        finally:
            service.pipeline.Pipeline.gather = gather  # type: ignore[method-assign]
    finally:
        assert stub.stdin is not None
        stub.stdin.close()
        stub.wait(timeout=10)
    return {**summary(runs), "runs": runs, "calls": calls, "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per column and round")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    result = asyncio.run(measure(args.calls, args.rounds))
    print(text(result, args.rounds, args.calls))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
