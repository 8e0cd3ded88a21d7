"""Request bodies over the configured size get a 413 before they are read into memory; a request over
the concurrency limit a 503 at once."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from service.api.limits import BEAT_SECONDS, LoopTurn, RequestLimits
from service.heap import HeapTrim
from service.app import create_app
from service.settings import Settings
from tests.support import builders as b
from tests.support.facts_support import TODAY


def test_bodies_over_the_limit_get_413_before_they_are_read() -> None:
    with TestClient(create_app(Settings(insecure_dev=True, rules_reload=False, max_body_bytes=2048), today=lambda: TODAY)) as client:
        big = b.hook_request(prefetch=b.full_prefetch())
        big["context"]["padding"] = "x" * 5000
        response = client.post("/cds-services/bzra-order-sign", json=big)
        assert response.status_code == 413 and "BZRA_MAX_BODY_BYTES" in response.json()["message"]

        def chunks():
            yield b'{"hook": "order-sign", "padding": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}'

        streamed = client.post("/cds-services/bzra-order-sign", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413


class Recorder:
    """An ASGI app that records the body it reads and answers 200, or waits for `release` first."""

    def __init__(self, release: asyncio.Event | None = None) -> None:
        self.bodies: list[bytes] = []
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        if self.release is not None:
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(app: RequestLimits, path: str, chunks: list[bytes], declared: int | None = None) -> dict[str, object]:
    """One request through the middleware: its status, headers and whether its body was read at all."""
    headers = [] if declared is None else [(b"content-length", str(declared).encode())]
    messages = [{"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)]
    answer: dict[str, object] = {"read": 0}

    async def receive() -> dict[str, object]:
        answer["read"] = int(answer["read"]) + 1  # type: ignore[call-overload]
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], dict(message["headers"])  # type: ignore[call-overload]

    await app({"type": "http", "path": path, "headers": headers}, receive, send)
    return answer


def test_the_body_is_read_once_and_handed_whole_to_the_application() -> None:
    inner = Recorder()
    answer = asyncio.run(call(RequestLimits(inner, max_bytes=10, limit=1), "/cds-services/x", [b"12345", b"67890"]))
    assert answer["status"] == 200 and inner.bodies == [b"1234567890"]


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read() -> None:
    inner = Recorder()
    answer = asyncio.run(call(RequestLimits(inner, max_bytes=10, limit=1), "/cds-services/x", [b"x" * 11], declared=11))
    assert (answer["status"], answer["read"], inner.bodies) == (413, 0, [])


def test_a_body_over_the_limit_without_a_declared_length_is_refused_while_read() -> None:
    for path in ("/cds-services/x", "/metrics"):  # an operational endpoint's body is bounded too
        inner = Recorder()
        answer = asyncio.run(call(RequestLimits(inner, max_bytes=10, limit=1), path, [b"123456", b"789012"]))
        assert answer["status"] == 413 and inner.bodies == [], path


def test_over_the_limit_a_request_gets_a_503_with_retry_after_and_probes_still_answer() -> None:
    async def scenario() -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
        release = asyncio.Event()
        limits = RequestLimits(Recorder(release), max_bytes=100, limit=1)
        working = asyncio.create_task(call(limits, "/cds-services/x", [b"{}"]))
        await asyncio.sleep(0.01)  # the first request is at work, waiting
        refused = await call(limits, "/cds-services/x", [b"{}"])
        probe = asyncio.create_task(call(limits, "/healthz", [b""]))
        await asyncio.sleep(0.01)
        release.set()
        return await working, refused, await probe

    working, refused, probe = asyncio.run(scenario())
    assert working["status"] == 200 and probe["status"] == 200
    assert refused["status"] == 503 and refused["headers"][b"retry-after"] == b"1"  # type: ignore[index]


class CountingTrim(HeapTrim):
    def __init__(self) -> None:
        super().__init__(large_body_bytes=1, trim=lambda pad: 1)
        self.bodies: list[int] = []

    def done(self, body_bytes: int) -> None:
        self.bodies.append(body_bytes)


def test_each_answered_body_is_counted_for_the_heap_trim() -> None:
    counted = CountingTrim()
    limits = RequestLimits(Recorder(), max_bytes=100, limit=1, heap=counted)
    asyncio.run(call(limits, "/cds-services/x", [b"12345", b"67890"]))
    asyncio.run(call(limits, "/cds-services/x", [b"abc"]))
    assert counted.bodies == [10, 3]


class CountedBeats(LoopTurn):
    def __init__(self, busy) -> None:  # type: ignore[no-untyped-def]
        super().__init__(busy)
        self.beats = 0

    def _beat(self) -> None:
        self.beats += 1
        super()._beat()


def test_a_turn_that_runs_long_while_requests_are_at_work_is_overdue() -> None:
    async def scenario() -> tuple[float, float]:
        turn = LoopTurn(busy=lambda: True)
        first = turn.overdue()  # the beat starts: this turn is on time
        await asyncio.sleep(BEAT_SECONDS * 3)
        time.sleep(0.1)  # one turn of 100 ms without a pause, as a long piece of work
        return first, turn.overdue()

    first, late = asyncio.run(scenario())
    assert first == 0.0 and late >= 0.1 - BEAT_SECONDS


def test_the_beat_stops_while_nothing_is_at_work_and_starts_again_on_time() -> None:
    async def scenario() -> tuple[int, int, bool, float]:
        at_work = [True]
        turn = CountedBeats(busy=lambda: at_work[0])
        turn.overdue()
        await asyncio.sleep(BEAT_SECONDS * 5)
        beats_at_work = turn.beats
        at_work[0] = False
        await asyncio.sleep(BEAT_SECONDS * 3)  # the next beat finds nothing at work: the last one
        stopped_at = turn.beats
        await asyncio.sleep(BEAT_SECONDS * 10)
        idle_beats = turn.beats - stopped_at
        time.sleep(BEAT_SECONDS * 5)  # a turn of work before the first request (not one at work)
        at_work[0] = True
        return beats_at_work, idle_beats, turn.beating, turn.overdue()

    beats_at_work, idle_beats, beating_when_idle, after_pause = asyncio.run(scenario())
    assert beats_at_work >= 2 and idle_beats == 0 and not beating_when_idle
    assert after_pause == 0.0  # the beat starts again, and does not count the pause as lateness


def test_the_middleware_stops_beating_once_its_requests_are_answered() -> None:
    async def scenario() -> tuple[bool, bool]:
        release = asyncio.Event()
        limits = RequestLimits(Recorder(release), max_bytes=100, limit=2)
        working = asyncio.create_task(call(limits, "/cds-services/x", [b"{}"]))
        await asyncio.sleep(BEAT_SECONDS * 3)
        beating_at_work = limits.turn.beating
        release.set()
        await working
        await asyncio.sleep(BEAT_SECONDS * 3)
        return beating_at_work, limits.turn.beating

    assert asyncio.run(scenario()) == (True, False)
