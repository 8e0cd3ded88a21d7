"""Helpers of the reliability tests: a bounded load of hook calls, a throwaway PostgreSQL cluster, and
the resident memory of a process, all against real processes on loopback."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text

from service.store.db import create_engine
from tests.support.service_process import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass
class LoadResult:
    answered: dict[str, float] = field(default_factory=dict)  # hookInstance -> when its 200 came back (monotonic)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0  # no answer at all (refused, reset, timeout)
    sent: set[str] = field(default_factory=set)


async def hook_load(
    url: str,
    body: dict,
    *,
    connections: int,
    seconds: float,
    events: list[tuple[float, Callable[[], None]]] = (),  # type: ignore[assignment]
    pause: float = 0.0,
) -> LoadResult:
    """POSTs `body` with a fresh hookInstance per call on `connections` connections for `seconds`
    (bounded in count and time), each connection waiting `pause` s between calls; each event `(at, action)` runs `at` seconds in, in a thread (a kill,
    a database stopped), while the load goes on."""
    result = LoadResult()
    started = time.monotonic()
    stop = started + seconds
    text = json.dumps(body)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop:
            instance = str(uuid.uuid4())
            result.sent.add(instance)
            try:
                response = await client.post(url, content=text.replace("__HOOK_INSTANCE__", instance))
            except httpx.HTTPError:
                result.failures += 1
                await asyncio.sleep(0.05)
                continue
            result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                result.answered[instance] = time.monotonic()
            if pause:
                await asyncio.sleep(pause)

    async def trigger() -> None:
        for at, action in sorted(events, key=lambda event: event[0]):
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            await asyncio.to_thread(action)

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=5.0, limits=limits, headers=headers) as client:
        await asyncio.gather(trigger(), *(worker(client) for _ in range(connections)))
    return result


def with_instance_marker(request: dict) -> dict:
    """The request with a marker where each call puts its own hookInstance."""
    marked = copy.deepcopy(request)
    marked["hookInstance"] = "__HOOK_INSTANCE__"
    return marked


def kill_hard(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def resident_mb(pid: int) -> float:
    """VmRSS of a process, from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def postgres_available() -> str | None:
    """Why a throwaway cluster cannot be made here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries not found in {PG_BIN}"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser (initdb refuses root)"
    return None


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own on a free port, which a test may stop and start at will (the
    shared server must not be). As root, it runs as the `postgres` user, as Debian's clusters do."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.data = directory / "data"
        self._holder: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self._as_postgres(), *command], capture_output=True, text=True, timeout=60, check=check)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"), "-w", "start")

    def begin_shutdown(self) -> None:
        """Ends the service's sessions ("terminating connection due to administrator command") and starts
        a smart shutdown, which waits for a session of our own: meanwhile new connections get "the
        database system is shutting down", until `stop` finishes it."""
        self._holder = subprocess.Popen(
            [*self._as_postgres(), str(PG_BIN / "psql"), *self._where(), "-qAtc", "SELECT pg_sleep(60)"],
            env={**os.environ, "PGAPPNAME": "bzra-test-holder"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3)
        sql = (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND backend_type = 'client backend' AND application_name <> 'bzra-test-holder'"
        )
        self._run(str(PG_BIN / "psql"), *self._where(), "-qAtc", sql)
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "smart", "-W", "stop")

    def _where(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]

    def _as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)
        if self._holder is not None:
            self._holder.kill()
            self._holder.wait(10)
            self._holder = None


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    directory = Path(tempfile.mkdtemp(prefix="bzra-pg-"))
    cluster = ThrowawayPostgres(directory)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def database_stalled(url: str) -> Iterator[None]:
    """Holds an exclusive lock on the audit table from another connection, so the service's writes wait
    (as behind a migration, a VACUUM FULL or a slow disk) while its hook calls are still answered."""
    acquired, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_sqlite() -> None:
        connection = sqlite3.connect(url.split("///", 1)[1], timeout=10, isolation_level=None)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            acquired.set()
            release.wait(60)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    async def hold_postgres() -> None:
        engine, _ = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("LOCK TABLE audit_calls IN ACCESS EXCLUSIVE MODE"))
                acquired.set()
                await asyncio.to_thread(release.wait, 60)
        finally:
            await engine.dispose()

    def hold() -> None:
        try:
            hold_sqlite() if url.startswith("sqlite") else asyncio.run(hold_postgres())
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)
            acquired.set()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    acquired.wait(30)
    if errors:
        raise errors[0]
    try:
        yield
    finally:
        release.set()
        thread.join(30)
