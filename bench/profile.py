"""Where a hook call spends its time: the real application, in process, under pyinstrument.

    .venv/bin/pip install pyinstrument      # only this script needs it
    .venv/bin/python -m bench.profile [--calls 200] [--large-calls 20]

The application is built exactly as `bzra-cds serve` builds it (`create_app`, production-like settings,
a fresh embedded SQLite audit store, the lifespan started) and called through ASGI directly, without a
network, so the profile holds the whole request path: middleware, body parsing, the pipeline, response
serialisation and the audit writer that runs on the same event loop. Scenario 1 (the realistic
patient) and scenario 4 (1,000 medication resources) are profiled separately; `--fhir` adds scenario
2's path (no prefetch, a local FHIR server in its own process, no delay, a new token per call) and
scenario 3's (one token: every read after the first is a cache hit). Writes
bench/results/profile-<scenario>.txt (self time per function, the call tree) and .html, and prints the
top functions. The cyclic garbage collector is timed too (it runs inside whichever function allocates).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bench import patients
from bench.scenarios import BENCH, HOOK_PATH, REPO

PROJECT_PREFIXES = ("service/", "cds_hooks/")


async def asgi_post(app: Any, path: str, body: bytes) -> tuple[int, bytes]:
    """One POST through the ASGI application, as uvicorn would deliver it."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
        "headers": [(b"host", b"127.0.0.1:8080"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    }
    delivered = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


class GcTimer:
    """Time spent in the cyclic garbage collector, per generation."""

    def __init__(self) -> None:
        self.count: dict[int, int] = defaultdict(int)
        self.seconds: dict[int, float] = defaultdict(float)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self._started


STAGES = (
    # (label, module, attribute): wrapped where the caller looks them up; times nest as shown
    ("parse body: JSON + HookRequest model", "service.api.cds", "parse_body"),
    ("pipeline total (Pipeline.answer)", "service.pipeline", "Pipeline.answer"),
    ("  draft orders (lean models)", "service.pipeline", "parse_draft_orders"),
    ("  prefetch resources (lean models, msgspec)", "service.fhir.gather", "read_resource"),
    ("  facts (build_facts)", "service.pipeline", "build_facts"),
    ("  suppression lookup (database)", "service.pipeline", "Pipeline._suppressed"),
    ("  rules: CEL conditions", "service.rules.engine", "evaluate_rule"),
    ("  rules: facts dump for CEL", "service.rules.engine", "facts_data"),
    ("  cards + suggestions (merge_cards)", "service.rules.engine", "merge_cards"),
    ("  audit record (call_audit + enqueue)", "service.pipeline", "call_audit"),
)


def _timed(original: Any, label: str, totals: dict[str, float]) -> Any:
    import inspect

    if inspect.iscoroutinefunction(original):
        async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                totals[label] += time.perf_counter() - started

        return timed_coroutine

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - started

    return timed


def install_stage_timers() -> dict[str, float]:
    """Wrap the stages above with wall-clock timers (no profiler, so no distortion)."""
    import functools
    import importlib

    totals: dict[str, float] = defaultdict(float)
    for label, module_name, attribute in STAGES:
        module = importlib.import_module(module_name)
        owner: Any = module
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        setattr(owner, name, functools.wraps(original)(_timed(original, label, totals)))
    return totals


def self_times(session: Any) -> tuple[dict[tuple[str, str, int], float], dict[tuple[str, str, int], float]]:
    """Self time and inclusive time (counted once per stack) of every function in a pyinstrument session."""
    own: dict[tuple[str, str, int], float] = defaultdict(float)
    inclusive: dict[tuple[str, str, int], float] = defaultdict(float)

    def walk(frame: Any, on_stack: frozenset[tuple[str, str, int]]) -> None:
        if frame.is_synthetic_leaf:  # "[self]"/"[await]": already in the parent's total_self_time
            return
        key = (frame.file_path_short or "?", frame.function or "?", frame.line_no or 0)
        own[key] += frame.total_self_time
        if key not in on_stack:
            inclusive[key] += frame.time
        for child in frame.children:
            walk(child, on_stack | {key})

    root = session.root_frame()
    if root is not None:
        walk(root, frozenset())
    return own, inclusive


def table(times: dict[tuple[str, str, int], float], total: float, limit: int, only_project: bool = False) -> list[str]:
    rows = sorted(times.items(), key=lambda item: -item[1])
    if only_project:
        rows = [row for row in rows if any(prefix in row[0][0] for prefix in PROJECT_PREFIXES)]
    return [f"{seconds / total * 100:6.1f} %  {seconds * 1000:9.1f} ms  {function}  ({file}:{line})"
            for (file, function, line), seconds in rows[:limit]]


def remove_stage_timers() -> None:
    """Undo `install_stage_timers`, so the profiled calls run the code as shipped."""
    for _, module_name, attribute in STAGES:
        owner: Any = __import__(module_name, fromlist=["_"])
        *path, attribute_name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, attribute_name, getattr(owner, attribute_name).__wrapped__)


