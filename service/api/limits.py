"""The limits of a request: bodies over the configured size are refused before they are read into
memory (HTTP 413), and a request over the concurrency limit at once (HTTP 503 with Retry-After).
The size of each body answered goes to `service.heap`, which gives freed memory back after a large one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import RequestError
from service.heap import HeapTrim


class BodyTooLarge(RequestError):
    """A body over BZRA_MAX_BODY_BYTES: 413, before or while it is read."""

    status = 413
    code = "body_too_large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"request body larger than {max_bytes} bytes (BZRA_MAX_BODY_BYTES)")


OPERATIONAL_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
RETRY_AFTER_SECONDS = 1
# A newcomer needs about three turns of the event loop (accept, read, answer) to get even a 503, and
# while many calls are at work one turn would run a piece of each: admitted calls start their work
# only in a turn that is not yet this far behind, so a turn stays well under a second.
MAX_TURN_SECONDS = 0.1
BEAT_SECONDS = 0.01  # how often the loop's progress is sampled


class LoopTurn:
    """How long the event loop's current turn has run, from a callback due every BEAT_SECONDS.

    Each hook call's work (parsing, facts, rules) runs without a pause, so a turn lasts as long as
    the pieces of work it runs; everything else, accepting and answering newcomers included, waits
    for the next turn.

    The beat runs only while `busy()` (requests at work): with none, no turn runs long, and an idle
    service is not woken 100 times a second (20 ms of CPU a second on this host, bench/PROFILE.md
    round 5). The first question after a pause starts the beat again, and finds the turn on time.
    """

    def __init__(self, busy: Callable[[], bool]) -> None:
        self.busy = busy
        self.loop: asyncio.AbstractEventLoop | None = None
        self.last_beat = 0.0
        self.beating = False

    def _beat(self) -> None:
        assert self.loop is not None
        self.last_beat = self.loop.time()
        self.beating = self.busy()
        if self.beating:
            self.loop.call_later(BEAT_SECONDS, self._beat)

    def overdue(self) -> float:
        """Seconds the next beat has been kept waiting: how far this turn has run past its time."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop or not self.beating:  # first call, a pause, or a new loop (tests)
            self.loop, self.last_beat, self.beating = loop, loop.time(), True
            loop.call_later(BEAT_SECONDS, self._beat)
        return max(0.0, loop.time() - self.last_beat - BEAT_SECONDS)


class RequestLimits:
    """Pure ASGI middleware, the two limits of a request in one layer (a layer is paid on every call):

    * the body: over `max_bytes` a 413, from its Content-Length before it is read, or while it is
      read when sent without one;
    * admission: at most `limit` requests at work; the next one gets a 503 at once.

    Requests are counted, not connections, so idle keep-alive connections take no place. The
    request's body is read before it is counted. An admitted request starts its work in a turn of
    the loop that has not yet run MAX_TURN_SECONDS, waiting for the next turn otherwise, so that
    the loop keeps accepting and refusing newcomers while the admitted ones are worked through.
    The operational endpoints (liveness, readiness, metrics) are never counted nor refused: a busy
    service is alive, and must not be restarted for being busy.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, limit: int, max_turn: float = MAX_TURN_SECONDS, heap: HeapTrim | None = None):
        self.app = app
        self.heap = heap or HeapTrim()
        self.max_bytes = max_bytes
        self.limit = limit
        self.max_turn = max_turn
        self.active = 0
        self.turn = LoopTurn(busy=lambda: self.active > 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse_too_large(send, BodyTooLarge(self.max_bytes))
            return
        if scope["path"] in OPERATIONAL_PATHS:
            await self._serve_uncounted(scope, receive, send)
            return
        try:
            received = await _read_request(receive, self.max_bytes)
        except BodyTooLarge as error:
            await _refuse_too_large(send, error)
            return
        if self.active >= self.limit:
            await _refuse_busy(send, self.limit)
            return
        self.active += 1
        try:
            while self.turn.overdue() > self.max_turn:
                await asyncio.sleep(0)  # the next turn: newcomers are accepted and answered meanwhile
            await self.app(scope, _replay(received, receive), send)
        finally:
            self.active -= 1
            body_bytes = sum(len(message.get("body", b"")) for message in received)
            received.clear()  # the body's chunks let go before the heap is trimmed
            self.heap.done(body_bytes)

    async def _serve_uncounted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An operational endpoint: never refused for being busy, its body still bounded."""
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as error:
            if not started:
                await _refuse_too_large(send, error)


def _content_length(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            return value
    return None


async def _read_request(receive: Receive, max_bytes: int) -> list[Message]:
    """The request's messages up to the end of its body (or a disconnect); BodyTooLarge past `max_bytes`."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if size > max_bytes:
            raise BodyTooLarge(max_bytes)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _refuse_too_large(send: Send, error: BodyTooLarge) -> None:
    body = json.dumps({"error": error.code, "message": error.message}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _refuse_busy(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": "overloaded", "message": f"the service is at its limit of {limit} requests at once (BZRA_MAX_CONCURRENT_REQUESTS); try again shortly"}
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
