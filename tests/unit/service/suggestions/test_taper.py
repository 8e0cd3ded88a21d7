"""The taper suggestion in cards, on real hook calls to the app's endpoint with the demo patients and
the README's example request: it starts from what the history says the patient takes now, acts on the
BZRA only, names any switch, and keeps the card short (no table; the plan is one link away)."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.medicationrequest import MedicationRequest

from service.app import create_app
from service.demo.catalog import PATIENTS_BY_ID
from service.knowledge.configured import load_configured_knowledge
from service.knowledge.models import Knowledge
from service.memo import MemoPerObject
from service.settings import Settings
from service.suggestions import taper as suggested_taper
from service.taper.inputs import PlanDefaults
from service.taper.plan import TaperPlan, TaperRequest, make_plan
from tests.support.demo_support import hook_request_for
from tests.support.facts_support import TODAY
from tests.support.paths import ROOT
from tests.support.suggestions_support import lorazepam_long_term_request, record_and_facts

SIGN = "/cds-services/bzra-order-sign"
TAPER_WORDS = re.compile(r"^(Taper |Switch to diazepam|Afbouwen: |Overschakelen op diazepam|Diminution progressive|Relais par le diazépam)")


def call(request: dict[str, Any], **settings: Any) -> dict[str, Any]:
    app = create_app(Settings(insecure_dev=True, demo=True, rules_reload=False, **settings), today=lambda: TODAY)
    with TestClient(app) as client:
        response = client.post(SIGN, json=request)
        assert response.status_code == 200, response.text
        return response.json()


def demo_call(patient_id: str, language: str = "en", **settings: Any) -> dict[str, Any]:
    app = create_app(Settings(insecure_dev=True, demo=True, rules_reload=False, **settings), today=lambda: TODAY)
    with TestClient(app) as client:
        bundle = client.get(f"/demo/patients/{patient_id}").json()
        response = client.post(SIGN, json=hook_request_for(PATIENTS_BY_ID[patient_id], bundle, TODAY, language))
        assert response.status_code == 200, response.text
        return response.json()


def taper_suggestions(body: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(card, suggestion) for every suggestion that creates a taper order (a stepped MedicationRequest)."""
    found = []
    for card in body["cards"]:
        for suggestion in card.get("suggestions", []):
            creates = [a for a in suggestion["actions"] if a["type"] == "create" and a["resource"]["resourceType"] == "MedicationRequest"]
            if any(len(a["resource"].get("dosageInstruction", [])) > 2 for a in creates):
                found.append((card, suggestion))
    return found


def drugs_ordered(suggestion: dict[str, Any]) -> list[str]:
    return [a["resource"]["medicationCodeableConcept"]["coding"][0]["code"] for a in suggestion["actions"]
            if a["type"] == "create" and "medicationCodeableConcept" in a["resource"]]


def test_nadia_haddad_gets_a_clonazepam_taper_next_to_the_tramadol_draft() -> None:
    body = demo_call("nadia-haddad")
    found = taper_suggestions(body)
    assert found, "her psychiatrist's long-term clonazepam is in the history"
    for card, suggestion in found:
        assert [a["type"] for a in suggestion["actions"]] == ["create"]  # nothing deleted: the tramadol draft stays
        [action] = suggestion["actions"]
        assert "next to the draft order, which stays as it is" in action["description"]
        resource = MedicationRequest.model_validate(action["resource"])
        assert resource.medicationCodeableConcept.coding[0].code == "N03AE01"  # clonazepam
        assert "clonazepam" in suggestion["label"] and "tramadol" not in suggestion["label"].lower()
        assert "| Step |" not in card["detail"] and "<table" not in card["detail"]


def test_maria_claes_is_never_silently_switched() -> None:
    body = demo_call("maria-claes")
    found = taper_suggestions(body)
    assert found
    for card, suggestion in found:
        assert "diazepam" not in suggestion["label"].lower()
        assert drugs_ordered(suggestion) == ["N05CF02"]  # zolpidem itself
        assert suggestion["label"].startswith("Taper zolpidem 5 mg a day to zero")
        assert "Belgium" in card["detail"]


def test_maria_claes_switch_is_named_when_the_protocol_asks() -> None:
    body = demo_call("maria-claes", taper_protocol="nhg_lumc")
    for _, suggestion in taper_suggestions(body):
        assert suggestion["label"].startswith("Switch to diazepam")
        assert drugs_ordered(suggestion)[-1] == "N05BA01"


def test_jan_de_groot_has_no_bzra_in_his_history_so_no_taper() -> None:
    body = demo_call("jan-de-groot")
    assert body["cards"], "the opioid card is still there"
    assert taper_suggestions(body) == []
    for card in body["cards"]:
        for suggestion in card.get("suggestions", []):
            assert not TAPER_WORDS.match(suggestion["label"]), suggestion["label"]


