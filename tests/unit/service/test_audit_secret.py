"""The generated audit secret: two processes generating it at once get the same complete secret."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from service.audit_secret import generated_secret


def _generate(directory: str, start: multiprocessing.synchronize.Barrier, results: multiprocessing.Queue) -> None:
    start.wait()
    try:
        results.put(generated_secret(Path(directory)))
    except Exception as error:  # noqa: BLE001 - reported to the test
        results.put(f"error: {type(error).__name__}")


def test_two_processes_generating_the_secret_at_once_get_the_same_complete_secret(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    outcomes = []
    for trial in range(40):  # on the old code about 4 trials in 10 crashed or read an empty secret
        directory = tmp_path / f"trial-{trial}"
        start, results = context.Barrier(2), context.Queue()
        workers = [context.Process(target=_generate, args=(str(directory), start, results)) for _ in range(2)]
        for worker in workers:
            worker.start()
        got = [results.get(timeout=10), results.get(timeout=10)]
        for worker in workers:
            worker.join(timeout=10)
        outcomes.append(got)
    failures = [got for got in outcomes if got[0] != got[1] or any(len(secret) != 64 for secret in got)]
    assert not failures, f"{len(failures)} of {len(outcomes)} trials: {failures[:3]}"
