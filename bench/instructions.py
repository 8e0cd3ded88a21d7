"""Instructions a hook call executes, counted by valgrind: an A/B measure that the host cannot disturb.

    apt-get install valgrind
    .venv/bin/python -m bench.instructions [--scenario s2] [--calls 200] [--warmup 20]

CPU time on a shared host swings: the same server code measured 3.4 to 5.5 ms a call a few minutes
apart (bench/PROFILE.md, round 4), which hides a change worth 5 %. Instructions do not swing:
`valgrind --tool=callgrind` gave totals 0.004 % apart for the same command run twice. So a change on
the hot path is compared by running this on both commits.

The application is built as `bench.profile` builds it (`app_as_served`: `create_app`, a fresh SQLite
audit store, the lifespan started) and called through ASGI in process. Scenario s1 sends the realistic patient in
prefetch; s2 reads everything from the FHIR stub, in a process of its own (not counted), with a new
token per call. Two processes run side by side under callgrind, one with `--calls` measured calls and
one with none, both after the same warm-up: the difference, divided by the calls, is one call's
instructions (the audit writer's and the journal's threads included). Under valgrind a call takes
about 30 times as long, so the writer's batches are smaller than at full speed: compare commits with
each other, not with CPU time. Prints one line of JSON last.
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
from datetime import date
from pathlib import Path

from bench import patients
from bench.profile import app_as_served, call_answered, fhir_server_process
from bench.scenarios import REPO

COLLECTED = re.compile(r"Collected : (\d+)")


def _body(scenario: str, today: date, fhir_base: str | None) -> bytes:
    if scenario == "s1":
        history = patients.realistic_history(today)
        return patients.body(patients.hook_request(today, prefetch_data=patients.prefetch(today, history)))
    return patients.body(patients.hook_request(today, fhir_server=fhir_base))


async def _calls(scenario: str, warmup: int, calls: int) -> None:
    """The inner process (run under valgrind): the warm-up, then `calls` calls."""
    stub, base = fhir_server_process(0.0) if scenario == "s2" else (None, None)
    try:
        body = _body(scenario, date.today(), base)
        async with app_as_served("bzra-instructions-") as app:
            for _ in range(warmup + calls):
                await call_answered(app, body)
    finally:
        if stub is not None:
            stub.kill()


def _under_callgrind(scenario: str, warmup: int, calls: int, out: Path) -> subprocess.Popen[str]:
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        sys.executable, "-m", "bench.instructions", "--inner", "--scenario", scenario,
        "--warmup", str(warmup), "--calls", str(calls),
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
        measured = _under_callgrind(scenario, warmup, calls, Path(directory) / "measured.out")
        baseline = _under_callgrind(scenario, warmup, 0, Path(directory) / "baseline.out")
        total, startup = _collected(measured), _collected(baseline)
    return {"scenario": scenario, "calls": calls, "warmup": warmup, "instructions_per_call": round((total - startup) / calls)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("s1", "s2"), default="s2", help="s1: prefetch; s2: no prefetch (default)")
    parser.add_argument("--calls", type=int, default=200, help="calls counted (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="calls before them, in both processes (default 20)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        asyncio.run(_calls(args.scenario, args.warmup, args.calls))
        return
    result = measure(args.scenario, args.warmup, args.calls)
    print(f"{result['scenario']}: {result['instructions_per_call']:,} instructions a call ({args.calls} calls after {args.warmup})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
