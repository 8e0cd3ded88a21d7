"""An EHR's FHIR server mocked with respx, and the pipeline's answer to a hook call that reads from it."""

from __future__ import annotations

import httpx
import respx

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_ID
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.settings import Settings
from tests.support import builders as b


BASE = "http://ehr.test/fhir"
SIGN = SERVICES_BY_ID["bzra-order-sign"]


def route_all(router: respx.Router, **overrides: httpx.Response) -> dict[str, respx.Route]:
    """Answer every search the service makes; `overrides` replace one by resource type."""
    answers = {
        "Patient": httpx.Response(200, json=b.patient()),
        "MedicationStatement": httpx.Response(200, json=b.searchset(b.medication_statement())),
        "MedicationRequest": httpx.Response(200, json=b.searchset(b.medication_request())),
        "MedicationDispense": httpx.Response(200, json=b.searchset()),
        "Condition": httpx.Response(200, json=b.searchset(b.condition())),
    }
    answers.update(overrides)
    routes = {}
    for kind, answer in answers.items():
        pattern = rf"{BASE}/Patient/{b.PATIENT_ID}$" if kind == "Patient" else rf"{BASE}/{kind}\?patient={b.PATIENT_ID}"
        routes[kind] = router.get(url__regex=pattern).mock(return_value=answer) if isinstance(answer, httpx.Response) else router.get(url__regex=pattern).mock(side_effect=answer)
    return routes


async def answer(request: dict, settings: Settings | None = None, cache: ResponseCache | None = None) -> dict:
    settings = settings or Settings(insecure_dev=True, fhir_total_timeout=1.0, fhir_read_timeout=0.5)
    async with make_http_client(settings.fhir_connect_timeout, settings.fhir_read_timeout) as http:
        pipeline = Pipeline(settings, http, cache if cache is not None else ResponseCache(1_000_000, 60), load_configured_knowledge(settings))
        response = await pipeline.answer(SIGN, HookRequest.model_validate(request))
    return response.wire()


def issues(body: dict) -> list[dict]:
    return body.get("extension", {}).get("bzra-cds.data-issues", [])
