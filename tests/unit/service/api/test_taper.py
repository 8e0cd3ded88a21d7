"""`POST /taper` and `GET /taper/handout` on the real app: one input model, the deployment's defaults
(pace, protocol, market, language), holds kept by the handout link, errors in the request's language."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.medicationrequest import MedicationRequest

from service.app import create_app
from service.settings import Settings
from tests.support.facts_support import TODAY


@contextmanager
def client(**settings) -> Iterator[TestClient]:
    app = create_app(Settings(insecure_dev=True, rules_reload=False, **settings), today=lambda: TODAY)
    with TestClient(app) as test_client:
        yield test_client


def test_post_taper_takes_pace_protocol_market_and_language_from_the_settings() -> None:
    with client(taper_pace="slow", language="nl", taper_protocol="cks_ashton", market="NL") as c:
        data = c.post("/taper", json={"drug": "diazepam", "dose": "20 mg"}).json()
    plan = data["plan"]
    assert (plan["pace"], plan["protocol"], plan["market"]) == ("slow", "cks_ashton", "NL")
    assert plan["market_name"] == "Nederland" and "| Stap |" in data["markdown"]
    assert data["medicationRequest"]["dosageInstruction"][0]["text"].startswith("Stap 1 (verlagen)")
    with client() as c:  # the shipped defaults
        plan = c.post("/taper", json={"drug": "diazepam", "dose": "20 mg"}).json()["plan"]
    assert (plan["pace"], plan["protocol"], plan["market"]) == ("standard", "deprescribing_org", "BE")


def test_the_request_overrides_the_defaults() -> None:
    with client(taper_pace="slow", language="nl") as c:
        data = c.post("/taper", json={"drug": "Temesta", "dose": "2,5 mg/day", "pace": "standard", "language": "fr",
                                      "protocol": "nhg_lumc", "market": "NL", "table": "novadic_nl"}).json()
    assert data["plan"]["pace"] == "standard" and data["plan"]["taper_drug"] == "diazepam"
    assert "| Palier |" in data["markdown"] and data["plan"]["notes"][0].startswith("2,5 mg de lorazépam")
    for resource in data["medicationRequests"]:
        MedicationRequest.model_validate(resource)


def test_the_handout_link_keeps_the_holds_and_every_choice() -> None:
    body = {"drug": "lorazepam", "dose": "3 mg", "holds": [2, 2], "protocol": "cks_ashton", "pace": "slow", "language": "nl"}
    with client() as c:
        data = c.post("/taper", json=body).json()
        assert "hold=2&hold=2" in data["handout"] and "protocol=cks_ashton" in data["handout"]
        page = c.get(f"/{data['handout']}")
        assert page.status_code == 200
        text = html.unescape(page.text)
        held = [s for s in data["plan"]["steps"] if s["kind"] == "hold"]
        assert len(held) == 2 and text.count("Op deze dosis blijven") == 2
        assert 'lang="nl"' in page.text and "NICE CKS naar Ashton" in text
        # the planner's own style: `holds=2,4` in one parameter
        page = c.get("/taper/handout", params={"drug": "lorazepam", "dose": "3", "holds": "2,4"})
        assert html.unescape(page.text).count("Stay at this dose") == 2


@pytest.mark.parametrize(
    ("body", "field", "language", "words"),
    [
        ({"drug": "lorazepan", "dose": "3 mg"}, "drug", "nl", "bedoelt u lorazepam?"),
        ({"drug": "lorazepam", "dose": "three"}, "dose", "fr", "est illisible"),
        ({"drug": "lorazepam", "dose": "0 mg"}, "dose", "en", "more than 0 mg"),
        ({"drug": "lorazepam", "dose": "3 mg", "pace": "fast"}, "pace", "nl", "onbekend tempo 'fast'"),
        ({"drug": "lorazepam", "dose": "3 mg", "protocol": "quick"}, "protocol", "fr", "protocole inconnu"),
        ({"drug": "lorazepam", "dose": "3 mg", "switch_to": "oxazepam"}, "switch_to", "en", "switch_to is 'diazepam', 'none'"),
        ({"drug": "lorazepam", "dose": "3 mg", "form": "strips"}, "form", "nl", "bestaan niet in België"),
        ({"drug": "lorazepam", "dose": "3 mg", "hold": None, "holds": [99]}, "holds", "fr", "pas de pause possible après le palier 99"),
        ({"dose": "3 mg"}, "drug", "nl", "geen geneesmiddel opgegeven"),
        ({"drug": "lorazepam", "dose": "1000000 mg"}, "dose", "en", "not a plausible daily dose"),
    ],
)
def test_errors_are_422_naming_the_field_in_the_request_language(body: dict, field: str, language: str, words: str) -> None:
    body = {k: v for k, v in body.items() if v is not None}
    with client() as c:
        response = c.post("/taper", json={**body, "language": language})
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["error"] == "invalid_taper" and problem["fields"][0]["field"] == field
        assert words in problem["message"], problem["message"]
        page = c.get("/taper/handout", params={**{k: v for k, v in body.items() if k != "holds"}, "language": language,
                                               **({"hold": body["holds"]} if "holds" in body else {})})
        assert page.status_code == 422 and f'lang="{language}"' in page.text and words in html.unescape(page.text)


def test_the_language_default_applies_to_errors_too() -> None:
    with client(language="fr") as c:
        response = c.post("/taper", json={"drug": "nothing", "dose": "3 mg"})
    assert response.status_code == 422 and response.json()["message"].startswith("médicament inconnu « nothing »")


def test_an_absurd_dosage_is_refused_not_a_500() -> None:
    # 1,000,000 units per 0.0001 s (issue 17): 8.64e11 mg a day
    with client() as c:
        for dose in ("864000000000 mg", 8.64e11, "1e309"):
            response = c.post("/taper", json={"drug": "diazepam", "dose": dose})
            assert response.status_code == 422, (dose, response.text)
            assert response.json()["fields"][0]["field"] == "dose"
