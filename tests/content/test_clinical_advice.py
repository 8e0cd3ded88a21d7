"""Issue 15 at the real hook endpoint: the demo patients (their bundles as prefetch, as the demo page
sends them) and EHR-shaped requests get advice a GP and a clinical pharmacist would accept.

A taper plan only for someone likely to be physically dependent; a new course gets what fits it (not
starting, a small pack within the guideline); the dose in use comes from the history; exemptions and a
taper under way are recognised; no suggestion twice in one answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.demo import catalog
from service.settings import Settings
from tests.support import builders as b
from tests.support.builders import SIGN
from tests.support.demo_support import hook_request_for
from tests.support.facts_support import TODAY, facts_for

LANGUAGES = ["en", "nl", "fr"]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(insecure_dev=True, demo=True, rules_reload=False)
    with TestClient(create_app(settings, today=lambda: TODAY)) as test_client:
        yield test_client


def demo_answer(client: TestClient, patient_id: str, language: str = "en") -> dict[str, Any]:
    patient = catalog.PATIENTS_BY_ID[patient_id]
    bundle = client.get(f"/demo/patients/{patient_id}").json()
    response = client.post(SIGN, json=hook_request_for(patient, bundle, TODAY, language))
    assert response.status_code == 200, response.text
    return response.json()


def suggestions(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for card in body["cards"] for s in card.get("suggestions") or []]


def taper_suggestions(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Suggestions that create a MedicationRequest: a taper plan, whatever its label says."""
    return [
        s
        for s in suggestions(body)
        if any(a["type"] == "create" and a.get("resource", {}).get("resourceType") == "MedicationRequest" for a in s["actions"])
    ]


def taper_links(body: dict[str, Any]) -> list[str]:
    return [link["url"] for card in body["cards"] for link in card.get("links") or [] if "/taper/handout" in link["url"] or link.get("type") == "smart"]


# ---- the demo patients named in issue 15 -----------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_jan_de_groot_gets_the_opioid_card_advising_not_to_start_and_no_taper(client: TestClient, language: str) -> None:
    body = demo_answer(client, "jan-de-groot", language)
    [card] = body["cards"]
    assert card["indicator"] == "critical"
    assert b.rule_ids(body) == {"opioid-and-bzra"}
    assert taper_suggestions(body) == [] and taper_links(body) == []
    [suggestion] = card["suggestions"]
    assert suggestion["actions"] == [
        {"type": "delete", "description": suggestion["actions"][0]["description"], "resourceId": "MedicationRequest/draft-1"}
    ]
    summary = {"en": "reconsider starting diazepam", "nl": "herbekijk het starten van diazepam", "fr": "reconsidérez un traitement par diazépam"}
    assert summary[language] in card["summary"]


