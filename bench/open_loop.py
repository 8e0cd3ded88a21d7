"""A small open-loop HTTP load generator: requests arrive at a fixed mean rate, whatever the server does.

    .venv/bin/python -m bench.open_loop http://127.0.0.1:8080/cds-services/bzra-order-sign \
        --body body.json --rate 100 --duration 10 [--warmup 2] [--max-connections 64]
    .venv/bin/python -m bench.open_loop http://127.0.0.1:8080 --body @bzra.index --rate 100 ...

Why our own (and not wrk or locust): wrk is closed-loop (a connection sends its next request only when
the previous answer came back), so a slow server slows its own load down and its tail latency is
hidden ("coordinated omission"); Debian has no wrk2. Locust's `constant_throughput` is closed-loop per
user too, and it would be a new dependency. This client has none beyond the standard library (uvloop is
used when installed, as it is with uvicorn[standard]).

How it works: arrival times are drawn in advance from a Poisson process (exponential gaps, fixed seed)
at `--rate` per second, as independent prescribers calling at random would make them. At each arrival
a request is sent on an idle keep-alive connection (a new one is opened up to `--max-connections`;
beyond that the request waits for one, and that wait counts in its latency). Latency is measured from
the *scheduled* arrival time to the last byte of the answer, so queueing anywhere is included. Requests
not answered when the run ends (after a grace period) count as errors and as infinitely slow in the
percentiles. Each request gets its own UUID in place of the body's `__UNIQUE__` marker (the
hookInstance). With `--body @INDEX` (lines `PATH<TAB>BODY_FILE`, from bench/traffic.py) the requests go
through the listed bodies in order, to their own paths, and `__CYCLE__` becomes a number new for each
pass through the list (as in bench/load.lua). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MARKER = b"__UNIQUE__"
CYCLE = b"__CYCLE__"
KEEP_ALIVE_S = 4.0  # reuse an idle connection only within this (uvicorn's timeout_keep_alive is 5 s)


@dataclass
class Outcome:
    scheduled: float
    latency: float | None = None  # seconds; None: not answered
    status: int | None = None
    error: str | None = None


@dataclass
class Generator:
    host: str
    port: int
    calls: list[tuple[str, bytes]]  # (path, body) in the order sent, cycled
    max_connections: int
    timeout: float
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = field(default_factory=list)
    open_connections: int = 0
    peak_connections: int = 0
    reconnects: int = 0
    waiting: asyncio.Condition | None = None
    sent: int = 0
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def request_bytes(self) -> bytes:
        path, body = self.calls[self.sent % len(self.calls)]
        cycle = f"{self.nonce}p{self.sent // len(self.calls)}".encode()
        self.sent += 1
        payload = body.replace(MARKER, str(uuid.uuid4()).encode()).replace(CYCLE, cycle)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        return head.encode() + payload

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        """(reader, writer, reused): an idle keep-alive connection, or a new one."""
        assert self.waiting is not None
        async with self.waiting:
            while not self.idle and self.open_connections >= self.max_connections:
                await self.waiting.wait()
            while self.idle:
                reader, writer, since = self.idle.pop()
                # uvicorn closes keep-alive connections idle for 5 s: do not race it
                if not reader.at_eof() and time.monotonic() - since < KEEP_ALIVE_S:
                    return reader, writer, True
                writer.close()
                self.open_connections -= 1
            self.open_connections += 1
            self.peak_connections = max(self.peak_connections, self.open_connections)
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            return reader, writer, False
        except BaseException:
            await self._release(None)
            raise

    async def _release(self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        assert self.waiting is not None
        async with self.waiting:
            if connection is None:
                self.open_connections -= 1
            else:
                self.idle.append((*connection, time.monotonic()))
            self.waiting.notify()

    async def one(self, outcome: Outcome, loop: asyncio.AbstractEventLoop) -> None:
        data = self.request_bytes()
        for attempt in range(2):
            try:
                reader, writer, reused = await self._connection()
            except OSError as error:
                outcome.error = type(error).__name__
                return
            keep = False
            try:
                writer.write(data)
                status, keep = await asyncio.wait_for(read_response(reader), self.timeout)
                outcome.status = status
                outcome.latency = loop.time() - outcome.scheduled
                if not 200 <= status < 300:
                    outcome.error = f"status {status}"
                return
            except asyncio.TimeoutError:
                outcome.error = "timeout"
                return
            except asyncio.IncompleteReadError as error:
                if reused and not error.partial and attempt == 0:
                    # the server closed this idle connection just before our request reached it:
                    # nothing was answered, so send it again on a new connection
                    self.reconnects += 1
                    continue
                outcome.error = type(error).__name__
                return
            except (OSError, ValueError) as error:
                outcome.error = type(error).__name__
                return
            finally:
                if keep:
                    await self._release((reader, writer))
                else:
                    writer.close()
                    await self._release(None)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; (status, connection can be reused)."""
    status, keep, _ = await read_answer(reader)
    return status, keep


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bool, dict[str, str]]:
    """Read one HTTP/1.1 response; (status, connection can be reused, headers in lower case)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        return status, False, headers
    return status, headers.get("connection") != "close", headers


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile (inf when the rank falls on an unanswered request)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def read_calls(source: str, default_path: str) -> list[tuple[str, bytes]]:
    """`FILE` (one body to `default_path`) or `@INDEX` (lines PATH<TAB>FILE)."""
    if not source.startswith("@"):
        return [(default_path, Path(source).read_bytes())]
    lines = Path(source[1:]).read_text().splitlines()
    return [(path, Path(file).read_bytes()) for path, file in (line.split("\t", 1) for line in lines if line)]


@dataclass
class Schedule:
    """The requests sent so far: those measured (scheduled after the warm-up), all of them, those in flight."""

    outcomes: list[Outcome] = field(default_factory=list)
    everything: list[Outcome] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    worst_lag: float = 0.0  # seconds the generator fell behind its schedule, at worst


async def send_on_schedule(generator: Generator, loop: asyncio.AbstractEventLoop, rng: random.Random, rate: float,
                           start: float, measure_from: float, end: float) -> Schedule:
    """Start one request at each Poisson arrival from `start` to `end`, without waiting for answers."""
    schedule = Schedule()
    at = start
    while True:
        at += rng.expovariate(rate)
        if at >= end:
            break
        wait = at - loop.time()
        if wait > 0.0005:
            await asyncio.sleep(wait)
        now = loop.time()
        schedule.worst_lag = max(schedule.worst_lag, now - at)
        outcome = Outcome(scheduled=at)
        schedule.everything.append(outcome)
        if at >= measure_from:
            schedule.outcomes.append(outcome)
        task = asyncio.create_task(generator.one(outcome, loop))
        schedule.tasks.add(task)
        task.add_done_callback(schedule.tasks.discard)
    return schedule


async def finish(generator: Generator, schedule: Schedule, loop: asyncio.AbstractEventLoop, end: float,
                 grace: float) -> int:
    """Wait out the grace period, cancel what is left and close the connections; returns the unanswered."""
    tasks = schedule.tasks
    if tasks:
        await asyncio.wait(set(tasks), timeout=max(grace - (loop.time() - end), 0.01))
    unfinished = 0
    for task in list(tasks):
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    for outcome in schedule.outcomes:
        if outcome.latency is None and outcome.error is None:
            outcome.error = "unanswered when the run ended"
            unfinished += 1
    for _, writer, _ in generator.idle:
        writer.close()
    return unfinished


def _ms(value: float) -> float | None:
    return None if math.isinf(value) or math.isnan(value) else round(value * 1000, 3)


def summary(generator: Generator, schedule: Schedule, rate: float, duration: float, unfinished: int) -> dict[str, object]:
    """The run's numbers; unanswered and failed requests count as infinitely slow in the percentiles."""
    outcomes = schedule.outcomes
    latencies = sorted(o.latency if o.latency is not None and o.error is None else math.inf for o in outcomes)
    ok = sum(1 for o in outcomes if o.error is None)
    errors: dict[str, int] = {}
    for o in outcomes:
        if o.error is not None:
            errors[o.error] = errors.get(o.error, 0) + 1
    return {
        "offered_rate": rate,
        "duration_s": duration,
        "scheduled": len(outcomes),
        "answered_including_warmup": sum(1 for o in schedule.everything if o.latency is not None),
        "ok": ok,
        "rps": round(ok / duration, 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "unfinished": unfinished,
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "max_ms": _ms(latencies[-1]) if latencies else None,
        "generator_worst_lag_ms": round(schedule.worst_lag * 1000, 3),
        "peak_connections": generator.peak_connections,
        "resent_after_keepalive_close": generator.reconnects,
    }


async def run(url: str, source: str, rate: float, duration: float, warmup: float, max_connections: int,
              timeout: float, grace: float, seed: int) -> dict[str, object]:
    parts = urlsplit(url)
    generator = Generator(parts.hostname or "127.0.0.1", parts.port or 80,
                          read_calls(source, parts.path or "/"), max_connections, timeout)
    generator.waiting = asyncio.Condition()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    measure_from, end = start + warmup, start + warmup + duration
    schedule = await send_on_schedule(generator, loop, random.Random(seed), rate, start, measure_from, end)
    unfinished = await finish(generator, schedule, loop, end, grace)
    return summary(generator, schedule, rate, duration, unfinished)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--body", required=True,
                        help="file with the JSON body (may hold __UNIQUE__), or @INDEX: lines PATH<TAB>BODY_FILE")
    parser.add_argument("--rate", type=float, required=True, help="mean arrivals per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured (after the warm-up)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds sent but not measured")
    parser.add_argument("--max-connections", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one answer")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds to wait for answers after the last arrival")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        import uvloop  # noqa: PLC0415 - optional, installed with uvicorn[standard]

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    started = time.monotonic()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(run(args.url, args.body, args.rate, args.duration, args.warmup,
                                args.max_connections, args.timeout, args.grace, args.seed))
    result["wall_s"] = round(time.monotonic() - started, 2)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
