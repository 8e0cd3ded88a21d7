"""A real FHIR R4 server process for tests: @medplum/fhir-router over its in-memory repository, behind
the small Node wrapper in `tests/support/fhir_node/server.mjs`, with a fixed page size (as many EHR servers
have). `.ci/run` installs its npm packages (`npm ci` in tests/support/fhir_node); without Node or them, the
tests that need it are skipped with the reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.service_process import free_port

NODE_DIR = Path(__file__).resolve().parent / "fhir_node"
TRANSACTION_MAX_ENTRIES = 50  # what the router accepts in one transaction


def missing() -> str | None:
    """Why the server cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed (apt-get install nodejs npm)"
    if not (NODE_DIR / "node_modules" / "@medplum" / "fhir-router").exists():
        return "npm packages missing: run `npm ci --prefix tests/support/fhir_node` (.ci/run does)"
    return None


def _node_command(port: int, page_size: int, stamped: bool) -> list[str]:
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout
    major = int(version.strip().lstrip("v").split(".")[0])
    flags = ["--experimental-websocket"] if major < 22 else []  # @medplum/core expects a global WebSocket
    return ["node", *flags, str(NODE_DIR / "server.mjs"), str(port), str(page_size), *(["stamped"] if stamped else [])]


@contextmanager
def medplum_server(page_size: int, resources: list[dict[str, Any]], stamped: bool = False) -> Iterator[str]:
    """The server's base URL, holding `resources` (stored in the order given). `stamped`: each search
    answer gets a new Bundle id, its time and a search id in its links, as HAPI FHIR's do."""
    port = free_port()
    process = subprocess.Popen(_node_command(port, page_size, stamped), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "ready" not in line:
            raise RuntimeError(f"the FHIR server did not start: {line}{process.stderr.read() if process.stderr else ''}")
        base = f"http://127.0.0.1:{port}/fhir"
        for start in range(0, len(resources), TRANSACTION_MAX_ENTRIES):
            chunk = resources[start : start + TRANSACTION_MAX_ENTRIES]
            bundle = {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in chunk
                ],
            }
            answer = httpx.post(f"{base}/", content=json.dumps(bundle), headers={"Content-Type": "application/fhir+json"}, timeout=30)
            assert answer.status_code == 200, answer.text[:500]
        yield base
    finally:
        process.terminate()
        process.wait(10)
