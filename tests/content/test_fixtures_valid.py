"""The FHIR R4 / CDS Hooks fixtures under tests/support/fixtures/fhir/ are what they claim to be.

* every resource file (not ``cds-*`` / ``invalid-*``) parses with the fhir.resources R4B models;
* every ``invalid-*`` file fails validation (and the invalid searchset fails on exactly one entry);
* every ``cds-*`` file is a CDS Hooks request with the required keys, and every FHIR resource in
  its ``context`` and ``prefetch`` parses;
* the synthetic patient is the same everywhere, and the README lists every file.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError
from tests.support.paths import FIXTURES

FIXTURE_DIR = FIXTURES / "fhir"
ALL_JSON = sorted(FIXTURE_DIR.glob("*.json"))
CDS_FILES = [p for p in ALL_JSON if p.name.startswith("cds-")]
INVALID_FILES = [p for p in ALL_JSON if p.name.startswith("invalid-")]
RESOURCE_FILES = [p for p in ALL_JSON if p not in CDS_FILES and p not in INVALID_FILES]

PATIENT_ID = "example-bzra-1"
PATIENT_REF = f"Patient/{PATIENT_ID}"
TODAY = dt.date(2026, 11, 23)  # the product's "today" in tests

# Required context fields per hook (cds-hooks.org hook pages, hookVersion 1.0).
HOOK_CONTEXT = {
    "order-sign": {"userId", "patientId", "draftOrders"},
    "order-select": {"userId", "patientId", "selections", "draftOrders"},
    "medication-prescribe": {"patientId", "medications"},
}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _validate(resource: dict) -> Any:
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _walk(node: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    yield key, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)


# --------------------------------------------------------------------------- inventory


def test_inventory_has_enough_resources_and_the_expected_kinds():
    assert len(RESOURCE_FILES) >= 20
    assert CDS_FILES and INVALID_FILES
    kinds = {_load(p)["resourceType"] for p in RESOURCE_FILES}
    assert {
        "MedicationRequest",
        "MedicationStatement",
        "MedicationDispense",
        "Medication",
        "Condition",
        "Patient",
        "Bundle",
        "OperationOutcome",
    } <= kinds


def test_readme_lists_every_fixture_file():
    readme = (FIXTURE_DIR / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in ALL_JSON if f"`{p.name}`" not in readme]
    assert not missing, f"README.md does not list: {missing}"


# --------------------------------------------------------------------------- resources


@pytest.mark.parametrize("path", RESOURCE_FILES, ids=_ids(RESOURCE_FILES))
def test_resource_file_parses_with_r4b_models(path: Path):
    data = _load(path)
    model = _validate(data)
    assert model.get_resource_type() == data["resourceType"]
    # Round trip keeps the resource type and id.
    again = json.loads(model.model_dump_json(by_alias=True, exclude_none=True))
    assert again["resourceType"] == data["resourceType"]
    assert again.get("id") == data.get("id")


@pytest.mark.parametrize("path", INVALID_FILES, ids=_ids(INVALID_FILES))
def test_invalid_file_fails_validation(path: Path):
    with pytest.raises(ValidationError):
        _validate(_load(path))


def test_invalid_searchset_has_exactly_one_bad_entry():
    bundle = _load(FIXTURE_DIR / "invalid-bundle-searchset-one-entry-missing-subject-intent.json")
    assert bundle["type"] == "searchset"
    bad = []
    for i, entry in enumerate(bundle["entry"]):
        try:
            _validate(entry["resource"])
        except ValidationError:
            bad.append(i)
    assert bad == [1]
    broken = bundle["entry"][1]["resource"]
    assert "subject" not in broken and "intent" not in broken


def test_searchset_with_include_has_match_and_include_entries():
    bundle = _load(FIXTURE_DIR / "bundle-searchset-medicationrequest-include-medication.json")
    modes = [e["search"]["mode"] for e in bundle["entry"]]
    assert modes.count("match") >= 2 and modes.count("include") == 1
    relations = {link["relation"] for link in bundle["link"]}
    assert {"self", "next"} <= relations
    assert bundle["total"] > modes.count("match")  # more pages to follow
    included = {f"Medication/{e['resource']['id']}" for e in bundle["entry"] if e["search"]["mode"] == "include"}
    referenced = {
        e["resource"]["medicationReference"]["reference"]
        for e in bundle["entry"]
        if e["search"]["mode"] == "match" and "medicationReference" in e["resource"]
    }
    assert referenced and referenced <= included
    for e in bundle["entry"]:
        assert e["fullUrl"].endswith(f"/{e['resource']['resourceType']}/{e['resource']['id']}")


def test_contained_medication_references_resolve():
    for path in RESOURCE_FILES:
        data = _load(path)
        contained = {f"#{r['id']}" for r in data.get("contained", [])}
        ref = data.get("medicationReference", {}).get("reference", "")
        if ref.startswith("#"):
            assert ref in contained, path.name


# --------------------------------------------------------------------------- CDS Hooks requests


@pytest.mark.parametrize("path", CDS_FILES, ids=_ids(CDS_FILES))
def test_cds_request_has_required_keys(path: Path):
    req = _load(path)
    assert {"hook", "hookInstance", "context"} <= req.keys()
    assert req["hook"] in HOOK_CONTEXT
    assert HOOK_CONTEXT[req["hook"]] <= req["context"].keys()
    assert req["context"]["patientId"] == PATIENT_ID
    if "fhirAuthorization" in req:
        assert req.get("fhirServer", "").startswith("https://")  # cds-r-1
        auth = req["fhirAuthorization"]
        assert {"access_token", "token_type", "expires_in", "scope", "subject"} <= auth.keys()
        assert auth["token_type"] == "Bearer" and isinstance(auth["expires_in"], int)


@pytest.mark.parametrize("path", CDS_FILES, ids=_ids(CDS_FILES))
def test_cds_request_resources_parse(path: Path):
    req = _load(path)
    orders = req["context"].get("draftOrders") or req["context"].get("medications")
    assert orders["resourceType"] == "Bundle" and orders["entry"]
    for entry in orders["entry"]:
        order = _validate(entry["resource"])
        assert order.status == "draft" and order.intent == "order"
        assert order.subject.reference == PATIENT_REF
    if "type" in orders:
        assert orders["type"] == "collection"
        _validate(orders)
    else:
        # The spec's medication-prescribe example Bundle has no `type`; that is the only defect.
        with pytest.raises(ValidationError):
            _validate(orders)
        _validate({**copy.deepcopy(orders), "type": "collection"})

    for key, value in req.get("prefetch", {}).items():
        if value is None:  # "no data" per CDS Hooks 2.0 prefetch rules
            continue
        _validate(value)
        if value["resourceType"] == "Bundle":
            assert value["type"] == "searchset", key
            # Prefetch results are a single page: no next links.
            assert all(link["relation"] != "next" for link in value.get("link", [])), key
            for entry in value.get("entry", []):
                _validate(entry["resource"])


def test_order_sign_prefetch_covers_all_keys_with_one_null():
    req = _load(FIXTURE_DIR / "cds-order-sign-request.json")
    prefetch = req["prefetch"]
    assert {"patient", "medicationStatements", "medicationRequests", "medicationDispenses", "conditions"} <= prefetch.keys()
    assert [k for k, v in prefetch.items() if v is None] == ["medicationDispenses"]
    assert prefetch["patient"]["resourceType"] == "Patient"
    draft = req["context"]["draftOrders"]["entry"][0]["resource"]
    assert draft["reasonCode"][0]["coding"][0]["code"] == "193462001"  # insomnia


def test_order_select_selections_point_into_draft_orders():
    req = _load(FIXTURE_DIR / "cds-order-select-request.json")
    in_bundle = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in req["context"]["draftOrders"]["entry"]}
    assert req["context"]["selections"] and set(req["context"]["selections"]) <= in_bundle


# --------------------------------------------------------------------------- the synthetic patient


def test_every_subject_is_the_synthetic_patient():
    be_patient = _load(FIXTURE_DIR / "patient-be-shape-example-bzra-1.json")
    ssin = {(i["system"], i["value"]) for i in be_patient["identifier"]}
    for path in ALL_JSON:
        for key, node in _walk(_load(path)):
            if key != "subject" or not isinstance(node, dict):
                continue
            if "reference" in node:
                assert node["reference"] == PATIENT_REF, path.name
            else:  # Belgian style: logical reference by SSIN
                assert (node["identifier"]["system"], node["identifier"]["value"]) in ssin, path.name


def test_patients_are_65_or_older_today():
    for name in ("patient-us-core-example-bzra-1.json", "patient-be-shape-example-bzra-1.json"):
        patient = _load(FIXTURE_DIR / name)
        assert patient["id"] == PATIENT_ID
        born = dt.date.fromisoformat(patient["birthDate"])
        age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
        assert age >= 65, name


def test_zolpidem_statements_cover_nine_weeks():
    active = _load(FIXTURE_DIR / "medicationstatement-zolpidem-hl7-spec-active.json")
    start = dt.date.fromisoformat(active["effectivePeriod"]["start"])
    assert active["status"] == "active" and "end" not in active["effectivePeriod"]
    assert (TODAY - start).days >= 63
