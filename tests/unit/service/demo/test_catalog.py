"""The demo patients: ten to fifteen valid FHIR bundles with respectful synthetic stories, each getting
the cards it promises (tests/support/demo_support.py PROMISES) from the real hook endpoint, in every language."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle

from service.demo import catalog
from service.demo.catalog import FORMULARY, PATIENTS, PRODUCTS, load_bundle, patient_resource
from service.demo.dates import shift_to
from service.settings import Settings
from tests.support import builders as b
from tests.support.builders import SIGN
from tests.support.demo_support import ATC, PROMISES, RXNORM, SEVERITY, STATIC_FILES, hook_request_for
from tests.support.facts_support import TODAY


def test_ten_to_fifteen_patients_each_with_a_file_a_story_and_a_draft() -> None:
    assert 10 <= len(PATIENTS) <= 15
    files = {path.stem for path in catalog.PATIENTS_DIR.glob("*.json")}
    assert files == {patient.id for patient in PATIENTS}
    assert set(PROMISES) == files
    for patient in PATIENTS:
        assert set(patient.story) == {"en", "nl", "fr"} and all(patient.story.values())
        assert set(patient.draft.dose) == {"en", "nl", "fr"}
        assert patient.draft.product in PRODUCTS and patient.draft.reason in ("insomnia", "anxiety", "other")


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p.id)
def test_every_bundle_parses_as_fhir_r4b_as_stored_and_as_served(patient: catalog.DemoPatient) -> None:
    stored = load_bundle(patient.id)
    assert stored["type"] == "collection"
    Bundle.model_validate(stored)
    served = shift_to(stored, date(2031, 2, 28))
    parsed = Bundle.model_validate(served)
    kinds = {entry.resource.get_resource_type() for entry in parsed.entry}
    assert "Patient" in kinds
    person = patient_resource(served)
    assert person["id"] == patient.id and person["birthDate"] and person["name"][0]["given"]
    assert any(tag["code"] == "HTEST" for tag in stored["meta"]["tag"])  # marked as test data


def test_the_histories_have_the_shapes_ehrs_send() -> None:
    seen: set[str] = set()
    codes: set[str] = set()
    for patient in PATIENTS:
        text = json.dumps(load_bundle(patient.id))
        for resource in (e["resource"] for e in load_bundle(patient.id)["entry"]):
            seen.add(resource["resourceType"])
            if resource.get("contained"):
                seen.add("contained Medication")
            if resource.get("medicationReference", {}).get("reference", "").startswith("Medication/"):
                seen.add("referenced Medication")
            concept = resource.get("medicationCodeableConcept") or {}
            if concept and not concept.get("coding"):
                seen.add("text-only medication")
        for system in ("http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10", RXNORM, ATC):
            if f'"{system}"' in text:
                codes.add(system)
    assert {"Patient", "MedicationStatement", "MedicationRequest", "MedicationDispense", "Condition", "Medication"} <= seen
    assert {"contained Medication", "referenced Medication", "text-only medication"} <= seen
    assert codes == {"http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10", RXNORM, ATC}


def test_names_are_synthetic_and_wording_is_respectful() -> None:
    words = re.compile(r"\b(abuse|abuser|addict|addicts|addicted|junkie)\b", re.IGNORECASE)
    for patient in PATIENTS:
        for text in (*patient.story.values(), *patient.try_this.values()):
            assert not words.search(text), text
    for path in STATIC_FILES.values():
        assert not words.search(path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p.id)
def test_each_story_gets_the_cards_it_promises(demo_client: TestClient, patient: catalog.DemoPatient) -> None:
    bundle = demo_client.get(f"/demo/patients/{patient.id}").json()
    response = demo_client.post(SIGN, json=hook_request_for(patient, bundle, TODAY))
    assert response.status_code == 200, response.text
    body = response.json()
    rules, indicator = PROMISES[patient.id]
    assert b.rule_ids(body) == rules
    assert all(card["source"]["label"] not in b.DATA_CHECKS for card in body["cards"]), "the record should be complete"
    if indicator is None:
        assert body["cards"] == []
    else:
        assert max((card["indicator"] for card in body["cards"]), key=SEVERITY.get) == indicator


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_stories_work_in_dutch_and_french_too(demo_client: TestClient, language: str) -> None:
    for patient in PATIENTS:
        bundle = demo_client.get(f"/demo/patients/{patient.id}").json()
        body = demo_client.post(SIGN, json=hook_request_for(patient, bundle, TODAY, language)).json()
        assert b.rule_ids(body) == PROMISES[patient.id][0], (patient.id, language)


def test_the_opioid_story_is_critical_and_advises_reconsidering_the_start(demo_client: TestClient) -> None:
    patient = catalog.PATIENTS_BY_ID["jan-de-groot"]
    bundle = demo_client.get(f"/demo/patients/{patient.id}").json()
    [card] = demo_client.post(SIGN, json=hook_request_for(patient, bundle, TODAY)).json()["cards"]
    assert card["indicator"] == "critical" and "reconsider starting diazepam" in card["summary"]
    [suggestion] = card["suggestions"]  # no taper for a drug he has never taken
    assert [a["type"] for a in suggestion["actions"]] == ["delete"] and suggestion["actions"][0]["resourceId"] == "MedicationRequest/draft-1"


def test_every_formulary_product_is_identified_by_the_knowledge_base(demo_client: TestClient) -> None:
    from cds_hooks import HookRequest
    from service.cli.records import collect_record, pipeline_for
    from service.knowledge.configured import load_configured_knowledge

    settings = Settings(insecure_dev=True)
    pipeline = pipeline_for(settings, load_configured_knowledge(settings), TODAY)
    patient = catalog.PATIENTS_BY_ID["lucas-dubois"]
    bundle = shift_to(load_bundle(patient.id), TODAY)
    for product in FORMULARY:
        request = hook_request_for(patient, bundle, TODAY)
        draft = request["context"]["draftOrders"]["entry"][0]["resource"]
        coding = [{"system": RXNORM, "code": product.rxnorm, "display": product.rxnorm_display}] if product.rxnorm else []
        text = f"{product.name['en']} {product.strength_mg:g} mg {product.form}"  # as the order screen writes it
        draft["medicationCodeableConcept"] = {"coding": [*coding, {"system": ATC, "code": product.atc}], "text": text}
        hook = HookRequest.model_validate(request)
        facts = pipeline.facts(collect_record(pipeline, hook), hook.hook)
        assert facts.draft.is_bzra == product.bzra, product.id
        if product.bzra:
            assert facts.draft.strength_mg == product.strength_mg, product.id


