"""The benchmark's bare FHIR reader (scenario 2's baseline) makes the service's reads, no fewer."""

from __future__ import annotations

import json
import uuid
from datetime import date
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from bench import patients
from bench.baseline_app import READER_PATH, app
from bench.scenarios import HOOK_PATH
from service.app import create_app
from service.settings import Settings
from tests.support.fhir_server import FhirStub


def _reads(requests: list[tuple[str, str | None]]) -> list[tuple[str, str, str | None]]:
    """Each read as (what was read, for which patient, with which token), whatever its other parameters."""
    read = []
    for path, authorization in requests:
        parts = urlsplit(path)
        read.append((parts.path, parse_qs(parts.query).get("patient", [""])[0], authorization))
    return sorted(read)


def test_the_bare_reader_reads_what_the_service_reads_without_prefetch() -> None:
    today = date.today()
    with FhirStub(patients.fhir_server_resources(today)) as stub:
        body = patients.fill(patients.body(patients.hook_request(today, fhir_server=stub.base_url)), str(uuid.uuid4()))
        with TestClient(create_app(Settings(insecure_dev=True, rules_reload=False))) as service:
            answered = service.post(HOOK_PATH, content=body, headers={"content-type": "application/json"})
        assert answered.status_code == 200 and answered.json()["cards"]
        by_service, stub.requests[:] = list(stub.requests), []
        with TestClient(app) as bare:
            bare_answer = bare.post(READER_PATH, content=body, headers={"content-type": "application/json"})
        assert bare_answer.status_code == 200 and bare_answer.json() == {"cards": []}
        token = json.loads(body)["fhirAuthorization"]["access_token"]
        assert len(stub.requests) == 5 and all(authorization == f"Bearer {token}" for _, authorization in stub.requests)
        assert _reads(stub.requests) == _reads(by_service)
