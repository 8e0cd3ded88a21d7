"""Where one call of each traffic scenario spends its time, by stage: the "before/after" profile of issue 20.

    .venv/bin/python -m bench.profile_traffic [--patients 200] [--out bench/results/profile-traffic.md]

The application is built as `bzra-cds serve` builds it and called in process through ASGI (no network,
see `bench/profile.py`). For each scenario the bodies of `bench/traffic.py` are sent once each, in order,
and the stages are timed with wall-clock wrappers (no profiler, so no distortion): distinct BZRA orders,
non-BZRA orders, and the select-then-sign sequences, split into the selects and the signs that follow
them. Also timed: the whole call (`asgi`), and the process's CPU time. Stages nest (the pipeline holds
the others); "the rest" is middleware, routing, response serialisation and the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from bench import population, traffic
from bench.profile import STAGES, app_as_served, asgi_post
from bench.scenarios import BENCH

EXTRA_STAGES = (
    ("  of which JSON (loads_strict)", "service.api.body", "loads_strict"),
    ("  facts: draft orders (order_facts)", "service.facts.build", "order_facts"),
    ("  facts: history uses (history_uses)", "service.facts.build", "history_uses"),
    ("  facts: history summary (summarise_history)", "service.facts.build", "summarise_history"),
    ("  rules: evaluate (all rules + cards)", "service.pipeline", "evaluate"),
)
ORDER = [STAGES[0][0], EXTRA_STAGES[0][0], *[label for label, _, _ in STAGES[1:5]], *[label for label, _, _ in EXTRA_STAGES[1:4]],
         STAGES[5][0], EXTRA_STAGES[4][0], *[label for label, _, _ in STAGES[6:]]]


def cpu_timed(original: Any, label: str, totals: dict[str, float]) -> Any:
    """Wall time under `label`, and this thread's CPU time under `label + CPU` (a wait is not CPU)."""
    import inspect

    if inspect.iscoroutinefunction(original):
        async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return await original(*args, **kwargs)
            finally:
                totals[label] += time.perf_counter() - wall
                totals[label + CPU] += time.thread_time() - cpu

        return timed_coroutine

    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - wall
            totals[label + CPU] += time.thread_time() - cpu

    return timed


CPU = " [cpu]"


def install_timers() -> dict[str, float]:
    import functools
    import importlib

    totals: dict[str, float] = defaultdict(float)
    for label, module_name, attribute in (*STAGES, *EXTRA_STAGES):
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        setattr(owner, name, functools.wraps(original)(cpu_timed(original, label, totals)))
    return totals


async def _run(calls_by_scenario: dict[str, list[traffic.Call]], warmup: list[traffic.Call]) -> dict[str, dict[str, float]]:
    per: dict[str, dict[str, float]] = {}
    async with app_as_served("bzra-profile-") as app:
        for call in warmup:
            await asgi_post(app, call.path, traffic.fill(call, str(uuid.uuid4()), "warm"))
        totals = install_timers()
        for scenario, calls in calls_by_scenario.items():
            for call in calls:
                kind = scenario if scenario != "select_sign" else f"select_sign: {call.hook}"
                before = dict(totals)
                wall, cpu = time.perf_counter(), time.thread_time()
                status, answer = await asgi_post(app, call.path, traffic.fill(call, str(uuid.uuid4()), "profile"))
                assert status == 200, answer[:300]
                bucket = per.setdefault(kind, defaultdict(float))
                bucket["asgi"] += time.perf_counter() - wall
                bucket["cpu"] += time.thread_time() - cpu
                bucket["calls"] += 1
                for label, seconds in totals.items():
                    bucket[label] += seconds - before.get(label, 0.0)
        await asyncio.sleep(0.3)
    return per


def markdown(per: dict[str, dict[str, float]], patients: int) -> str:
    """CPU time of the event loop's thread per stage (ms per call, % of the call's CPU time)."""
    kinds = list(per)
    lines = [
        f"CPU time per call of the thread that serves it, in ms (and % of the call's CPU time); {patients} patients "
        "per scenario, each body once, in process through ASGI (no network), stages timed without a profiler. "
        "Wall time per call is shown too: on a shared machine it also holds other processes' time.",
        "",
        "| Stage | " + " | ".join(kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]

    def cell(kind: str, seconds: float) -> str:
        return f"{seconds / per[kind]['calls'] * 1000:.2f} ({seconds / per[kind]['cpu'] * 100:.0f} %)"

    lines.append("| wall time of the call | " + " | ".join(f"{per[k]['asgi'] / per[k]['calls'] * 1000:.2f}" for k in kinds) + " |")
    lines.append("| **CPU time of the call** | " + " | ".join(cell(k, per[k]["cpu"]) for k in kinds) + " |")
    for label in ORDER:
        name = label.strip() if not label.startswith("  ") else "↳ " + label.strip()
        lines.append(f"| {name} | " + " | ".join(cell(k, per[k].get(label + CPU, 0.0)) for k in kinds) + " |")
    rest = {k: per[k]["cpu"] - per[k].get(STAGES[0][0] + CPU, 0) - per[k].get(STAGES[1][0] + CPU, 0) for k in kinds}
    lines.append("| the rest (middleware, routing, response, event loop) | " + " | ".join(cell(k, rest[k]) for k in kinds) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--seed", type=int, default=population.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "profile-traffic.md")
    args = parser.parse_args()
    today = date.today()
    calls = traffic.build(*population.with_sequences(args.patients, today, args.seed), today)
    warmup = [*calls["bzra"][:20], *calls["non_bzra"][:20], *calls["select_sign"][:20]]
    scenarios = {kind: calls[kind] for kind in ("bzra", "non_bzra", "select_sign")}
    per = asyncio.run(_run(scenarios, warmup))
    text = markdown(per, args.patients)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
