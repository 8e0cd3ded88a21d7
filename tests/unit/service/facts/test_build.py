"""History summaries kept by content: the history's part reused, what depends on the draft worked out per call."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_ID
from service.facts.build import FactOptions, HistorySummaries
from service.fhir.cache import ResponseCache
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.settings import Settings
from tests import builders as b

pytestmark = pytest.mark.anyio
SIGN = SERVICES_BY_ID["bzra-order-sign"]
TODAY = date(2026, 11, 23)
DIAZEPAM = {"coding": [{"system": b.RXNORM, "code": "197591", "display": "diazepam 5 MG Oral Tablet"}], "text": "diazepam 5 MG Oral Tablet"}


def pipeline(cache_resources: int) -> Pipeline:
    settings = Settings(insecure_dev=True, history_cache_resources=cache_resources)
    return Pipeline(settings, None, ResponseCache(0, 0), load_configured_knowledge(settings), today=lambda: TODAY)


def prefetch() -> dict[str, Any]:
    history = b.full_prefetch()
    history["medicationRequests"] = b.searchset(b.medication_request(authored_on="2026-11-01"), b.medication_request("mr-0", authored_on="2026-10-01"))
    return history


async def facts_of(p: Pipeline, draft: dict[str, Any]) -> dict[str, Any]:
    request = HookRequest.model_validate(b.hook_request(drafts=[draft], prefetch=prefetch()))
    record = await p.collect(SIGN, request)
    return p.facts(record, request.hook).model_dump(mode="json")


async def test_the_sign_after_a_select_with_another_draft_gets_its_own_draft_facts() -> None:
    cached = pipeline(1000)
    selected = await facts_of(cached, b.draft_order())  # lorazepam
    signed = await facts_of(cached, b.draft_order(medicationCodeableConcept=DIAZEPAM, dosageInstruction=[{"text": "2 tablets three times a day"}]))
    assert signed == await facts_of(pipeline(0), b.draft_order(medicationCodeableConcept=DIAZEPAM, dosageInstruction=[{"text": "2 tablets three times a day"}]))
    assert signed["history"] == selected["history"]  # the same history, reused
    assert signed["draft"]["drug"] == "diazepam" and signed["total_bzra_de_mg_per_day"] != selected["total_bzra_de_mg_per_day"]


async def test_the_history_summary_is_reused_for_the_same_content(monkeypatch: pytest.MonkeyPatch) -> None:
    cached = pipeline(1000)
    await facts_of(cached, b.draft_order())
    monkeypatch.setattr("service.facts.build.summarise_record", lambda *args: pytest.fail("worked out again"))
    await facts_of(cached, b.draft_order("draft-2"))


def test_the_key_holds_the_order_date_and_the_options() -> None:
    from service.fhir.record import PatientRecord

    record = PatientRecord(patient_id="p")
    record.add_content("abc")
    knowledge = load_configured_knowledge(Settings(insecure_dev=True))
    keys = {
        HistorySummaries.key(record, knowledge, options)
        for options in (FactOptions(today=TODAY), FactOptions(today=date(2026, 11, 24)), FactOptions(today=TODAY, gap_days=7), FactOptions(today=TODAY, equivalence_table="other"))
    }
    assert len(keys) == 4
    record.add_content(None)  # a payload that could not be keyed: nothing is kept
    assert HistorySummaries.key(record, knowledge, FactOptions(today=TODAY)) is None
