"""How uvicorn runs the service: the options `bzra-cds serve` and the benchmark's baseline share, and
several worker processes (`bzra-cds serve --workers N`).

The event loop is asyncio's own, not uvloop. Under overload a newcomer must be accepted and answered
(a 503 if need be) within a second. asyncio accepts every connection waiting in the listen queue at
each turn of the loop; the libuv under uvloop accepts one a turn (libuv pull request 3696), so with
hundreds of callers and turns of 100 ms, new connections waited for seconds in the kernel's queue
(issue 17; `tests/support/overload_probe.py` measures it). Overload itself is handled in the app
(`service.api.limits.RequestLimits`), not by uvicorn's `limit_concurrency`, which counts
connections (idle keep-alive ones too) and would refuse `/healthz` with them.

Workers are separate processes started by uvicorn; each builds the app from the environment
(`app_from_environment`), with the JSON logs and the admission control of a single process (per
worker). What they must share goes through the database (used token ids, suppressions, the audit
secret's fingerprint) or the file system: metrics use prometheus_client's multiprocess mode (each
worker writes its values to files in one directory per run, `/metrics` adds them up), and each worker
has a spool directory of its own (`service.store.spool_dirs`).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from service.settings import Settings

log = logging.getLogger(__name__)

UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "asyncio",
    "workers": 1,
    "log_config": None,
    "access_log": False,
}
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def server_options(settings: Settings) -> dict[str, Any]:
    """What every process of `bzra-cds serve` is started with."""
    return {**UVICORN_OPTIONS, "timeout_graceful_shutdown": settings.shutdown_timeout_seconds}


def app_from_environment() -> FastAPI:
    """The app of one worker process, from the `BZRA_*` environment the parent checked and set."""
    from service.app import create_app
    from service.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def run_workers(settings: Settings) -> None:
    """Serves with `settings.workers` processes sharing the port, their metrics added up."""
    import uvicorn

    if settings.database_url_in_use.startswith("sqlite"):
        log.warning(
            "%d workers on SQLite: audits and replay protection are shared through the file, but a suppression "
            "reaches the other workers only after BZRA_SUPPRESSION_CACHE_SECONDS; use PostgreSQL to have it at once",
            settings.workers,
        )
    with metrics_directory():
        uvicorn.run(
            "service.serving:app_from_environment", factory=True, host=settings.host, port=settings.port,
            **{**server_options(settings), "workers": settings.workers},
        )


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """The directory of this run's metric files: the one `PROMETHEUS_MULTIPROC_DIR` names, emptied (values
    of an earlier run would be added to this one's), or a new one removed at the end."""
    chosen = os.environ.get(METRICS_DIR_ENV)
    if chosen:
        directory = Path(chosen)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="bzra-cds-metrics-"))
    os.environ[METRICS_DIR_ENV] = str(directory)  # read by prometheus_client when a worker imports it
    try:
        yield directory
    finally:
        os.environ.pop(METRICS_DIR_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)
