"""The service's own HTTP client (httpx over aiohttp's pool) against real servers on loopback.

respx tests cover the FHIR client's logic; these check that what the production transport raises and
returns is what that logic expects: timeouts, refused connections, redirects, refusals, non-JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import pytest

from service.fhir.cache import ResponseCache
from service.fhir.client import FhirError, FhirSession, make_http_client
from service.fhir.limits import FhirLimits
from tests.support import builders as b
from tests.support.fhir_server import FhirStub, serving

ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/fhir/Patient/p": (200, {"Content-Type": "application/fhir+json"}, b'{"resourceType": "Patient", "id": "p"}'),
    "/fhir/moved": (302, {"Location": "http://elsewhere.test/fhir/Patient/p"}, b""),
    "/fhir/refused": (401, {"Content-Type": "application/fhir+json"}, b'{"resourceType": "OperationOutcome", "issue": []}'),
    "/fhir/html": (200, {"Content-Type": "text/html"}, b"<html>login</html>"),
}


@contextmanager
def canned_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            status, headers, body = ANSWERS[self.path]
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        yield base


async def read(base: str, path: str, read_timeout: float = 2.0) -> dict:
    async with make_http_client(1.0, read_timeout, aiohttp_pool=True) as http:
        limits = FhirLimits(1.0, read_timeout, total_timeout=5, max_pages=2, max_concurrency=4, max_response_bytes=10_000_000)
        session = FhirSession(http, base, "p", "token", ResponseCache(0, 0), limits=limits)
        return (await session.get_page(path)).value


def test_a_resource_is_read() -> None:
    with canned_server() as base:
        assert asyncio.run(read(base, "Patient/p")) == {"resourceType": "Patient", "id": "p"}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("moved", "redirect (302); not followed"),
        ("refused", "refused the access token (401)"),
        ("html", "not a FHIR JSON resource"),
    ],
)
def test_unusable_answers_become_fhir_errors(path: str, reason: str) -> None:
    with canned_server() as base, pytest.raises(FhirError) as error:
        asyncio.run(read(base, path))
    assert reason in error.value.reason


def test_a_slow_server_times_out() -> None:
    with FhirStub([b.patient()], delay=1.0) as fhir, pytest.raises(FhirError) as error:
        asyncio.run(read(fhir.base_url, f"Patient/{b.PATIENT_ID}", read_timeout=0.2))
    assert "did not answer in time" in error.value.reason


def test_a_closed_port_is_unreachable() -> None:
    with pytest.raises(FhirError) as error:
        asyncio.run(read("http://127.0.0.1:9/fhir", "Patient/p"))
    assert "could not be reached" in error.value.reason
