"""The sign after its selects, timed on its own.

wrk times every call of a run alike, so a sign mixed with its selects cannot be timed apart from them;
taking the selects' run away from the sequence's gave the sign as a small difference of two noisy runs.
Here the patients go in batches of `BATCH`: the batch's order-selects first (not measured), then, once
the server is idle, the batch's signs alone, measured. Each sign finds the server as its own selects
and those of the other patients of its batch left it, as when that many prescribers edit orders at once
(between a select and its sign, the calls of `BATCH - 1` other patients); the server's CPU time in that
phase is the signs' alone. Each round gives the patients new ids (`__CYCLE__`), so no sign finds what an
earlier round left. The baseline gets the same rounds on the same bodies.

Both phases are closed loops of `connections` keep-alive connections (as wrk with as many), driven from
this process (pinned with the other load generators), with the HTTP reading of `bench/open_loop.py`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

from bench import traffic
from bench.open_loop import read_answer
from bench.scenarios import CpuWatch, Options, Server, percentile


async def _closed_loop(port: int, calls: list[tuple[str, bytes]], connections: int) -> tuple[int, list[float]]:
    """Sends every call once, `connections` at a time; (how many were not answered 2xx, latencies in s)."""
    pending: Iterator[tuple[str, bytes]] = iter(calls)
    errors = 0
    latencies: list[float] = []

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for path, body in pending:
                sent = time.perf_counter()
                writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                status, keep, _ = await read_answer(reader)
                latencies.append(time.perf_counter() - sent)
                errors += not 200 <= status < 300
                if not keep:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return errors, latencies


BATCH = 50  # patients whose selects come before their signs


def _bodies(calls: list[traffic.Call], hook: str, cycle: str) -> list[tuple[str, bytes]]:
    return [(call.path, traffic.fill(call, str(uuid.uuid4()), cycle)) for call in calls if call.hook == hook]


def _batches(sequences: list[traffic.Call]) -> list[list[traffic.Call]]:
    """The calls of `BATCH` patients at a time (a patient's calls are consecutive, its sign last)."""
    batches: list[list[traffic.Call]] = [[]]
    signs = 0
    for call in sequences:
        batches[-1].append(call)
        if call.hook == "order-sign":
            signs += 1
            if signs % BATCH == 0:
                batches.append([])
    return [batch for batch in batches if batch]


def signs_after_selects(options: Options, server: Server, sequences: list[traffic.Call], rounds: int) -> dict[str, Any]:
    """`rounds` of (every select, then every sign measured); totals over the rounds' sign phases."""
    signs = answered_s = cpu_s = 0.0
    errors, disturbed = 0, 0.0
    latencies: list[float] = []
    nonce = uuid.uuid4().hex[:8]
    for round_, batch in ((r, b) for r in range(rounds) for b in _batches(sequences)):
        cycle = f"signs-{nonce}-{round_}"
        errors += asyncio.run(_closed_loop(server.port, _bodies(batch, "order-select", cycle), options.connections))[0]
        sign_bodies = _bodies(batch, "order-sign", cycle)
        server.wait_idle()  # the selects' audit writes done: the phase below holds the signs' work only
        with CpuWatch(server) as watch:
            started = time.monotonic()
            failed, timed = asyncio.run(_closed_loop(server.port, sign_bodies, options.connections))
            answered_s += time.monotonic() - started
        cpu_s += watch.result["server_cpus"] * watch.result["elapsed_s"]
        signs += len(sign_bodies)
        errors += failed
        latencies += timed
        disturbed = max(disturbed, watch.result["other_cpus"])
    return {
        "generator": (f"{rounds} rounds, {BATCH} patients at a time: their selects, then their signs alone; "
                      f"{options.connections} connections"),
        "rounds": rounds,
        "requests": int(signs),
        "distinct_bodies": int(signs / rounds) if rounds else 0,
        "batch": BATCH,
        "rps": round(signs / answered_s, 1) if answered_s else 0.0,
        "server_cpu_ms_per_call": round(cpu_s * 1000 / signs, 3) if signs else float("nan"),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
        "cpu": {"other_cpus": disturbed},
    }
