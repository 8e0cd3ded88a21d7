"""Suggestions round-trip: applying an action to the draft order gives a valid R4 resource."""

from __future__ import annotations

import asyncio
import copy
from datetime import date

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from cds_hooks import HookRequest
from service.app import create_app
from service.catalog import SERVICES_BY_HOOK
from service.facts.model import Facts
from service.fhir.cache import ResponseCache
from service.fhir.record import PatientRecord
from service.knowledge.configured import load_configured_knowledge
from service.knowledge.models import Knowledge
from service.memo import MemoPerObject
from service.pipeline import Pipeline
from service.settings import Settings
from service.suggestions import taper as taper_suggestions
from service.suggestions.referral import referral_suggestion
from service.suggestions.small_pack import small_pack_suggestion
from service.taper.plan import TaperPlan, TaperRequest, make_plan
from tests.support import builders as b
from tests.support.facts_support import TODAY

SIGN = "/cds-services/bzra-order-sign"


def zolpidem_draft(quantity: int = 30, repeats: int = 2) -> dict:
    draft = b.draft_order("zol-draft", rxnorm="854873", display="zolpidem tartrate 10 MG Oral Tablet")
    draft["dosageInstruction"] = [{"text": "1 tablet at bedtime", "timing": {"repeat": {"when": ["HS"]}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]
    draft["dispenseRequest"] = {"quantity": {"value": quantity, "unit": "tablet"}, "numberOfRepeatsAllowed": repeats, "expectedSupplyDuration": {"value": 30, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}}
    draft["reasonCode"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "193462001"}]}]
    draft["note"] = [{"text": "for sleep"}]
    return draft


def young_patient_prefetch(*history: dict) -> dict:
    prefetch = b.full_prefetch()
    prefetch["patient"] = b.patient(birth_date="1990-05-01")
    prefetch["medicationStatements"] = b.searchset(*history)
    prefetch["medicationRequests"] = b.searchset()
    prefetch["conditions"] = b.searchset()
    return prefetch


def call(request: dict, **settings) -> dict:
    app = create_app(Settings(insecure_dev=True, rules_reload=False, **settings), today=lambda: TODAY)
    with TestClient(app) as client:
        response = client.post(SIGN, json=request)
        assert response.status_code == 200, response.text
        return response.json()


def suggestions_of(body: dict) -> list[dict]:
    return [s for card in body["cards"] for s in card.get("suggestions", [])]


def apply_update(draft: dict, action: dict) -> dict:
    assert action["type"] == "update" and action["resource"]["id"] == draft["id"]
    return action["resource"]


def test_small_pack_updates_only_the_quantity_repeats_and_supply() -> None:
    draft = zolpidem_draft()
    body = call(b.hook_request(drafts=[draft], prefetch=young_patient_prefetch()))
    [small] = [s for s in suggestions_of(body) if s["actions"][0]["type"] == "update"]
    assert small["label"] == "Prescribe 14 tablets (14 days), without repeats"
    updated = apply_update(draft, small["actions"][0])
    MedicationRequest.model_validate(updated)  # valid R4
    assert updated["dispenseRequest"]["quantity"] == {"value": 14, "unit": "tablet"}
    assert updated["dispenseRequest"]["numberOfRepeatsAllowed"] == 0
    assert updated["dispenseRequest"]["expectedSupplyDuration"] == {"value": 14, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}
    unchanged = copy.deepcopy(draft)
    for key in ("dispenseRequest",):
        unchanged.pop(key)
        updated = {k: v for k, v in updated.items() if k != key}
    assert updated == unchanged
    assert small["uuid"]


def test_no_small_pack_when_the_order_is_already_small() -> None:
    body = call(b.hook_request(drafts=[zolpidem_draft(quantity=7, repeats=0)], prefetch=young_patient_prefetch()))
    assert not [s for s in suggestions_of(body) if s["actions"][0]["type"] == "update"]


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


def lorazepam_long_term_request() -> dict:
    statement = b.medication_statement(
        "lz-use",
        medicationCodeableConcept={"coding": [{"system": b.RXNORM, "code": "197901", "display": "lorazepam 1 MG Oral Tablet"}]},
        effectivePeriod={"start": "2026-06-01"},
        dosage=[{"text": "1 tablet three times a day"}],
    )
    draft = b.draft_order("lz-renew", rxnorm="197901", display="lorazepam 1 MG Oral Tablet")
    draft["dosageInstruction"] = [{"text": "1 tablet three times a day"}]
    return b.hook_request(drafts=[draft], prefetch=young_patient_prefetch(statement))


# ---- what each suggestion may share with the request and between calls --------------------------