@dataclass
class Timings:
    """One scenario's calls timed twice: plainly (with stage timers) and under pyinstrument."""

    calls: int
    plain: float = 0.0  # seconds for all calls, without the profiler
    totals: dict[str, float] = field(default_factory=dict)  # seconds per stage label (plain run)
    plain_gc: GcTimer = field(default_factory=GcTimer)  # the collector during the plain run
    wall: float = 0.0  # seconds for all calls under the profiler
    profiled_gc: GcTimer = field(default_factory=GcTimer)  # the collector during the profiled run
    session: Any = None  # pyinstrument's session


async def _time_plain(app: Any, body: bytes, timings: Timings, stages: bool) -> None:
    """The calls without the profiler: time per call and per stage."""
    requests = [patients.fill(body, str(uuid.uuid4())) for _ in range(timings.calls)]
    timings.totals = install_stage_timers() if stages else {}
    gc.callbacks.append(timings.plain_gc)
    started = time.perf_counter()
    for request in requests:
        await asgi_post(app, HOOK_PATH, request)
    timings.plain = time.perf_counter() - started
    gc.callbacks.remove(timings.plain_gc)
    if stages:
        remove_stage_timers()


async def _time_profiled(app: Any, body: bytes, timings: Timings, interval: float) -> None:
    """The same number of calls under pyinstrument."""
    from pyinstrument import Profiler

    requests = [patients.fill(body, str(uuid.uuid4())) for _ in range(timings.calls)]
    gc.callbacks.append(timings.profiled_gc)
    profiler = Profiler(interval=interval, async_mode="disabled")
    started = time.perf_counter()
    profiler.start()
    for request in requests:
        await asgi_post(app, HOOK_PATH, request)
    await asyncio.sleep(0.3)  # let the audit writer drain its batch inside the profile
    timings.session = profiler.stop()
    timings.wall = time.perf_counter() - started
    gc.callbacks.remove(timings.profiled_gc)


def _profile_text(name: str, timings: Timings, interval: float, stages: bool) -> str:
    """The report: per-call times and stages, the collector's share, the top functions and the call tree."""
    calls, plain, totals, plain_gc = timings.calls, timings.plain, timings.totals, timings.plain_gc
    wall, collector, session = timings.wall, timings.profiled_gc, timings.session
    own, inclusive = self_times(session)
    total = session.duration
    gc_seconds = sum(collector.seconds.values())
    stage_lines = [f"{seconds / calls * 1000:8.2f} ms  {label}" for label, _, _ in STAGES
                   for seconds in [totals.get(label, 0.0)]]
    lines = [
        f"# Profile: {name}",
        "",
        f"## Without the profiler: {plain / calls * 1000:.2f} ms per call ({calls} calls, in process through ASGI, no network)",
        *stage_lines,
        f"{(plain - totals.get(STAGES[0][0], 0) - totals.get(STAGES[1][0], 0)) / calls * 1000:8.2f} ms  "
        "the rest: middleware, routing, response serialisation, audit writer, event loop" if stages else "",
        f"{sum(plain_gc.seconds.values()) / calls * 1000:8.2f} ms  of all the above: the cyclic garbage collector "
        f"({plain_gc.count[2]} full collections in {calls} calls, "
        f"{(plain_gc.seconds[2] / plain_gc.count[2] * 1000) if plain_gc.count[2] else 0:.0f} ms each)",
        "",
        f"## Under pyinstrument: {wall / calls * 1000:.2f} ms per call (sampling every {interval * 1000:.1f} ms)",
        "Garbage collector: " + ", ".join(
            f"gen{g}: {collector.count[g]} runs, {collector.seconds[g] * 1000:.0f} ms" for g in sorted(collector.count))
        + f" = {gc_seconds / wall * 100:.1f} % of the time (inside the functions below)",
        "",
        "## Self time, all functions (top 30)",
        *table(own, total, 30),
        "",
        "## Inclusive time, project functions (top 40)",
        *table(inclusive, total, 40, only_project=True),
        "",
        "## Call tree",
        session_text(session),
    ]
    return "\n".join(lines)


