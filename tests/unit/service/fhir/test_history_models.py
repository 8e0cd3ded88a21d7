"""The lean history models read FHIR exactly as the full `fhir.resources` R4B models do.

The facts are computed twice for realistic requests, once with each kind of model, and must be
identical; malformed resources are still skipped and reported.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from service.fhir import gather
from service.fhir.history_models import HISTORY_MODELS
from service.fhir.parse import parse_resource
from service.fhir.record import DataIssue
from tests.support import builders as b
from tests.support import paths
from tests.support.facts_support import facts_for
from tests.support.paths import ROOT

FIXTURES = paths.FIXTURES / "fhir"
DEMO_PATIENTS = sorted((ROOT / "service" / "demo" / "patients").glob("*.json"))
CDS_REQUESTS = sorted(FIXTURES.glob("cds-*.json"))


def full_model_parse(data: Any, where: str) -> tuple[Any, DataIssue | None]:
    """What the service did before the lean models: every resource through fhir.resources."""
    kind = data.get("resourceType")
    if kind not in HISTORY_MODELS:
        return None, None
    return get_fhir_model_class(kind).model_validate(data), None


KEY_OF = {
    "MedicationStatement": "medicationStatements",
    "MedicationRequest": "medicationRequests",
    "MedicationDispense": "medicationDispenses",
    "Condition": "conditions",
    "Medication": "medicationRequests",  # as a search with _include would bring them
}


def history_request(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """An order-sign request (a lorazepam draft) with `resources` prefetched as search results."""
    by_key: dict[str, list[dict[str, Any]]] = {key: [] for key in KEY_OF.values()}
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    for resource in resources:
        if resource["resourceType"] in KEY_OF:
            by_key[KEY_OF[resource["resourceType"]]].append(resource)
    prefetch: dict[str, Any] = {key: b.searchset(*items) for key, items in by_key.items()}
    prefetch["patient"] = patient
    request = b.hook_request(prefetch=prefetch)
    request["context"]["patientId"] = patient["id"]
    return request


def fixture_history_request() -> dict[str, Any]:
    """Every history resource among the fixtures, in one request."""
    files = [p for p in sorted(FIXTURES.glob("*.json")) if not p.name.startswith(("cds-", "invalid-", "bundle-"))]
    return history_request([json.loads(p.read_text(encoding="utf-8")) for p in files])


def requests() -> list[tuple[str, dict[str, Any]]]:
    found = [("fixtures", fixture_history_request())]
    for path in DEMO_PATIENTS:  # Bundles of a synthetic patient's record
        bundle = json.loads(path.read_text(encoding="utf-8"))
        found.append((path.name, history_request([entry["resource"] for entry in bundle["entry"]])))
    found += [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in CDS_REQUESTS]
    return found


@pytest.mark.parametrize(("name", "request_json"), requests(), ids=[n for n, _ in requests()])
def test_facts_are_the_same_with_lean_and_full_models(name: str, request_json: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    lean = facts_for(request_json).model_dump(mode="json")
    monkeypatch.setattr(gather, "parse_resource", full_model_parse)
    full = facts_for(request_json).model_dump(mode="json")
    assert lean == full


def test_fixture_history_has_something_of_every_kind() -> None:
    facts = facts_for(fixture_history_request())
    assert facts.patient.age_known
    assert len(facts.history.exposures) >= 10
    assert any(facts.conditions.values())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.pop("subject"), "subject"),
        (lambda r: r.pop("status"), "status"),
        (lambda r: r.pop("intent"), "intent"),
        (lambda r: r.pop("medicationCodeableConcept"), "medication"),
        (lambda r: r.update(medicationReference={"reference": "Medication/x"}), "medication"),
        (lambda r: r.update(authoredOn="23/11/2026"), "authoredOn"),
        (lambda r: r.update(dosageInstruction="1 tablet"), "dosageInstruction"),
        (lambda r: r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"].update(value="one"), "doseQuantity"),
    ],
)
def test_a_malformed_history_resource_is_reported_with_the_field(change: Any, field: str) -> None:
    resource = b.medication_request("bad")
    change(resource)
    parsed, issue = parse_resource(resource, "prefetch.medicationRequests entry 0")
    assert parsed is None and issue is not None
    assert issue.skipped == "MedicationRequest/bad"
    assert field in issue.problem


def test_unread_elements_and_other_resource_types_are_ignored_not_rejected() -> None:
    resource = b.medication_request("ok") | {"extension": [{"url": "http://x", "valueString": "y"}], "_authoredOn": {"id": "a"}}
    parsed, issue = parse_resource(resource, "here")
    assert issue is None and parsed is not None and parsed.get_resource_type() == "MedicationRequest"
    assert parse_resource({"resourceType": "OperationOutcome", "issue": []}, "here") == (None, None)
    _, unknown = parse_resource({"resourceType": "NotAThing", "id": "1"}, "here")
    assert unknown is not None and "unknown resourceType" in unknown.problem
