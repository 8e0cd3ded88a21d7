"""How much the audit store adds to a hook call: the same calls with and without it, in one run.

    .venv/bin/python -m bench.audit_overhead [--calls 300]

The store only enqueues on the hook path (a background task writes); this measures that claim, and
the suppression lookup the hook also does, against the same pipeline with no store.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_ID
from service.fhir.cache import ResponseCache
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.rules.holder import RuleHolder
from service.settings import Settings
from service.store import Store
from service.suggestions import Suggestions
from tests.support import builders as b

SIGN = SERVICES_BY_ID["bzra-order-sign"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(calls: int) -> dict[str, float]:
    settings = Settings(insecure_dev=True, rules_reload=False)
    knowledge = load_configured_knowledge(settings)
    rules = RuleHolder(settings.rules_dir, knowledge)
    rules.reload()
    with tempfile.TemporaryDirectory() as directory:
        store = await Store.open(f"sqlite+aiosqlite:///{directory}/bzra.db", Path(directory) / "spool")
        common = dict(settings=settings, http=None, cache=ResponseCache(0, 0), knowledge=knowledge, rules=rules,
                      suggestions=Suggestions(knowledge, settings), today=lambda: date(2026, 11, 23))
        without = Pipeline(**common)
        with_store = Pipeline(**common, store=store, audit_secret="bench-secret")
        times: dict[str, list[float]] = {"without store": [], "with store": []}
        for index in range(calls):
            for name, pipeline in (("without store", without), ("with store", with_store)):
                request = HookRequest.model_validate(b.hook_request(prefetch=b.full_prefetch()))
                started = time.perf_counter()
                await pipeline.answer(SIGN, request)
                if index >= 10:  # warm-up
                    times[name].append((time.perf_counter() - started) * 1000)
        await store.close()
    result = {}
    for name, values in times.items():
        result[f"{name} median ms"] = statistics.median(values)
        result[f"{name} p95 ms"] = percentile(values, 0.95)
    result["added median ms"] = result["with store median ms"] - result["without store median ms"]
    result["ratio (median)"] = result["with store median ms"] / result["without store median ms"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    for name, value in asyncio.run(measure(args.calls)).items():
        print(f"{name:<26} {value:8.3f}")


if __name__ == "__main__":
    main()