def test_jan_de_groots_card_says_why_in_words_a_gp_uses(client: TestClient) -> None:
    [card] = demo_answer(client, "jan-de-groot")["cards"]
    assert "Avoid the combination where possible" in card["detail"]
    assert "Do not start diazepam now" in card["suggestions"][0]["label"]
    [dutch] = demo_answer(client, "jan-de-groot", "nl")["cards"]
    assert "opioïdgebruiksstoornis" in dutch["detail"] and "verslaving" not in dutch["detail"]
    [french] = demo_answer(client, "jan-de-groot", "fr")["cards"]
    assert "trouble lié à l'usage d'opioïdes" in french["detail"] and "Z-drug" not in french["detail"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_els_jacobs_seven_lorazepam_tablets_get_no_taper(client: TestClient, language: str) -> None:
    body = demo_answer(client, "els-jacobs", language)
    assert b.rule_ids(body) == {"sedative-co-prescription"}
    assert taper_suggestions(body) == [] and taper_links(body) == []
    assert all(a["type"] == "delete" for s in suggestions(body) for a in s["actions"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_ahmed_el_amranis_ten_days_of_oxazepam_get_no_taper(client: TestClient, language: str) -> None:
    body = demo_answer(client, "ahmed-el-amrani", language)
    assert b.rule_ids(body) == {"duplicate-bzra", "projected-use"}
    assert taper_suggestions(body) == [] and taper_links(body) == []
    [pack] = [s for s in suggestions(body) if s["actions"][0]["type"] == "update"]
    assert pack["actions"][0]["resource"]["dispenseRequest"]["quantity"]["value"] == 4  # 10 days + 4 = 2 weeks


def test_ahmed_el_amranis_card_counts_the_order_as_a_change(client: TestClient) -> None:
    [card] = demo_answer(client, "ahmed-el-amrani")["cards"]
    assert "This order would raise the daily dose from 10 to 15 mg diazepam-equivalent" in card["detail"]
    assert "use would reach about 17 days" in card["detail"]


def test_hilde_maes_is_encouraged_in_the_taper_she_has_started(client: TestClient) -> None:
    body = demo_answer(client, "hilde-maes")
    [card] = body["cards"]
    assert card["indicator"] == "info" and b.rule_ids(body) == {"ongoing-taper"}
    assert card["summary"] == "Taper under way: diazepam 5 mg a day now, next step 4 mg"
    assert "10 → 8 → 6 → 5 → 4 → 3 → 2 → 1 mg a day (a written plan)" in card["detail"]
    assert taper_suggestions(body) == []
    [dutch] = demo_answer(client, "hilde-maes", "nl")["cards"]
    assert dutch["summary"] == "Afbouw loopt: nu diazepam 5 mg per dag, volgende stap 4 mg"


@pytest.mark.parametrize("patient_id", ["marc-peeters", "ingrid-vos", "maria-claes"])
def test_patients_used_to_their_bzra_for_months_are_offered_one_taper(client: TestClient, patient_id: str) -> None:
    assert len(taper_suggestions(demo_answer(client, patient_id))) == 1


@pytest.mark.parametrize("patient", catalog.PATIENTS, ids=lambda p: p.id)
def test_no_demo_answer_offers_a_suggestion_twice(client: TestClient, patient: catalog.DemoPatient) -> None:
    for language in LANGUAGES:
        labels = Counter(s["label"] for s in suggestions(demo_answer(client, patient.id, language)))
        assert all(count == 1 for count in labels.values()), labels


# ---- EHR-shaped requests ---------------------------------------------------------------------------------

CODEINE = {"coding": [{"system": "http://www.whocc.no/atc", "code": "R05DA04", "display": "codeine"}], "text": "Codeine 30 mg tablet"}
CLONAZEPAM_2 = {"coding": [{"system": b.RXNORM, "code": "197529", "display": "clonazepam 2 MG Oral Tablet"}]}
TWICE_A_DAY = [{"text": "1 tablet twice a day", "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]


def post(client: TestClient, drafts: list[dict[str, Any]], statements: list[dict[str, Any]], conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    prefetch = {
        "patient": b.patient(birth_date="1972-03-04"),
        "medicationStatements": b.searchset(*statements),
        "medicationRequests": b.searchset(),
        "medicationDispenses": b.searchset(),
        "conditions": b.searchset(*(conditions or [])),
    }
    response = client.post(SIGN, json=b.hook_request(drafts=drafts, prefetch=prefetch))
    assert response.status_code == 200, response.text
    return response.json()


def test_two_cards_that_both_carry_a_taper_offer_it_once_on_the_most_severe(client: TestClient) -> None:
    lorazepam = b.medication_statement(
        "lorazepam-since-june",
        medicationCodeableConcept={"coding": [{"system": b.RXNORM, "code": "197901", "display": "lorazepam 1 MG Oral Tablet"}]},
        effectivePeriod={"start": "2026-06-01"},
        dosage=TWICE_A_DAY,
    )
    codeine = b.medication_statement("codeine", medicationCodeableConcept=CODEINE, effectivePeriod={"start": "2026-11-01"})
    body = post(client, [b.draft_order()], [lorazepam, codeine])
    critical, warning = body["cards"]
    assert critical["indicator"] == "critical" and warning["indicator"] == "warning"
    assert {"opioid-and-bzra", "long-term-use", "high-dose"} <= b.rule_ids(body)  # two cards listing taper_plan
    [taper] = taper_suggestions(body)
    assert taper in critical["suggestions"]
    assert [s["label"] for s in warning.get("suggestions") or []].count(taper["label"]) == 0
    labels = Counter(s["label"] for s in suggestions(body))
    assert max(labels.values()) == 1


@pytest.mark.parametrize("how", ["condition", "reasonCode", "reasonReference"])
def test_long_term_clonazepam_for_a_seizure_disorder_gets_no_deprescribing_card(client: TestClient, how: str) -> None:
    epilepsy = {
        "resourceType": "Condition",
        "id": "epilepsy-1",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G40.909", "display": "Epilepsy, unspecified"}]},
        "subject": {"reference": f"Patient/{b.PATIENT_ID}"},
    }
    in_use = b.medication_statement("clonazepam-since-2023", medicationCodeableConcept=CLONAZEPAM_2, effectivePeriod={"start": "2023-02-01"}, dosage=TWICE_A_DAY)
    draft = b.draft_order(rxnorm="197529", display="clonazepam 2 MG Oral Tablet")
    draft["dispenseRequest"] = {"quantity": {"value": 120, "unit": "tablet"}, "numberOfRepeatsAllowed": 0}
    conditions: list[dict[str, Any]] = [epilepsy] if how != "reasonCode" else []
    if how == "reasonCode":
        draft["reasonCode"] = [epilepsy["code"]]
    if how == "reasonReference":
        draft["reasonReference"] = [{"reference": "Condition/epilepsy-1"}]
    body = post(client, [draft], [in_use], conditions)
    assert b.rule_ids(body) & {"high-dose", "high-dose-from-order", "long-term-use", "order-too-long", "projected-use"} == set()
    assert taper_suggestions(body) == []
    request = b.hook_request(drafts=[draft], prefetch={"patient": b.patient(birth_date="1972-03-04"), "medicationStatements": b.searchset(in_use), "medicationRequests": b.searchset(), "medicationDispenses": b.searchset(), "conditions": b.searchset(*conditions)})
    facts = facts_for(request)
    assert facts.exemptions == ["seizure_disorder"]
    assert ("reason of MedicationRequest/draft-1" in facts.exemption_derivation) == (how != "condition")


def test_the_same_clonazepam_for_anxiety_is_a_high_dose_with_a_taper(client: TestClient) -> None:
    in_use = b.medication_statement("clonazepam-since-2023", medicationCodeableConcept=CLONAZEPAM_2, effectivePeriod={"start": "2023-02-01"}, dosage=TWICE_A_DAY)
    draft = b.draft_order(rxnorm="197529", display="clonazepam 2 MG Oral Tablet")
    draft["dispenseRequest"] = {"quantity": {"value": 120, "unit": "tablet"}, "numberOfRepeatsAllowed": 0}
    body = post(client, [draft], [in_use])
    assert {"high-dose", "long-term-use", "order-too-long"} <= b.rule_ids(body)
    assert len(taper_suggestions(body)) == 1


def test_the_readme_patient_starts_from_what_she_takes_and_the_draft_is_a_change(client: TestClient) -> None:
    body = client.post(SIGN, json=b.hook_request(prefetch=b.full_prefetch())).json()
    [card] = body["cards"]
    assert card["summary"].startswith("This order would raise the daily dose from 5 to 25 mg diazepam-equivalent")
    assert "high-dose" not in b.rule_ids(body) and "high-dose-from-order" in b.rule_ids(body)