def record_and_facts(request: dict, **settings) -> tuple[PatientRecord, Facts, Knowledge, Settings]:
    """The record and facts of a hook call, built the way the service builds them (prefetch only)."""
    config = Settings(insecure_dev=True, rules_reload=False, **settings)
    knowledge = load_configured_knowledge(config)

    async def run() -> tuple[PatientRecord, Facts]:
        pipeline = Pipeline(config, None, ResponseCache(0, 0), knowledge, today=lambda: TODAY)
        hook_request = HookRequest.model_validate(request)
        record = await pipeline.collect(SERVICES_BY_HOOK[request["hook"]], hook_request)
        return record, pipeline.facts(record, hook_request.hook)

    record, facts = asyncio.run(run())
    return record, facts, knowledge, config


def test_the_record_keeps_each_draft_as_received_under_the_facts_reference() -> None:
    draft, other = zolpidem_draft(), b.draft_order("other", rxnorm="197901", display="lorazepam 1 MG Oral Tablet")
    record, facts, _, _ = record_and_facts(b.hook_request(drafts=[draft, other], prefetch=young_patient_prefetch()))
    assert record.draft_json == {"MedicationRequest/zol-draft": draft, "MedicationRequest/other": other}
    assert set(record.draft_json) == {d.reference for d in facts.drafts}


def test_the_small_pack_is_a_copy_and_leaves_the_request_json_alone() -> None:
    record, facts, knowledge, _ = record_and_facts(b.hook_request(drafts=[zolpidem_draft()], prefetch=young_patient_prefetch()))
    assert facts.draft is not None
    order_json = record.draft_json[facts.draft.reference]
    before = copy.deepcopy(order_json)
    built = small_pack_suggestion(order_json, facts.draft, 14, knowledge, None, "en")
    assert built is not None
    resource = built.suggestion.actions[0].resource
    assert resource is not order_json and order_json == before  # the draft's own dispenseRequest is untouched
    for key, value in order_json.items():
        if isinstance(value, (dict, list)):
            assert resource[key] is not value, key
    resource["dosageInstruction"][0]["text"] = "changed"
    resource["note"].append({"text": "added"})
    assert order_json == before


def test_the_small_pack_still_offers_only_a_valid_dispense_request() -> None:
    record, facts, knowledge, _ = record_and_facts(b.hook_request(drafts=[zolpidem_draft()], prefetch=young_patient_prefetch()))
    assert facts.draft is not None
    order_json = copy.deepcopy(record.draft_json[facts.draft.reference])
    order_json["dispenseRequest"]["validityPeriod"] = {"start": "next week"}  # kept from the draft, not a date
    with pytest.raises(ValidationError):
        small_pack_suggestion(order_json, facts.draft, 14, knowledge, None, "en")


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


@pytest.fixture
def plans_made(monkeypatch: pytest.MonkeyPatch) -> list[TaperRequest]:
    """The requests `make_plan` is really called with, from an empty plan cache."""
    made: list[TaperRequest] = []

    def counting_make_plan(request: TaperRequest, knowledge: Knowledge) -> TaperPlan:
        made.append(request)
        return make_plan(request, knowledge)

    monkeypatch.setattr(taper_suggestions, "make_plan", counting_make_plan)
    monkeypatch.setattr(taper_suggestions, "_PLANS", MemoPerObject(512))
    return made


def test_the_taper_plan_is_made_once_and_each_call_gets_its_own_resource(plans_made: list[TaperRequest]) -> None:
    made = plans_made
    record, facts, knowledge, config = record_and_facts(lorazepam_long_term_request())

    def create_action() -> dict:
        built = taper_suggestions.taper_suggestion(facts, record, knowledge, config, "http://cds.test", "en")
        assert built is not None
        return built.suggestion.actions[-1].resource

    first = create_action()
    pristine = copy.deepcopy(first)
    first["dosageInstruction"][0]["text"] = "changed"
    first["note"].clear()
    second = create_action()
    assert second == pristine and second is not first
    assert len(made) == 1
    [cached] = taper_suggestions._PLANS(knowledge).values()
    assert cached == make_plan(made[0], knowledge)


def test_a_request_without_a_taper_plan_is_remembered_too(plans_made: list[TaperRequest]) -> None:
    made = plans_made
    knowledge = load_configured_knowledge(Settings(insecure_dev=True))
    too_small = TaperRequest(drug="lorazepam", daily_dose_mg=0.01, start=TODAY)
    assert taper_suggestions._plan(too_small, knowledge) is None
    assert taper_suggestions._plan(too_small, knowledge) is None
    assert len(made) == 1
