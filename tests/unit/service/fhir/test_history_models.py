"""The lean history models read FHIR exactly as the full `fhir.resources` R4B models do.

The facts are computed twice for realistic requests, once with each kind of model, and must be
identical; malformed resources are still skipped and reported.
"""

from __future__ import annotations

import gc
import json
from types import MappingProxyType
from typing import Any

import msgspec
import pytest
from fhir.resources.R4B import get_fhir_model_class

from service.catalog import DATA_QUERIES
from service.fhir import gather
from service.fhir.history_cache import ParsedHistory
from service.fhir.history_models import HISTORY_MODELS, CodeableConcept, MedicationRequest, read
from service.fhir.parse import parse_resource
from service.fhir.record import DataIssue, PatientRecord
from tests.support import builders as b
from tests.support import paths
from tests.support.facts_support import facts_for
from tests.support.paths import ROOT

FIXTURES = paths.FIXTURES / "fhir"
DEMO_PATIENTS = sorted((ROOT / "service" / "demo" / "patients").glob("*.json"))
CDS_REQUESTS = sorted(FIXTURES.glob("cds-*.json"))
QUERY = next(query for query in DATA_QUERIES if query.key == "medicationRequests")


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


# ---- msgspec Structs: small, untracked by the garbage collector, tolerant ------------------------------


def struct_parts(value: Any) -> list[Any]:
    """`value` and every Struct and tuple inside it."""
    if isinstance(value, tuple):
        return [value, *(part for item in value for part in struct_parts(item))]
    if isinstance(value, msgspec.Struct):
        return [value, *(part for name in value.__struct_fields__ for part in struct_parts(getattr(value, name)))]
    return []


def test_a_cached_parsed_history_holds_no_object_the_garbage_collector_tracks() -> None:
    cache = ParsedHistory(max_resources=100)
    prefetch = b.searchset(*(b.medication_request(f"mr-{i}", reasonCode={"text": "insomnia"}) for i in range(5)), b.medication())
    for _ in range(2):  # kept the second time it is seen
        gather.ingest(PatientRecord(patient_id=b.PATIENT_ID), QUERY, prefetch, "prefetch.medicationRequests", 100, cache)
    gc.collect()  # tuples of untracked items are untracked by a collection
    (read,) = cache._entries.values()
    parts = [read, read.items, *(part for item in read.items for part in (item, *struct_parts(item.resource)))]
    assert len(parts) > 100
    assert [type(part).__name__ for part in parts if gc.is_tracked(part)] == []


def test_a_parsed_resource_cannot_be_changed_by_a_reader() -> None:
    parsed = read(MedicationRequest, b.medication_request())
    with pytest.raises(AttributeError):
        parsed.status = "stopped"  # type: ignore[misc]
    assert isinstance(parsed.dosageInstruction, tuple)


def r4_request(**changes: Any) -> dict[str, Any]:
    return b.medication_request("tolerant") | changes


@pytest.mark.parametrize(
    ("resource", "check"),
    [
        (r4_request(medicationCodeableConcept={"coding": {"system": "s", "code": "c"}}), lambda r: r.medicationCodeableConcept.coding[0].code == "c"),
        (r4_request(dosageInstruction={"text": "1 at night"}), lambda r: r.dosageInstruction[0].text == "1 at night"),
        (r4_request(reasonCode={"text": "insomnia"}), lambda r: r.reasonCode[0].text == "insomnia"),
        (r4_request(dosageInstruction=[{"doseQuantity": {"value": 2, "unit": "mg"}, "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnits": "d"}}}]),
         lambda r: r.dosageInstruction[0].doseAndRate[0].doseQuantity.value == 2 and r.dosageInstruction[0].timing.repeat.periodUnit == "d"),
        (r4_request(dosageInstruction=[{"doseAndRate": [{"doseQuantity": {"value": "1.5"}}], "timing": {"repeat": {"frequency": 2.0}}}]),
         lambda r: r.dosageInstruction[0].doseAndRate[0].doseQuantity.value == 1.5 and r.dosageInstruction[0].timing.repeat.frequency == 2),
        (r4_request(medicationCodeableConcept=None, medicationReference={"reference": "#m"},
                    contained=[{"resourceType": "Patient", "id": "p"}, {"resourceType": "Medication", "id": "m"}]),
         lambda r: [m.id for m in r.contained] == ["m"]),
        ({**b.condition(), "clinicalStatus": "active", "assertedDate": "2020-02-03"},
         lambda r: r.clinicalStatus.coding[0].code == "active" and r.recordedDate == "2020-02-03"),
    ],
    ids=["single-coding", "single-dosage", "single-reason", "stu3-dosage", "lax-numbers", "contained-patient", "stu3-condition"],
)
def test_tolerated_shapes_are_read_in_their_r4_form(resource: dict[str, Any], check: Any) -> None:
    resource = {k: v for k, v in resource.items() if v is not None}
    parsed, issue = parse_resource(resource, "here")
    assert issue is None and parsed is not None
    assert check(parsed)


def test_an_stu3_dosage_is_not_read_as_an_r4_one_without_its_dose() -> None:
    """The strict first pass would ignore the unknown `doseQuantity` of an STU3 dosage; it must not."""
    stu3 = r4_request(dosageInstruction=[{"text": "2 mg", "doseQuantity": {"value": 2, "unit": "mg"}, "doseAndRate": [{"type": {"text": "ordered"}}]}])
    dosage = read(MedicationRequest, stu3).dosageInstruction[0]
    assert [e.doseQuantity.value if e.doseQuantity else None for e in dosage.doseAndRate] == [None, 2]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"].update(value="secret-7"),
         "dosageInstruction.0.doseAndRate.0.doseQuantity.value: Expected `float | null`, got `str`"),
        (lambda r: r["dosageInstruction"][0]["timing"].update(event=["2026-01-01", "secret-7"]), "dosageInstruction.0.timing.event: Expected a FHIR dateTime"),
        (lambda r: r.update(authoredOn="2026-01-01\n"), "authoredOn: Expected a FHIR dateTime"),
        (lambda r: r.update(dispenseRequest={"validityPeriod": {"start": "secret-7"}}), "dispenseRequest.validityPeriod.start: Expected a FHIR dateTime"),
        (lambda r: r.update(reasonCode=[{"text": "ok"}, {"coding": "secret-7"}]), "reasonCode.1.coding.0: Expected `object`, got `str`"),
    ],
)
def test_a_malformed_element_is_reported_by_its_path_without_its_value(change: Any, path: str) -> None:
    resource = b.medication_request("bad")
    change(resource)
    parsed, issue = parse_resource(resource, "prefetch.medicationRequests entry 0")
    assert parsed is None and issue is not None and issue.skipped == "MedicationRequest/bad"
    assert issue.problem == f"invalid MedicationRequest: {path}"
    assert "secret" not in issue.problem


def test_any_mapping_is_read_like_a_dict() -> None:
    """`identify_concept` takes any Mapping (as pydantic's `model_validate` did), in tolerated shapes too."""
    concept = read(CodeableConcept, MappingProxyType({"text": "x", "coding": MappingProxyType({"code": "c"})}))
    assert concept.coding is not None and concept.coding[0].code == "c" and concept.text == "x"