def test_the_readme_patient_s_plan_starts_from_zolpidem_10_mg_not_19_mg_diazepam() -> None:
    request = json.loads((ROOT / "examples" / "order-sign-request.json").read_text(encoding="utf-8"))
    body = call(request)
    found = taper_suggestions(body)
    assert found
    for card, suggestion in found:
        assert suggestion["label"].startswith("Taper zolpidem 10 mg a day to zero"), suggestion["label"]
        assert drugs_ordered(suggestion) == ["N05CF02"]
        # the lorazepam draft is another BZRA: it is not the one tapered, so it is left for the prescriber
        assert [a["type"] for a in suggestion["actions"]] == ["create"]
        resource = suggestion["actions"][0]["resource"]
        doses = [d["doseAndRate"][0]["doseQuantity"]["value"] for d in resource["dosageInstruction"] if "doseAndRate" in d]
        assert max(doses) <= 10 and "19" not in card["detail"]


def test_a_draft_of_the_same_bzra_is_replaced_and_the_actions_say_so() -> None:
    from tests.support import builders as b

    statement = b.medication_statement(
        "lz-use", medicationCodeableConcept={"coding": [{"system": b.RXNORM, "code": "197901", "display": "lorazepam 1 MG Oral Tablet"}]},
        effectivePeriod={"start": "2026-03-01"}, dosage=[{"text": "1 tablet three times a day"}],
    )
    draft = b.draft_order("lz-renew", rxnorm="197901", display="lorazepam 1 MG Oral Tablet")
    draft["dosageInstruction"] = [{"text": "1 tablet three times a day"}]
    prefetch = b.full_prefetch()
    prefetch["patient"] = b.patient(birth_date="1960-05-01")
    prefetch["medicationStatements"] = b.searchset(statement)
    prefetch["medicationRequests"] = b.searchset()
    prefetch["conditions"] = b.searchset()
    for language, words in (("en", "Removes this draft order of lorazepam"), ("nl", "Verwijdert dit conceptvoorschrift voor lorazepam"),
                            ("fr", "Supprime ce projet de prescription de lorazépam")):
        body = call({**b.hook_request(drafts=[draft], prefetch=prefetch), "extension": {"bzra-cds.language": language}})
        found = taper_suggestions(body)
        assert found
        for card, suggestion in found:
            delete, create = suggestion["actions"]
            assert delete["type"] == "delete" and delete["resourceId"] == "MedicationRequest/lz-renew"
            assert delete["description"].startswith(words)
            assert create["type"] == "create"
            MedicationRequest.model_validate(create["resource"])
            taper_part = card["detail"].split("\n\n")[-1]
            assert taper_part.startswith(("The plan starts from", "Het schema vertrekt", "Le schéma part")) and len(taper_part) <= 400
            links = {link["type"]: link for link in card["links"]}
            assert "taper/handout?" in links["absolute"]["url"] and links["smart"]["url"].endswith("/planner")


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_the_card_says_the_market_the_protocol_and_about_how_long_in_its_language(language: str) -> None:
    body = demo_call("nadia-haddad", language, market="NL", taper_protocol="cks_ashton")
    country = {"en": "the Netherlands", "nl": "Nederland", "fr": "Pays-Bas"}[language]
    protocol = {"en": "NICE CKS after Ashton", "nl": "NICE CKS naar Ashton", "fr": "NICE CKS d'après Ashton"}[language]
    for card, suggestion in taper_suggestions(body):
        taper_part = card["detail"].split("\n\n")[-1]
        assert country in taper_part and protocol in taper_part and re.search(r"\d+", taper_part)
        assert "|" not in taper_part and len(taper_part) < 500
        for action in suggestion["actions"]:
            for dosage in action["resource"]["dosageInstruction"]:
                if language != "en":
                    assert not dosage["text"].startswith("Step "), dosage["text"]


def test_an_absurd_dosage_in_the_history_gives_no_taper_and_the_call_still_answers() -> None:
    # issue 17: 1,000,000 tablets per 0.0001 s; the planner refuses it with a reason, the card has no taper
    from tests.support import builders as b

    absurd = [{"timing": {"repeat": {"frequency": 1, "period": 0.0001, "periodUnit": "s"}},
               "doseAndRate": [{"doseQuantity": {"value": 1000000, "unit": "tablet"}}]}]
    statement = b.medication_statement(
        "lz-use", medicationCodeableConcept={"coding": [{"system": b.RXNORM, "code": "197901", "display": "lorazepam 1 MG Oral Tablet"}]},
        effectivePeriod={"start": "2026-03-01"}, dosage=absurd,
    )
    draft = b.draft_order("lz-renew", rxnorm="197901", display="lorazepam 1 MG Oral Tablet")
    draft["dosageInstruction"] = absurd
    prefetch = b.full_prefetch()
    prefetch["medicationStatements"] = b.searchset(statement)
    body = call(b.hook_request(drafts=[draft], prefetch=prefetch))
    assert taper_suggestions(body) == []


