"""Instructions a hook call executes, counted by valgrind: an A/B measure that the host cannot disturb.

    apt-get install valgrind
    .venv/bin/python -m bench.instructions [--scenario s1|s2|bzra|sign] [--calls 200] [--warmup 20]

CPU time on a shared host swings: the same server code measured 3.4 to 5.5 ms a call a few minutes
apart (bench/PROFILE.md, round 4), which hides a change worth 5 %. Instructions do not swing:
`valgrind --tool=callgrind` gave totals 0.004 % apart for the same command run twice. So a change on
the hot path is compared by running this on both commits.

The application is built as `bench.profile` builds it (`app_as_served`: `create_app`, a fresh SQLite
audit store, the lifespan started) and called through ASGI in process. Scenario s1 sends the
realistic patient in prefetch; s2 reads everything from the FHIR stub, in a process of its own (not
counted), with a new token per call. Two more follow the traffic an EHR sends (`bench/traffic.py`):
`bzra`, distinct patients' BZRA order-signs, each patient once (no content cache can help); `sign`,
the order-sign after its patient's order-selects (the content caches' case), where the process
without measured calls sends the same selects, so the difference is the signs alone. Two processes
run side by side under callgrind, one with `--calls` measured calls and one with none, both after the
same warm-up: the difference, divided by the calls, is one call's instructions (the audit writer's
and the journal's threads included). Under valgrind a call takes about 30 times as long, so the
writer's batches are smaller than at full speed: compare commits with each other, not with CPU time.
Prints one line of JSON last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from datetime import date
from pathlib import Path

from bench import patients, population, traffic
from bench.profile import app_as_served, asgi_post, call_answered, fhir_server_process
from bench.scenarios import REPO

COLLECTED = re.compile(r"Collected : (\d+)")
SCENARIOS = ("s1", "s2", "bzra", "sign")
TRAFFIC = ("bzra", "sign")


def _body(scenario: str, today: date, fhir_base: str | None) -> bytes:
    if scenario == "s1":
        history = patients.realistic_history(today)
        return patients.body(patients.hook_request(today, prefetch_data=patients.prefetch(today, history)))
    return patients.body(patients.hook_request(today, fhir_server=fhir_base))


async def _calls(scenario: str, warmup: int, calls: int) -> None:
    """The inner process (run under valgrind) for s1 and s2: the warm-up, then `calls` calls."""
    stub, base = fhir_server_process(0.0) if scenario == "s2" else (None, None)
    try:
        body = _body(scenario, date.today(), base)
        async with app_as_served("bzra-instructions-") as app:
            for _ in range(warmup + calls):
                await call_answered(app, body)
    finally:
        if stub is not None:
            stub.kill()


def _traffic(scenario: str, warmup: int, size: int, today: date) -> tuple[list[traffic.Call], list[traffic.Call], list[traffic.Call]]:
    """(warm-up calls, calls sent in both processes, calls measured) of a traffic scenario: `size`
    patients after `warmup` others, the same population in both processes."""
    cases, sequence_cases = population.with_sequences(warmup + size, today)
    built = traffic.build(cases, sequence_cases, today)
    if scenario == "bzra":
        return built["bzra"][:warmup], [], built["bzra"][warmup:]
    warm_patients = {case.index for case in sequence_cases[:warmup]}
    warm = [call for call in built["select_sign"] if call.patient in warm_patients]
    later = [call for call in built["select_sign"] if call.patient not in warm_patients]
    return warm, [call for call in later if call.hook != "order-sign"], [call for call in later if call.hook == "order-sign"]


def call_plan(scenario: str, warmup: int, size: int, measured: bool, today: date) -> list[traffic.Call]:
    """The calls of the inner process for `bzra` and `sign`, in order: the warm-up, the calls both
    processes send (for `sign`, the selects of `size` patients), and when `measured` each patient's
    measured call (for `sign`, right after its own last select)."""
    warm, shared, later = _traffic(scenario, warmup, size, today)
    measured_of = {call.patient: call for call in later} if measured else {}
    plan = [*warm]
    for index, call in enumerate(shared):
        plan.append(call)
        if index + 1 == len(shared) or shared[index + 1].patient != call.patient:  # its last select
            plan.extend(filter(None, [measured_of.pop(call.patient, None)]))
    plan.extend(measured_of.values())  # `bzra`: no select comes first
    return plan


async def _traffic_calls(scenario: str, warmup: int, size: int, measured: bool) -> None:
    plan = call_plan(scenario, warmup, size, measured, date.today())
    async with app_as_served("bzra-instructions-") as app:
        for number, call in enumerate(plan):
            status, answer = await asgi_post(app, call.path, traffic.fill(call, str(uuid.UUID(int=number)), "instructions"))
            assert status == 200, answer[:500]


def _under_callgrind(scenario: str, warmup: int, calls: int, size: int, out: Path) -> subprocess.Popen[str]:
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        sys.executable, "-m", "bench.instructions", "--inner", "--scenario", scenario,
        "--warmup", str(warmup), "--calls", str(calls), "--size", str(size),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "0"}
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _collected(process: subprocess.Popen[str]) -> int:
    _, errors = process.communicate()
    found = COLLECTED.findall(errors)
    if process.returncode != 0 or not found:
        raise RuntimeError(f"valgrind failed ({process.returncode}):\n{errors[-2000:]}")
    return int(found[-1])


def measure(scenario: str, warmup: int, calls: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bzra-callgrind-") as directory:
        measured = _under_callgrind(scenario, warmup, calls, calls, Path(directory) / "measured.out")
        baseline = _under_callgrind(scenario, warmup, 0, calls, Path(directory) / "baseline.out")
        total, startup = _collected(measured), _collected(baseline)
    return {"scenario": scenario, "calls": calls, "warmup": warmup, "instructions_per_call": round((total - startup) / calls)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", choices=SCENARIOS, default="s2",
        help="s1: prefetch; s2: no prefetch (default); bzra: distinct BZRA orders; sign: the sign after its selects",
    )
    parser.add_argument("--calls", type=int, default=200, help="calls counted (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="calls before them, in both processes (default 20; bzra and sign: patients)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)  # patients of a traffic, in both processes
    args = parser.parse_args()
    if args.inner and args.scenario in TRAFFIC:
        asyncio.run(_traffic_calls(args.scenario, args.warmup, args.size, measured=args.calls > 0))
        return
    if args.inner:
        asyncio.run(_calls(args.scenario, args.warmup, args.calls))
        return
    result = measure(args.scenario, args.warmup, args.calls)
    print(f"{result['scenario']}: {result['instructions_per_call']:,} instructions a call ({args.calls} calls after {args.warmup})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
