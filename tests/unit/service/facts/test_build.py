"""Facts from whole hook requests: worked examples checked by hand against the sources."""

from __future__ import annotations

import json
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
from tests.support import builders as b
from tests.support import paths
from tests.support.facts_support import contained_alprazolam_order, facts_for, request_with, zolpidem_statement

FIXTURES = paths.FIXTURES / "fhir"


def test_alprazolam_half_mg_three_times_a_day_is_30_mg_diazepam_under_ashton() -> None:
    facts = facts_for(request_with([], drafts=[contained_alprazolam_order()]))
    assert facts.draft.drug == "alprazolam"
    assert facts.draft.mg_per_day == pytest.approx(1.5)
    assert facts.draft.de_mg_per_day == pytest.approx(30.0)  # 1.5 × 10 / 0.5 (Ashton: 0.5 mg ≈ 10 mg diazepam)
    assert "0.5" in facts.draft.dose_derivation and "ashton" in facts.draft.dose_derivation


def test_zolpidem_every_night_for_nine_weeks_is_63_days_of_continuous_use() -> None:
    facts = facts_for(request_with([zolpidem_statement("2026-09-21")]))
    assert facts.history.bzra_continuous_days == 63
    assert facts.history.continuous_days_by_drug == {"zolpidem": 63}
    assert [u.drug for u in facts.history.current_bzras] == ["zolpidem"]
    assert facts.history.current_bzras[0].de_mg_per_day == pytest.approx(5.0)  # 10 × 10 / 20


def test_the_equivalence_table_is_a_setting() -> None:
    lorazepam = b.draft_order("lz", rxnorm="197902", display="lorazepam 2 MG Oral Tablet")
    lorazepam["dosageInstruction"] = [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}, "doseAndRate": [{"doseQuantity": {"value": 2.5, "unit": "mg"}}]}]
    ashton = facts_for(request_with([], drafts=[lorazepam]))
    denmark = facts_for(request_with([], drafts=[lorazepam]), equivalence_table="denmark")
    assert ashton.draft.de_mg_per_day == pytest.approx(25.0)  # Ashton: lorazepam 1 mg ≈ diazepam 10 mg
    assert denmark.draft.de_mg_per_day == pytest.approx(12.5)  # Denmark: 2 mg ≈ 10 mg
    assert denmark.equivalence_table == "denmark"


def test_a_renewal_replaces_the_dose_in_use_instead_of_adding_to_it() -> None:
    history = [zolpidem_statement("2026-09-21")]
    renewal = b.draft_order("renew", rxnorm="854873", display="zolpidem tartrate 10 MG Oral Tablet")
    renewal["dosageInstruction"] = [{"timing": {"repeat": {"when": ["HS"]}}, "doseAndRate": [{"doseQuantity": {"value": 2, "unit": "tablet"}}]}]
    facts = facts_for(request_with(history, drafts=[renewal]))
    assert facts.current_bzras == ["zolpidem"] and facts.distinct_bzra_count == 1
    assert facts.total_bzra_de_mg_per_day == pytest.approx(10.0)  # 20 mg/day of the draft, not 10 + 20


def test_two_bzras_add_up_and_count_as_duplicates() -> None:
    facts = facts_for(request_with([zolpidem_statement("2026-09-21")], drafts=[contained_alprazolam_order()]))
    assert facts.current_bzras == ["alprazolam", "zolpidem"] and facts.distinct_bzra_count == 2
    assert facts.total_bzra_de_mg_per_day == pytest.approx(35.0)
    assert facts.total_de_known


def test_stopped_use_long_ago_is_not_continuous_but_counts_in_the_year() -> None:
    facts = facts_for(request_with([zolpidem_statement("2026-03-01", "2026-03-30", status="completed")]))
    assert facts.history.bzra_continuous_days == 0
    assert facts.history.bzra_days_last_12_months == 30
    assert facts.history.distinct_bzra_last_90_days == 0
    assert facts.history.current_bzras == []
    assert facts.current_bzras == ["lorazepam"]  # the draft order itself


def test_an_opioid_draft_and_a_gabapentinoid_in_use_are_co_medication() -> None:
    oxycodone = b.draft_order("oxy", rxnorm="1049621", display="oxycodone hydrochloride 5 MG Oral Tablet")
    gabapentin = json.loads((FIXTURES / "medicationrequest-gabapentin-atc.json").read_text())
    gabapentin["subject"] = {"reference": f"Patient/{b.PATIENT_ID}"}
    gabapentin["authoredOn"] = "2026-11-01"
    facts = facts_for(request_with([gabapentin], drafts=[oxycodone]))
    assert facts.comedication["opioid_analgesic"] and facts.comedication["gabapentinoid"]
    assert not facts.comedication["antipsychotic"]
    assert facts.draft_classes == ["opioid_analgesic"]
    assert facts.comedication_sources["opioid_analgesic"] == ["MedicationRequest/oxy (draft)"]


