"""The referral suggestion: a valid R4 ServiceRequest from the deployment's settings, for any patient, reason, language and day."""

from __future__ import annotations

from datetime import date

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from service.settings import Settings
from service.suggestions.referral import referral_suggestion
from tests.support import builders as b
from tests.support.facts_support import TODAY
from tests.support.suggestions_support import call, young_patient_prefetch


def test_referral_creates_a_valid_service_request_with_deployment_settings() -> None:
    alprazolam = b.draft_order("alp", rxnorm="308048", display="alprazolam 0.5 MG Oral Tablet")
    alprazolam["dosageInstruction"] = [{"text": "1 tablet three times a day", "timing": {"code": {"coding": [{"code": "TID"}]}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]
    alprazolam["dispenseRequest"] = {"quantity": {"value": 21, "unit": "tablet"}, "numberOfRepeatsAllowed": 0}
    in_use = b.medication_statement(
        "alp-in-use",
        medicationCodeableConcept=alprazolam["medicationCodeableConcept"],
        effectivePeriod={"start": "2026-03-01"},
        dosage=alprazolam["dosageInstruction"],
    )  # already on a high dose: referral (a new high-dose start is questioned instead)
    body = call(
        b.hook_request(drafts=[alprazolam], prefetch=young_patient_prefetch(in_use)),
        referral_performer="Organization/addiction-clinic-1",
        help_links=[{"label": "Regional helpline", "url": "https://helpline.example.org"}],
    )
    [card] = [c for c in body["cards"] if any(r["id"] == "high-dose" for r in c["extension"]["bzra-cds.rules"])]
    [referral] = [a for s in card["suggestions"] for a in s["actions"] if a.get("resource", {}).get("resourceType") == "ServiceRequest"]
    assert referral["type"] == "create"
    service_request = referral["resource"]
    ServiceRequest.model_validate(service_request)
    assert service_request["subject"] == {"reference": f"Patient/{b.PATIENT_ID}"}
    assert service_request["performer"] == [{"reference": "Organization/addiction-clinic-1"}]
    assert service_request["code"]["coding"][0]["code"] == "3457005"
    assert {"label": "Regional helpline", "url": "https://helpline.example.org", "type": "absolute"} in card["links"]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"referral_performer": "Organization/addiction-clinic-1"},
        {"referral_performer": "Dr. Anna Smith, addiction medicine"},
        {"referral_code": {"system": "http://example.org/codes", "code": "REF-1"}, "referral_text": "Verwijzing"},
    ],
)
def test_referrals_are_valid_r4_for_any_patient_reason_language_and_day(settings: dict) -> None:
    config = Settings(insecure_dev=True, **settings)
    for patient_id in ("1", "example-bzra-1", "a b", "ü-é ø", "x" * 300):
        for language in ("en", "nl", "fr"):
            for reason in ("High dose", "Taking a benzodiazepine with an opioid | <b>", "é"):
                for today in (TODAY, date(2000, 1, 1)):
                    built = referral_suggestion(patient_id, reason, today, config, language)
                    ServiceRequest.model_validate(built.suggestion.actions[0].resource)


def test_a_referral_setting_that_is_not_valid_r4_fails_every_call() -> None:
    config = Settings(insecure_dev=True, referral_code={"system": "http://snomed.info/sct", "code": "two  spaces"})
    for _ in range(2):  # the first failure is not remembered as validated
        with pytest.raises(ValidationError):
            referral_suggestion("1", "High dose", TODAY, config, "en")
