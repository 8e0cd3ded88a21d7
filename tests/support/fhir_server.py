"""A small real FHIR server for tests and benchmarks: serves fixed resources over HTTP on loopback.

It answers `GET [type]/[id]` and `GET [type]?patient=...` from memory, records each request's path and
Authorization header, and can add a fixed delay per request (to show that reads run concurrently).
`stamped`: each search answer gets its own Bundle id and the time of the search (`meta.lastUpdated`),
as HAPI FHIR's do.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` on a loopback port, in a thread, for the `with` block; yields the base URL ending in `/fhir`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    finally:
        server.shutdown()
        server.server_close()


class FhirStub:
    def __init__(self, resources: list[dict[str, Any]], delay: float = 0.0, stamped: bool = False):
        self.resources = resources
        self.delay = delay
        self.stamped = stamped
        self.requests: list[tuple[str, str | None]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/fhir"

    def __enter__(self) -> FhirStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        segments = [s for s in parts.path.split("/") if s][1:]  # drop the "fhir" prefix
        if len(segments) == 2:
            for resource in self.resources:
                if [resource["resourceType"], resource.get("id")] == segments:
                    return 200, resource
            return 404, {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}
        kind = segments[0] if segments else ""
        patient = parse_qs(parts.query).get("patient", [""])[0]
        matches = [
            r for r in self.resources
            if r["resourceType"] == kind and (r.get("subject") or {}).get("reference") == f"Patient/{patient}"
        ]
        entries = [{"fullUrl": f"{self.base_url}/{kind}/{r.get('id')}", "resource": r, "search": {"mode": "match"}} for r in matches]
        stamp = {"id": str(uuid.uuid4()), "meta": {"lastUpdated": datetime.now(UTC).isoformat()}} if self.stamped else {}
        return 200, {"resourceType": "Bundle", **stamp, "type": "searchset", "total": len(entries), "entry": entries}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                stub.requests.append((self.path, self.headers.get("Authorization")))
                if stub.delay:
                    time.sleep(stub.delay)
                status, body = stub.answer(self.path)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