def test_conditions_are_grouped_and_resolved_ones_ignored() -> None:
    aud = json.loads((FIXTURES / "condition-alcohol-use-disorder-us-core.json").read_text())
    aud["subject"] = {"reference": f"Patient/{b.PATIENT_ID}"}
    resolved = b.condition("old-insomnia")
    resolved["clinicalStatus"]["coding"][0]["code"] = "resolved"
    facts = facts_for(request_with([], conditions=[aud, resolved]))
    assert facts.conditions["alcohol_use_disorder"] is True
    assert facts.conditions["insomnia"] is False


def test_order_reason_insomnia_and_days_covered_by_the_draft() -> None:
    draft = b.draft_order("z", rxnorm="854873", display="zolpidem tartrate 10 MG Oral Tablet")
    draft["reasonCode"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "193462001", "display": "Insomnia"}]}]
    draft["dosageInstruction"] = [{"timing": {"repeat": {"when": ["HS"]}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]
    draft["dispenseRequest"] = {"quantity": {"value": 30, "unit": "tablet"}, "numberOfRepeatsAllowed": 1}
    facts = facts_for(request_with([], drafts=[draft]))
    assert facts.draft.for_insomnia and not facts.draft.for_anxiety
    assert facts.draft.days_supply == pytest.approx(60.0)  # 30 tablets at 1 a night, twice
    assert "30 units" in facts.draft.supply_derivation


def test_unknown_dose_is_said_not_guessed() -> None:
    draft = b.draft_order("nodose", rxnorm="854873", display="zolpidem tartrate 10 MG Oral Tablet")
    draft["dosageInstruction"] = [{"text": "as discussed"}]
    facts = facts_for(request_with([], drafts=[draft]))
    assert facts.draft.mg_per_day is None and not facts.draft.dose_known
    assert facts.total_bzra_de_mg_per_day is None and not facts.total_de_known
    [note] = [note for note in facts.unknown if note.what == "dose"]
    assert note.text("en").startswith("dose of zolpidem tartrate 10 MG Oral Tablet") and note.detail
    assert note.text("nl").startswith("dosis van zolpidem tartrate 10 MG Oral Tablet (MedicationRequest/nodose): niet af te leiden")
    assert note.text("fr").startswith("dose de zolpidem tartrate 10 MG Oral Tablet (MedicationRequest/nodose) : impossible")


def test_age_from_birth_date() -> None:
    facts = facts_for(request_with([], patient=b.patient(birth_date="1954-11-24")))
    assert facts.patient.age == 71  # birthday tomorrow
    assert facts.patient.age_known


def test_the_real_shape_order_sign_fixture() -> None:
    request = json.loads((FIXTURES / "cds-order-sign-request.json").read_text())
    request.pop("fhirServer")
    request.pop("fhirAuthorization")
    request["prefetch"]["medicationDispenses"] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    facts = facts_for(request)
    assert facts.patient.age == 72
    assert facts.draft.drug == "zolpidem" and facts.draft.for_insomnia
    assert facts.current_bzras == ["alprazolam", "zolpidem"]
    assert facts.total_bzra_de_mg_per_day == pytest.approx(35.0)
    assert facts.comedication["gabapentinoid"] and facts.conditions["alcohol_use_disorder"]
    assert facts.not_checked == [] and facts.unknown == []


# ---- history summaries kept by content: the history's part reused, the draft's worked out per call ----

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


@pytest.mark.anyio
async def test_the_sign_after_a_select_with_another_draft_gets_its_own_draft_facts() -> None:
    cached = pipeline(1000)
    selected = await facts_of(cached, b.draft_order())  # lorazepam
    signed = await facts_of(cached, b.draft_order(medicationCodeableConcept=DIAZEPAM, dosageInstruction=[{"text": "2 tablets three times a day"}]))
    assert signed == await facts_of(pipeline(0), b.draft_order(medicationCodeableConcept=DIAZEPAM, dosageInstruction=[{"text": "2 tablets three times a day"}]))
    assert signed["history"] == selected["history"]  # the same history, reused
    assert signed["draft"]["drug"] == "diazepam" and signed["total_bzra_de_mg_per_day"] != selected["total_bzra_de_mg_per_day"]


@pytest.mark.anyio
async def test_the_history_summary_is_reused_for_the_same_content(monkeypatch: pytest.MonkeyPatch) -> None:
    cached = pipeline(1000)
    await facts_of(cached, b.draft_order())
    await facts_of(cached, b.draft_order())  # kept from the second sight
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


@pytest.mark.anyio
async def test_a_kept_history_summary_leaves_its_uses_out_of_the_garbage_collectors_passes() -> None:
    """Full collections trace every tracked object; kept summaries of many histories would lengthen them."""
    import gc

    p = pipeline(1000)
    request = HookRequest.model_validate(b.hook_request(drafts=[b.draft_order()], prefetch=prefetch()))
    record = await p.collect(SIGN, request)
    summary = HistorySummaries(1000).summary(record, p.knowledge, FactOptions(today=TODAY))
    assert summary.uses
    parts = [(u, u.exposure, u.exposure.interval, u.dosed, u.steps) for u in summary.uses]
    assert not any(gc.is_tracked(part) for group in parts for part in group if part is not None)
