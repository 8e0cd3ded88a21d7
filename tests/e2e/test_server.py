"""End to end: the real service process, called over HTTP, reading from a real FHIR server."""

from __future__ import annotations

import httpx

from tests.support import builders as b
from tests.support.fhir_server import FhirStub
from tests.support.service_process import running_service, service_log


def test_hook_call_over_http_fetches_missing_data_from_a_real_fhir_server() -> None:
    history = [
        b.patient(),
        b.medication_statement(),
        b.medication_request("r1", medication_reference="Medication/med-1"),
        b.medication("med-1"),
        b.condition(),
    ]
    with FhirStub(history) as fhir, running_service("--insecure-dev", env={"BZRA_LOG_FORMAT": "json"}) as (base, process):
        services = httpx.get(f"{base}/cds-services").json()["services"]
        assert {s["id"] for s in services} >= {"bzra-order-sign", "bzra-order-select"}

        request = b.hook_request(prefetch={"patient": b.patient()}, fhir_server=fhir.base_url, token="e2e-secret-token")
        response = httpx.post(f"{base}/cds-services/bzra-order-sign", json=request, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "extension" not in body  # all data read
        assert "long-term-use" in b.rule_ids(body)  # zolpidem since September, read from the FHIR server

        paths = [path for path, _ in fhir.requests]
        assert any(p.startswith("/fhir/MedicationStatement?patient=example-bzra-1") for p in paths)
        assert "/fhir/Medication/med-1" in paths  # the stub does not honour _include: it is read
        assert not any(p.startswith("/fhir/Patient/") for p in paths)  # it was prefetched
        assert {auth for _, auth in fhir.requests} == {"Bearer e2e-secret-token"}

        missing = httpx.post(f"{base}/cds-services/bzra-order-sign", json=b.hook_request(prefetch={}), timeout=10)
        assert missing.status_code == 412

        metrics = httpx.get(f"{base}/metrics").text
        assert 'bzra_fhir_calls_total{outcome="ok"}' in metrics
    stderr = service_log(process)
    assert "INSECURE DEVELOPMENT MODE" in stderr
    assert "e2e-secret-token" not in stderr
    assert request["hookInstance"] in stderr  # log lines carry the hookInstance


def test_hook_call_with_an_unreachable_fhir_server_still_answers() -> None:
    with running_service("--insecure-dev") as (base, _):
        request = b.hook_request(prefetch={"patient": b.patient()}, fhir_server="http://127.0.0.1:9/fhir")
        response = httpx.post(f"{base}/cds-services/bzra-order-sign", json=request, timeout=10)
        assert response.status_code == 200
        card = b.data_card(response.json())
        assert card["indicator"] == "info"
        assert "not available: dispensing history, earlier prescriptions" in card["detail"]
