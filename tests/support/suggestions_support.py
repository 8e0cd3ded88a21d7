"""Requests, calls and records for the suggestion tests: a zolpidem draft, a young patient, long-term lorazepam."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from cds_hooks import HookRequest
from service.app import create_app
from service.catalog import SERVICES_BY_HOOK
from service.facts.model import Facts
from service.fhir.cache import ResponseCache
from service.fhir.record import PatientRecord
from service.knowledge.configured import load_configured_knowledge
from service.knowledge.models import Knowledge
from service.pipeline import Pipeline
from service.settings import Settings
from tests.support import builders as b
from tests.support.builders import SIGN
from tests.support.facts_support import TODAY


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
