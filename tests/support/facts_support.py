"""Build facts for a hook request the way the service does (prefetch only), for facts and rule tests."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_HOOK
from service.facts.model import Facts
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.settings import Settings
from tests.support import builders as b

TODAY = date(2026, 11, 23)


def facts_for(request: dict[str, Any], today: date = TODAY, **settings: Any) -> Facts:
    config = Settings(insecure_dev=True, **settings)

    async def run() -> Facts:
        async with make_http_client(1, 1) as http:
            pipeline = Pipeline(config, http, ResponseCache(0, 0), load_configured_knowledge(config), today=lambda: today)
            service = SERVICES_BY_HOOK[request["hook"]]
            hook_request = HookRequest.model_validate(request)
            record = await pipeline.collect(service, hook_request)
            return pipeline.facts(record, hook_request.hook)

    return asyncio.run(run())


# Requests for the facts tests, built from a history, drafts, conditions and a patient.


def contained_alprazolam_order(rid: str = "draft-alp") -> dict:
    order = b.draft_order(rid, medication_reference="#alp")
    order["contained"] = [{**b.medication("alp")}]
    order["dosageInstruction"] = [{"timing": {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "TID"}]}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]
    return order


def request_with(history: list[dict], drafts: list[dict] | None = None, conditions: list[dict] | None = None, patient: dict | None = None) -> dict:
    statements = [r for r in history if r["resourceType"] == "MedicationStatement"]
    requests = [r for r in history if r["resourceType"] in ("MedicationRequest", "Medication")]
    dispenses = [r for r in history if r["resourceType"] == "MedicationDispense"]
    prefetch = {
        "patient": patient or b.patient(),
        "medicationStatements": b.searchset(*statements),
        "medicationRequests": b.searchset(*requests),
        "medicationDispenses": b.searchset(*dispenses),
        "conditions": b.searchset(*(conditions or [])),
    }
    return b.hook_request(drafts=drafts, prefetch=prefetch)


def zolpidem_statement(start: str, end: str | None = None, status: str = "active", rid: str = "zol") -> dict:
    period = {"start": start, **({"end": end} if end else {})}
    return b.medication_statement(
        rid,
        status=status,
        effectivePeriod=period,
        dosage=[{"timing": {"repeat": {"when": ["HS"]}}, "doseAndRate": [{"doseQuantity": {"value": 10, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}]}],
    )
