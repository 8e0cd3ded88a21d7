"""The benchmark's baseline: a bare FastAPI endpoint on the same uvicorn settings as `bzra-cds serve`.

It reads the request body, parses the JSON and answers `{"cards": []}`: the least any CDS Hooks
service written with this stack can do. Every scenario is reported as a ratio to it, measured in the
same run on the same machine, so the numbers say what bzra-cds itself adds.

Scenario 2 (no prefetch) has a baseline of its own at `READER_PATH`, the bare FHIR reader: it reads
the patient and the four searches the service makes (`READS`) from the request's `fhirServer` with
its token, five GETs at once on one aiohttp session, parses each answer, and answers the same. It is
the least a CDS service that reads its own data can do, and so it shows how fast the host was when
scenario 2 ran: the two alternate, run after run (bench/PROFILE.md, round 5).

    .venv/bin/python -m bench.baseline_app --port 8099
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from fastapi import FastAPI, Request

READER_PATH = "/fhir-reader/cds-services/bzra-order-sign"
# What the service reads without prefetch (the FHIR stub of the benchmark answers a search whatever its
# other parameters, so the bytes are the same as the service's).
READS = (
    "Patient/{patient}",
    "MedicationStatement?patient={patient}",
    "MedicationRequest?patient={patient}",
    "MedicationDispense?patient={patient}",
    "Condition?patient={patient}",
)


@asynccontextmanager
async def _session(app: FastAPI) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app.state.fhir = session
        yield


app = FastAPI(title="bzra-cds benchmark baseline", lifespan=_session)


@app.post("/cds-services/{service_id}")
async def hook(service_id: str, request: Request) -> dict[str, list[object]]:
    json.loads(await request.body())
    return {"cards": []}


async def read_all(session: aiohttp.ClientSession, base: str, patient: str, token: str) -> None:
    """The bare reader's work: the `READS` of one patient at once, each answer parsed."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}

    async def read(path: str) -> object:
        async with session.get(f"{base}/{path.format(patient=patient)}", headers=headers) as response:
            response.raise_for_status()
            return json.loads(await response.read())

    await asyncio.gather(*(read(path) for path in READS))


@app.post(READER_PATH)
async def fhir_reader(request: Request) -> dict[str, list[object]]:
    body = json.loads(await request.body())
    base = body["fhirServer"].rstrip("/")
    await read_all(request.app.state.fhir, base, body["context"]["patientId"], body["fhirAuthorization"]["access_token"])
    return {"cards": []}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="bare FastAPI baseline for the benchmark")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # The same options as `bzra-cds serve` (service/serving.py): one worker, no access log, asyncio's
    # event loop, httptools when installed (as it is with uvicorn[standard]).
    from service.serving import UVICORN_OPTIONS

    uvicorn.run(app, host=args.host, port=args.port, **UVICORN_OPTIONS)


if __name__ == "__main__":
    main()
