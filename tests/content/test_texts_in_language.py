"""What the service writes in the request's language besides the rule texts: the referral it creates,
the notes of the data card, the card when the advice fails, unknown values in card texts, and the
demo page's dates."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.data_card import data_issues_card, internal_error_card
from service.facts.unknown import Unknown
from service.language import MONTHS, format_date, format_number
from service.rules.texts import render
from service.settings import Settings
from tests.support import builders as b
from tests.support.facts_support import TODAY
from tests.support.paths import ROOT

SIGN = "/cds-services/bzra-order-sign"
I18N_JS = ROOT / "service" / "planner" / "static" / "i18n.js"


def _alprazolam_at_a_high_dose() -> dict:
    """Alprazolam 1.5 mg a day for months (30 mg diazepam-equivalent), renewed: the high-dose card refers."""
    draft = b.draft_order("alp", rxnorm="308048", display="alprazolam 0.5 MG Oral Tablet")
    draft["dosageInstruction"] = [{"text": "1 tablet three times a day", "timing": {"code": {"coding": [{"code": "TID"}]}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]
    draft["dispenseRequest"] = {"quantity": {"value": 21, "unit": "tablet"}, "numberOfRepeatsAllowed": 0}
    in_use = b.medication_statement(
        "alp-in-use", medicationCodeableConcept=draft["medicationCodeableConcept"], effectivePeriod={"start": "2026-03-01"}, dosage=draft["dosageInstruction"]
    )
    prefetch = b.full_prefetch()
    prefetch["patient"] = b.patient(birth_date="1990-05-01")
    prefetch["medicationStatements"] = b.searchset(in_use)
    prefetch["medicationRequests"] = b.searchset()
    prefetch["conditions"] = b.searchset()
    return b.hook_request(drafts=[draft], prefetch=prefetch)


def _referral(language: str, **settings: object) -> dict:
    app = create_app(Settings(insecure_dev=True, rules_reload=False, **settings), today=lambda: TODAY)
    with TestClient(app) as client:
        response = client.post(f"{SIGN}?language={language}", json=_alprazolam_at_a_high_dose())
    assert response.status_code == 200, response.text
    actions = [a for card in response.json()["cards"] for s in card.get("suggestions", []) for a in s["actions"]]
    [referral] = [a["resource"] for a in actions if a.get("resource", {}).get("resourceType") == "ServiceRequest"]
    return referral


@pytest.mark.parametrize(
    ("language", "code_text", "reason"),
    [
        ("en", "Referral to specialised care for support with stopping a benzodiazepine or Z-drug", "Long-term or high-dose use of a benzodiazepine or Z-drug: High dose: 30 mg/day diazepam-equivalent in use"),
        ("nl", "Verwijzing naar gespecialiseerde zorg voor ondersteuning bij het stoppen met een benzodiazepine of Z-drug", "Langdurig gebruik of hoge dosis van een benzodiazepine of Z-drug: Hoge dosis: 30 mg/dag diazepamequivalent in gebruik"),
        ("fr", "Orientation vers des soins spécialisés pour un accompagnement à l'arrêt d'une benzodiazépine ou d'un apparenté", "Usage prolongé ou à dose élevée d'une benzodiazépine ou d'un apparenté : Dose élevée : 30 mg/jour d'équivalent diazépam en cours"),
    ],
)
def test_the_referral_is_written_in_the_request_language(language: str, code_text: str, reason: str) -> None:
    referral = _referral(language)
    assert referral["code"]["text"] == code_text
    assert referral["reasonCode"][0]["text"].startswith(reason)


def test_a_deployment_text_for_the_referral_overrides_every_language() -> None:
    for language in ("en", "fr"):
        assert _referral(language, referral_text="Verwijzing naar het CGG")["code"]["text"] == "Verwijzing naar het CGG"


def test_the_data_card_says_what_could_not_be_worked_out_in_the_language() -> None:
    notes = [
        Unknown(what="age"),
        Unknown(what="dose", subject={"en": "lorazepam 1 mg tablet (MedicationRequest/d1)"}, detail="unknown: 'as discussed': no dose quantity"),
        Unknown(what="current_dose", subject={"en": "lorazepam", "fr": "lorazépam"}, detail="no dosage"),
        Unknown(what="rule", subject={"en": "A high total BZRA dose already in use"}, detail="unknown name 'x'"),
    ]
    english = data_issues_card([], notes, "en")
    dutch = data_issues_card([], notes, "nl")
    french = data_issues_card([], notes, "fr")
    assert english is not None and dutch is not None and french is not None
    assert "- dose of lorazepam 1 mg tablet (MedicationRequest/d1): unknown: 'as discussed': no dose quantity" in english.detail
    assert "- A high total BZRA dose already in use: unknown name 'x'" in english.detail
    assert "- dosis van lorazepam 1 mg tablet (MedicationRequest/d1): niet af te leiden uit de gebruiksaanwijzing" in dutch.detail
    assert "- een klinische regel kon niet worden toegepast; de andere adviezen gelden wel" in dutch.detail
    assert "- dose actuelle de lorazépam : impossible à déduire de l'historique" in french.detail
    assert "- âge : aucune date de naissance enregistrée" in french.detail
    assert (english.summary, dutch.summary, french.summary) == (
        "Some checks could not be completed",
        "Sommige controles konden niet worden afgerond",
        "Certaines vérifications n'ont pas pu être effectuées",
    )
    assert french.source.label == "bzra-cds, contrôle des données" and "technical" not in dutch.detail


def test_the_card_for_an_internal_error_is_in_the_language() -> None:
    assert internal_error_card("nl").summary == "bzra-cds kon dit voorschrift niet nakijken"
    assert internal_error_card("fr").detail.startswith("Une erreur interne a interrompu la vérification.")
    assert internal_error_card("xx").summary == "bzra-cds could not check this prescription"


def test_numbers_dates_and_unknown_values_in_card_texts_follow_the_language() -> None:
    assert [format_number(2.25, 2, lang) for lang in ("en", "nl", "fr")] == ["2.25", "2,25", "2,25"]
    assert [format_number(None, 1, lang) for lang in ("en", "nl", "fr")] == ["unknown", "onbekend", "inconnu"]
    assert [format_date("2026-09-07", lang) for lang in ("en", "nl", "fr")] == ["7 Sep 2026", "7 sep 2026", "7 sept. 2026"]
    assert render("{{ x | num }} mg, {{ y | num }}", {"x": 1.5, "y": None, "language": "fr"}) == "1,5 mg, inconnu"


def test_the_demo_page_writes_dates_with_the_same_months_as_the_service() -> None:
    source = I18N_JS.read_text(encoding="utf-8")
    block = re.search(r"const MONTHS = \{(.*?)\};", source, re.DOTALL)
    assert block is not None
    months = {lang: json.loads(values) for lang, values in re.findall(r"(en|nl|fr): (\[.*?\])", block.group(1))}
    assert months == {lang: list(names) for lang, names in MONTHS.items()}


def _client() -> TestClient:
    return TestClient(create_app(Settings(insecure_dev=True, rules_reload=False), today=lambda: TODAY))


def test_hook_and_feedback_errors_speak_the_request_language_and_keep_code_and_fields() -> None:
    request = b.hook_request(drafts=[], prefetch=b.full_prefetch())
    del request["context"]["patientId"]
    with _client() as client:
        english = client.post(SIGN, json=request).json()
        dutch = client.post(f"{SIGN}?language=nl", json=request).json()
        french = client.post(SIGN, json=request | {"extension": {"bzra-cds.language": "fr"}}).json()
        feedback = client.post(f"{SIGN}/feedback?language=fr", json={"feedback": []}).json()
        unknown = client.post("/cds-services/nothing-here?language=nl", json=request).json()
        malformed = client.post(f"{SIGN}?language=nl", content=b"{not json").json()
    assert english["error"] == dutch["error"] == french["error"] == "invalid_context"
    assert english["fields"] == dutch["fields"] == french["fields"] and "context.patientId" in english["message"]
    assert dutch["message"] == "Ongeldige of ontbrekende context van de hook: context.patientId."
    assert french["message"] == "Contexte du hook invalide ou incomplet : context.patientId."
    assert feedback["error"] == "invalid_request" and feedback["message"] == "Données invalides ou manquantes dans la demande : feedback."
    assert unknown["error"] == "unknown_service" and unknown["message"] == "Deze dienst bestaat hier niet."
    assert malformed["error"] == "malformed_json" and malformed["message"] == "De aanvraag is geen geldig JSON-object."


def test_a_draft_order_that_cannot_be_read_is_named_in_the_language() -> None:
    """The draft orders' problems (service.fhir.drafts) are said in the card's language, with the order's id."""
    bad_dose = b.draft_order("draft-2", dosageInstruction=[{"timing": "twice a day", "doseAndRate": "one"}])
    request = b.hook_request(drafts=[b.draft_order(), bad_dose], prefetch=b.full_prefetch())
    request["context"]["draftOrders"]["entry"].append({"fullUrl": "urn:uuid:not-a-resource"})
    with _client() as client:
        cards = {lang: b.data_card(client.post(f"{SIGN}?language={lang}", json=request).json()) for lang in ("en", "nl", "fr")}
    assert "dosageInstruction of draft order MedicationRequest/draft-2" in cards["en"]["detail"]
    assert "dosageInstruction van conceptvoorschrift MedicationRequest/draft-2" in cards["nl"]["detail"]
    assert "een conceptvoorschrift" in cards["nl"]["detail"] and "draft order" not in cards["nl"]["detail"]
    assert "dosageInstruction du projet de prescription MedicationRequest/draft-2" in cards["fr"]["detail"]


def test_the_small_pack_writes_its_supply_in_the_language_and_keeps_the_ehrs_unit() -> None:
    from service.demo.catalog import PATIENTS_BY_ID, load_bundle
    from service.demo.dates import shift_to
    from tests.support.demo_support import hook_request_for

    patient = PATIENTS_BY_ID["tom-hermans"]  # oxazepam 10 mg, 90 tablets for a first course
    bundle = shift_to(load_bundle(patient.id), TODAY)
    with _client() as client:
        for language, days in (("en", "days"), ("nl", "dagen"), ("fr", "jours")):
            body = client.post(SIGN, json=hook_request_for(patient, bundle, TODAY, language)).json()
            [update] = [a for c in body["cards"] for s in c.get("suggestions", []) for a in s["actions"] if a["type"] == "update"]
            supply = update["resource"]["dispenseRequest"]
            assert supply["expectedSupplyDuration"]["unit"] == days and supply["expectedSupplyDuration"]["code"] == "d"
            assert supply["quantity"]["unit"] == "tablet"  # as the EHR wrote it
