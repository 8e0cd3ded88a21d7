"""Start the real `bzra-cds serve` process on a free loopback port, as a hospital would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_log(process: subprocess.Popen) -> str:
    """Everything the service process wrote (its log), so far."""
    log = process.log  # type: ignore[attr-defined]
    log.seek(0)
    return log.read()


def wait_alive(base: str, process: subprocess.Popen, timeout: float, output: Callable[[], str]) -> None:
    """Waits until the service answers /healthz; raises with its `output()` if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"service exited early: {output()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"service did not start in time: {output() if process.poll() is not None else ''}")
        time.sleep(0.1)


@contextmanager
def running_service(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
    program: Sequence[str] = (sys.executable, "-m", "service.cli"),
    cwd: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`program serve` (default: this checkout's `bzra-cds`) on a free port; `env` adds to the environment."""
    port = free_port()
    command = [*program, "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    # The service's log goes to a file, not a pipe: nobody reads a pipe while the test runs, and a
    # service that logs more than a pipe holds (64 kB) would block on its next log line.
    output = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=output, stderr=subprocess.STDOUT, text=True, cwd=cwd
    )
    process.log = output  # type: ignore[attr-defined]  # read with service_log()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_alive(base, process, timeout, lambda: service_log(process))
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
