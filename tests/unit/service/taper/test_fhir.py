"""A taper plan as FHIR MedicationRequests: mixed weeks, drug-free days, cross-tapers, switch days, magistral capsules."""

from __future__ import annotations

import uuid

from fhir.resources.R4B.medicationrequest import MedicationRequest

from service.taper.fhir import group_identifier, patient_group_identifier, plan_group_key, plan_medication_request, plan_medication_requests
from tests.support.taper_support import plan_for


def test_fhir_for_a_direct_taper_with_a_mixed_week_and_drug_free_days(kn):
    plan = plan_for(kn, "zolpidem", 10, market="NL")
    resource = plan_medication_request(plan, "Patient/7", "fr")
    parsed = MedicationRequest.model_validate(resource)
    first = [d for d in parsed.dosageInstruction if d.sequence == 1]
    assert sorted((d.timing.repeat.frequency, d.timing.repeat.periodUnit, d.doseAndRate[0].doseQuantity.value) for d in first) == [
        (3, "wk", 5.0), (4, "wk", 10.0)
    ]
    free = next(d for d in parsed.dosageInstruction if d.sequence == 4)
    assert free.timing.repeat.frequency == 6 and free.timing.repeat.periodUnit == "wk"
    assert parsed.dosageInstruction[-1].text.startswith("Arrêt du traitement par zolpidem")
    assert all("Step" not in d.text for d in parsed.dosageInstruction)  # French, not English
    assert resource["note"] and all(note["text"] for note in resource["note"])


def test_fhir_cross_taper_orders_both_drugs_in_one_group(kn):
    plan = plan_for(kn, "lorazepam", 3, protocol="cks_ashton")
    old, new = plan_medication_requests(plan, "Patient/7", "nl")
    for resource in (old, new):
        MedicationRequest.model_validate(resource)
    assert old["groupIdentifier"] == new["groupIdentifier"]
    assert old["medicationCodeableConcept"]["coding"][0]["code"] == "N05BA06" and new["medicationCodeableConcept"]["coding"][0]["code"] == "N05BA01"
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in old["dosageInstruction"] if "doseAndRate" in d] == [2.0]
    assert old["dosageInstruction"][-1]["text"].startswith("Stop lorazepam vanaf")
    assert new["dosageInstruction"][0]["sequence"] == 1 and new["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 10
    assert plan_medication_requests(plan, "Patient/7", "nl")[0]["groupIdentifier"] == old["groupIdentifier"]  # stable


def test_fhir_switch_day_names_the_drug_stopped(kn):
    plan = plan_for(kn, "oxazepam", 30, protocol="nhg_lumc", market="NL")
    [resource] = plan_medication_requests(plan, None, "en")
    MedicationRequest.model_validate(resource)
    assert "stop oxazepam 30 mg and take instead: 15 mg" in resource["dosageInstruction"][0]["text"]


def test_fhir_magistral_capsules_are_a_contained_compounded_medication(kn):
    plan = plan_for(kn, "lormetazepam", 2, protocol="riziv_inami", form="magistral")
    resource = plan_medication_request(plan, "Patient/7", "fr")
    parsed = MedicationRequest.model_validate(resource)
    assert parsed.medicationReference.reference == "#magistral" and "medicationCodeableConcept" not in resource
    [medication] = resource["contained"]
    assert medication["resourceType"] == "Medication" and medication["code"]["text"].startswith("R/ Gélules magistrales")
    assert medication["code"]["text"].count("R/ ") == 10 and "S/ 1 gélule par jour" in medication["code"]["text"]
    assert medication["ingredient"][0]["itemCodeableConcept"]["coding"][0]["code"] == "N05CD06"


def test_the_group_is_the_plan_and_the_patient_as_before_the_plan_key_was_kept(kn):
    """The group's uuid is what it was when the whole key was written on every call: an EHR that
    recognises a repeated suggestion by it still does."""
    plan = plan_for(kn, "lorazepam", 3, protocol="cks_ashton")
    parts = ("Patient/7", plan.drug, plan.start_dose_mg, plan.also_taking, plan.protocol, plan.pace, plan.form, plan.market,
             plan.steps[0].start, len(plan.steps))
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "urn:bzra-cds:taper:" + "|".join(str(part) for part in parts))
    assert group_identifier(plan, "Patient/7") == {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{expected}"}
    assert patient_group_identifier(plan_group_key(plan), "Patient/8") != group_identifier(plan, "Patient/7")
