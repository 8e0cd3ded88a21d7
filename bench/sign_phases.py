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


class Connections:
    """`count` keep-alive connections, opened once and kept from phase to phase (as wrk keeps its own), so
    no phase pays the server's connection set-up; one the server closed meanwhile is opened again."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.open: list[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = [None] * count

    async def send_all(self, calls: list[tuple[str, bytes]]) -> tuple[int, list[float]]:
        """Sends every call once, `count` at a time; (how many were not answered 2xx, latencies in s)."""
        pending: Iterator[tuple[str, bytes]] = iter(calls)
        errors = 0
        latencies: list[float] = []

        async def worker(slot: int) -> None:
            nonlocal errors
            for path, body in pending:
                request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
                sent = time.perf_counter()
                status, keep = await self._exchange(slot, request)
                latencies.append(time.perf_counter() - sent)
                errors += not 200 <= status < 300
                if not keep:
                    self._close(slot)

        await asyncio.gather(*(worker(slot) for slot in range(self.count)))
        return errors, latencies

    async def _exchange(self, slot: int, request: bytes) -> tuple[int, bool]:
        for attempt in (1, 2):
            if self.open[slot] is None:
                self.open[slot] = await asyncio.open_connection("127.0.0.1", self.port)
            reader, writer = self.open[slot]  # type: ignore[misc]
            try:
                writer.write(request)
                status, keep, _ = await read_answer(reader)
                return status, keep
            except (asyncio.IncompleteReadError, ConnectionError):
                self._close(slot)  # closed by the server while idle (its keep-alive timeout): once more on a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _close(self, slot: int) -> None:
        connection, self.open[slot] = self.open[slot], None
        if connection is not None:
            connection[1].close()

    def close(self) -> None:
        for slot in range(self.count):
            self._close(slot)


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
    """`rounds` of (every select, then every sign measured), `BATCH` patients at a time; totals over the
    signs' phases."""
    return asyncio.run(_rounds(options, server, sequences, rounds))


async def _rounds(options: Options, server: Server, sequences: list[traffic.Call], rounds: int) -> dict[str, Any]:
    signs = answered_s = cpu_s = other_s = watched_s = 0.0
    errors = 0
    latencies: list[float] = []
    nonce = uuid.uuid4().hex[:8]
    connections = Connections(server.port, options.connections)
    try:
        for round_, batch in ((r, b) for r in range(rounds) for b in _batches(sequences)):
            cycle = f"signs-{nonce}-{round_}"
            errors += (await connections.send_all(_bodies(batch, "order-select", cycle)))[0]
            sign_bodies = _bodies(batch, "order-sign", cycle)
            server.wait_idle()  # (blocks this loop: nothing else runs) the selects' audit writes done
            server_before = server.cpu_seconds()
            with CpuWatch(server) as watch:
                started = time.monotonic()
                failed, timed = await connections.send_all(sign_bodies)
                answered = time.monotonic() - started
            cpu_s += server.cpu_seconds() - server_before  # not CpuWatch's rate × its elapsed, rounded to 10 ms
            answered_s += answered
            signs += len(sign_bodies)
            errors += failed
            latencies += timed
            other_s += watch.result["other_cpus"] * answered
            watched_s += answered
    finally:
        connections.close()
    return {
        "generator": (f"{rounds} rounds, {BATCH} patients at a time: their selects, then their signs alone; "
                      f"{options.connections} keep-alive connections"),
        "rounds": rounds,
        "requests": int(signs),
        "distinct_bodies": int(signs / rounds) if rounds else 0,
        "batch": BATCH,
        "rps": round(signs / answered_s, 1) if answered_s else 0.0,
        "server_cpu_ms_per_call": round(cpu_s * 1000 / signs, 3) if signs else float("nan"),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
        # over all the phases together: one phase is too short for /proc's 10 ms ticks to tell
        "cpu": {"other_cpus": round(other_s / watched_s, 3) if watched_s else 0.0},
    }