@asynccontextmanager
async def app_as_served(prefix: str) -> AsyncIterator[Any]:
    """The application as `bzra-cds serve` builds it (production-like settings, a fresh SQLite store in
    a temporary directory), its lifespan started."""
    from service.app import create_app
    from service.logs import configure_logging
    from service.settings import Settings

    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        settings = Settings(insecure_dev=True, rules_reload=False, log_level="WARNING", data_dir=Path(directory))
        configure_logging(settings.log_level, settings.log_format)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            yield app


async def call_answered(app: Any, body: bytes) -> None:
    """One hook call with a new hookInstance; it must be answered 200."""
    status, answer = await asgi_post(app, HOOK_PATH, patients.fill(body, str(uuid.uuid4())))
    assert status == 200, answer[:500]


async def profile(name: str, body: bytes, calls: int, out_dir: Path, interval: float, stages: bool = True) -> str:
    timings = Timings(calls)
    async with app_as_served("bzra-profile-") as app:
        for _ in range(5):  # warm-up
            await call_answered(app, body)
        await _time_plain(app, body, timings, stages)
        await asyncio.sleep(0.3)
        await _time_profiled(app, body, timings, interval)
    text = _profile_text(name, timings, interval, stages)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"profile-{name}.txt").write_text(text)
    from pyinstrument.renderers import HTMLRenderer

    (out_dir / f"profile-{name}.html").write_text(HTMLRenderer().render(timings.session))
    return text


def session_text(session: Any) -> str:
    from pyinstrument.renderers import ConsoleRenderer

    return ConsoleRenderer(unicode=True, color=False, show_all=False, short_mode=True).render(session)


FHIR_SERVER_CODE = """
import sys, time
from datetime import date
from bench import patients
from bench.scenarios import delayed_fhir_server
stub = delayed_fhir_server(patients.fhir_server_resources(date.today()), float(sys.argv[1]))
stub.__enter__()
print(stub.base_url, flush=True)
sys.stdin.read()  # until the profiler closes our stdin
"""


def fhir_server_process(delay: float) -> tuple[subprocess.Popen[str], str]:
    """The scenario 2 FHIR server in its own process (so it does not share this one's GIL)."""
    process = subprocess.Popen([sys.executable, "-c", FHIR_SERVER_CODE, str(delay)], cwd=REPO, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="scenario 1 calls profiled")
    parser.add_argument("--large-calls", type=int, default=20, help="scenario 4 (1,000 resources) calls profiled")
    parser.add_argument("--interval", type=float, default=0.001, help="sampling interval in seconds")
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    parser.add_argument("--fhir", action="store_true",
                        help="also profile scenario 2's path (no prefetch: reads from a local FHIR server, no delay) "
                        "and scenario 3's (the same with one token: every read after the first from the cache)")
    args = parser.parse_args()
    today = date.today()
    s1 = patients.body(patients.hook_request(today, prefetch_data=patients.prefetch(today, patients.realistic_history(today))))
    s4 = patients.body(patients.hook_request(today, prefetch_data=patients.prefetch(today, patients.large_history(today, 1000))))
    runs = [("scenario1", s1, args.calls), ("scenario4-1000", s4, args.large_calls)]
    fhir = None
    if args.fhir:
        fhir, base_url = fhir_server_process(0.0)
        runs.append(("scenario2-fhir", patients.body(patients.hook_request(today, fhir_server=base_url)), args.calls))
        cached = patients.hook_request(today, fhir_server=base_url, token="bench-token-fixed")  # reads hit the cache
        runs.append(("scenario3-cache", patients.body(cached), args.calls))
    try:
        for name, body, calls in runs:
            text = asyncio.run(profile(name, body, calls, args.out, args.interval))
            print("\n".join(text.split("\n## Call tree")[0].splitlines()))
            print(f"(call tree: {args.out / f'profile-{name}.txt'}, {args.out / f'profile-{name}.html'})\n")
    finally:
        if fhir is not None:
            fhir.stdin.close()  # type: ignore[union-attr]
            fhir.wait(timeout=10)


if __name__ == "__main__":
    main()