@pytest.fixture
def plans_made(monkeypatch: pytest.MonkeyPatch) -> list[TaperRequest]:
    """The requests `make_plan` is really called with, from an empty plan cache."""
    made: list[TaperRequest] = []

    def counting_make_plan(request: TaperRequest, knowledge: Knowledge) -> TaperPlan:
        made.append(request)
        return make_plan(request, knowledge)

    monkeypatch.setattr(suggested_taper, "make_plan", counting_make_plan)
    monkeypatch.setattr(suggested_taper, "_PLANS", MemoPerObject(512))
    monkeypatch.setattr(suggested_taper, "_PREPARED", MemoPerObject(512))
    return made


def test_the_taper_plan_is_made_once_and_each_call_gets_its_own_resource(plans_made: list[TaperRequest]) -> None:
    made = plans_made
    record, facts, knowledge, config = record_and_facts(lorazepam_long_term_request())

    def create_action() -> dict:
        built = suggested_taper.taper_suggestion(facts, record, knowledge, config, "http://cds.test", "en")
        assert built is not None
        return built.suggestion.actions[-1].resource

    first = create_action()
    pristine = copy.deepcopy(first)
    first["dosageInstruction"][0]["text"] = "changed"
    first["note"].clear()
    second = create_action()
    assert second == pristine and second is not first
    assert len(made) == 1
    [cached] = suggested_taper._PLANS(knowledge).values()
    assert cached == make_plan(made[0], knowledge)


def test_a_request_without_a_taper_plan_is_remembered_too(plans_made: list[TaperRequest]) -> None:
    made = plans_made
    knowledge = load_configured_knowledge(Settings(insecure_dev=True))
    too_small = TaperRequest(drug="lorazepam", daily_dose_mg=0.01, start=TODAY)
    assert suggested_taper._plan(too_small, knowledge) is None
    assert suggested_taper._plan(too_small, knowledge) is None
    assert len(made) == 1


# ---- the part of the suggestion that is the same for every patient on the same plan -----------------

BASE_INPUTS: dict[str, Any] = {
    "in_use": (("lorazepam", 2.0),),
    "today": TODAY,
    "language": "en",
    "defaults": PlanDefaults(),
    "base": "http://cds.test",
}
CHANGED_INPUTS = [
    ("in_use", (("oxazepam", 30.0),)),
    ("in_use", (("lorazepam", 3.0),)),
    ("in_use", (("lorazepam", 2.0), ("zolpidem", 10.0))),
    ("today", TODAY + timedelta(days=1)),
    ("language", "nl"),
    ("defaults", PlanDefaults(pace="slow")),
    ("defaults", PlanDefaults(protocol="cks_ashton")),
    ("defaults", PlanDefaults(market="NL")),
    ("defaults", PlanDefaults(table="who2009")),
    ("base", "http://other.test"),
]


@pytest.mark.parametrize("name, value", CHANGED_INPUTS)
def test_any_change_in_what_the_plan_reads_gives_another_prepared_suggestion(name: str, value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suggested_taper, "_PREPARED", MemoPerObject(512))
    knowledge = load_configured_knowledge(Settings(insecure_dev=True))
    base = suggested_taper._prepare(**BASE_INPUTS, knowledge=knowledge)
    changed_inputs = {**BASE_INPUTS, name: value}
    changed = suggested_taper._prepare(**changed_inputs, knowledge=knowledge)
    assert base is not None and changed is not None
    assert changed != base
    assert changed == suggested_taper._prepared(**changed_inputs, knowledge=knowledge)  # what it would be without the memo
    assert suggested_taper._prepare(**BASE_INPUTS, knowledge=knowledge) is base  # remembered


def test_no_bzra_in_use_prepares_no_suggestion() -> None:
    knowledge = load_configured_knowledge(Settings(insecure_dev=True))
    assert suggested_taper._prepare(**{**BASE_INPUTS, "in_use": ()}, knowledge=knowledge) is None


def test_two_patients_on_the_same_plan_get_their_own_subject_group_and_planner_link() -> None:
    record, facts, knowledge, config = record_and_facts(lorazepam_long_term_request())
    first = suggested_taper.taper_suggestion(facts, record, knowledge, config, "http://cds.test", "en")
    other = replace(record, patient_id="someone-else")
    second = suggested_taper.taper_suggestion(facts, other, knowledge, config, "http://cds.test", "en")
    assert first is not None and second is not None
    mine, theirs = first.suggestion.actions[-1].resource, second.suggestion.actions[-1].resource
    assert mine["subject"] != theirs["subject"] and mine["groupIdentifier"] != theirs["groupIdentifier"]
    assert first.links[1].appContext != second.links[1].appContext and "someone-else" in second.links[1].appContext
    assert first.links[0] == second.links[0]  # the handout carries no patient
