"""Overload a running service and watch how a new caller fares: the load generator of the overload test.

    .venv/bin/python -m tests.support.overload_probe http://127.0.0.1:PORT --connections 256 --duration 10

Hundreds of keep-alive connections send hook calls as fast as they are answered (a connection that
gets a 503 with `Connection: close` opens a new one at once, as an EHR's HTTP pool would). Meanwhile,
every `--probe-interval`, a new caller opens a fresh connection and sends one hook call, or asks
/healthz, /readyz or /metrics; its time to the answer is measured from before connecting, so time
spent in the server's listen queue counts. The listen queue's length is read from /proc/net/tcp
(for a listening socket, rx_queue is the number of connections waiting to be accepted).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from bench import patients
from bench.open_loop import percentile, read_answer, read_response

PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
HOOK_PATH = "/cds-services/bzra-order-sign"


def scenario_body(today: date) -> bytes:
    """The benchmark's scenario 1: a lorazepam order with a realistic prefetched history."""
    request = patients.hook_request(today, prefetch_data=patients.prefetch(today, patients.realistic_history(today)))
    return patients.body(request)


def http_request(host: str, port: int, method: str, path: str, body: bytes = b"") -> bytes:
    payload = body.replace(patients.UNIQUE.encode(), str(uuid.uuid4()).encode())
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
    return f"{head}Content-Length: {len(payload)}\r\n\r\n".encode() + payload


def listen_queue(port: int) -> int | None:
    """Connections waiting in the accept queue of the socket listening on 127.0.0.1:`port`."""
    wanted = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[3] == "0A":  # 0A: LISTEN
            return int(fields[4].split(":")[1], 16)
    return None


@dataclass
class Probe:
    path: str
    status: int | None  # None: no answer within the timeout
    seconds: float
    retry_after: str | None = None


@dataclass
class Run:
    host: str
    port: int
    body: bytes
    stop_at: float
    answered: dict[int, int] = field(default_factory=dict)  # load traffic: status -> count
    failures: int = 0  # load traffic: connections refused, reset or timed out
    probes: list[Probe] = field(default_factory=list)
    queue: list[int] = field(default_factory=list)


async def ask(run: Run, path: str, timeout: float) -> Probe:
    """One request on a fresh connection, timed from before connecting."""
    started = time.monotonic()
    method, body = ("POST", run.body) if path == HOOK_PATH else ("GET", b"")
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(run.host, run.port), timeout)
    except (OSError, asyncio.TimeoutError):
        return Probe(path, None, time.monotonic() - started)
    try:
        writer.write(http_request(run.host, run.port, method, path, body))
        left = timeout - (time.monotonic() - started)
        status, _, headers = await asyncio.wait_for(read_answer(reader), left)
        return Probe(path, status, time.monotonic() - started, headers.get("retry-after"))
    except (OSError, ValueError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        return Probe(path, None, time.monotonic() - started)
    finally:
        writer.close()


async def hammer(run: Run) -> None:
    """One of the load's connections: hook calls back to back; reconnects when the server closes."""
    writer = None
    while time.monotonic() < run.stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(run.host, run.port), 5)
            writer.write(http_request(run.host, run.port, "POST", HOOK_PATH, run.body))
            status, keep = await asyncio.wait_for(read_response(reader), 10)
            run.answered[status] = run.answered.get(status, 0) + 1
        except (OSError, ValueError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            run.failures += 1
            keep = False
        if not keep and writer is not None:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def prober(run: Run, interval: float, timeout: float) -> None:
    """A new caller every `interval`: mostly hook calls, every fourth an operational endpoint."""
    pending = []
    turn = 0
    await asyncio.sleep(1.0)  # let the load build up first
    while time.monotonic() < run.stop_at - timeout:
        path = PROBE_PATHS[(turn // 4) % len(PROBE_PATHS)] if turn % 4 == 3 else HOOK_PATH
        pending.append(asyncio.create_task(ask(run, path, timeout)))
        queued = listen_queue(run.port)
        if queued is not None:
            run.queue.append(queued)
        turn += 1
        await asyncio.sleep(interval)
    run.probes.extend(await asyncio.gather(*pending))


async def overload(base_url: str, connections: int, duration: float, interval: float = 0.1, timeout: float = 5.0) -> dict:
    parts = urlsplit(base_url)
    run = Run(parts.hostname or "127.0.0.1", parts.port or 80, scenario_body(date.today()), time.monotonic() + duration)
    await asyncio.gather(prober(run, interval, timeout), *(hammer(run) for _ in range(connections)))
    return summary(run, connections, duration)


def _latencies(probes: list[Probe]) -> dict[str, float]:
    seconds = sorted(p.seconds for p in probes)
    return {"p50": round(percentile(seconds, 0.5), 4), "p99": round(percentile(seconds, 0.99), 4), "max": round(seconds[-1], 4)} if seconds else {}


def summary(run: Run, connections: int, duration: float) -> dict:
    hooks = [p for p in run.probes if p.path == HOOK_PATH]
    refused = [p for p in hooks if p.status == 503]
    return {
        "connections": connections,
        "duration_s": duration,
        "load_answers": {str(k): v for k, v in sorted(run.answered.items())},
        "load_failures": run.failures,
        "hook_probes": {str(s): sum(1 for p in hooks if p.status == s) for s in sorted({p.status for p in hooks}, key=str)},
        "hook_probe_seconds": _latencies([p for p in hooks if p.status is not None]),
        "hook_probe_503_seconds": _latencies(refused),
        "hook_probe_503_without_retry_after": sum(1 for p in refused if not p.retry_after),
        "unanswered_probes": sum(1 for p in run.probes if p.status is None),
        "ops_probes": {
            path: {"statuses": sorted({str(p.status) for p in run.probes if p.path == path}),
                   **_latencies([p for p in run.probes if p.path == path])}
            for path in PROBE_PATHS
        },
        "listen_queue": {"max": max(run.queue, default=0), "mean": round(sum(run.queue) / len(run.queue), 1) if run.queue else 0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--probe-interval", type=float, default=0.1)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(overload(args.base_url, args.connections, args.duration, args.probe_interval))))


if __name__ == "__main__":
    main()
