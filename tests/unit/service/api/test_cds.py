"""The HTTP surface: discovery, hook calls, feedback, operations endpoints and client errors."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.support import builders as b
from tests.support.builders import SIGN
from tests.support.facts_support import TODAY



def test_discovery_lists_one_service_per_hook_with_prefetch(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    assert sorted(s["hook"] for s in services) == ["medication-prescribe", "order-select", "order-sign"]
    for service in services:
        assert service["id"] and service["title"] and service["description"]
        assert set(service["prefetch"]) == {
            "patient",
            "medicationStatements",
            "medicationRequests",
            "medicationDispenses",
            "conditions",
        }
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert service["prefetch"]["medicationRequests"].startswith("MedicationRequest?patient={{context.patientId}}")


@pytest.mark.parametrize("hook", ["order-select", "order-sign", "medication-prescribe"])
def test_each_hook_answers_with_cards_from_full_prefetch(client: TestClient, hook: str) -> None:
    response = client.post(f"/cds-services/bzra-{hook}", json=b.hook_request(hook, prefetch=b.full_prefetch()))
    assert response.status_code == 200, response.text
    body = response.json()
    assert "extension" not in body  # everything was read: no data issues
    assert all(card["source"]["label"] not in b.DATA_CHECKS for card in body["cards"])
    # a lorazepam draft for 30 days, zolpidem in use since September, a patient of 76:
    assert {"long-term-use", "order-too-long", "older-adult", "duplicate-bzra"} <= b.rule_ids(body)
    for card in body["cards"]:
        assert len(card["summary"]) < 140 and card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"] and card["uuid"]


def test_missing_optional_prefetch_without_server_is_reported_not_fatal(client: TestClient) -> None:
    prefetch = b.full_prefetch()
    del prefetch["conditions"]  # absent: not prefetched (null would mean "the EHR has none")
    del prefetch["patient"]
    response = client.post(SIGN, json=b.hook_request(prefetch=prefetch))
    assert response.status_code == 200
    card = b.data_card(response.json())
    assert card["indicator"] == "info"
    assert "age" in card["detail"] and "recorded conditions" in card["detail"]
    assert len(card["summary"]) < 140
    issues = response.json()["extension"]["bzra-cds.data-issues"]
    assert {i["not_checked"] for i in issues} == {"age", "recorded conditions"}


def test_one_bad_resource_is_skipped_and_reported(client: TestClient) -> None:
    prefetch = b.full_prefetch()
    bad = b.medication_request("broken")
    del bad["subject"]
    prefetch["medicationRequests"] = b.searchset(b.medication_request("ok"), bad)
    response = client.post(SIGN, json=b.hook_request(prefetch=prefetch))
    assert response.status_code == 200
    card = b.data_card(response.json())
    assert "MedicationRequest/broken" in card["detail"]
    assert "1 record" in card["detail"]


def test_required_data_neither_prefetched_nor_fetchable_is_412(client: TestClient) -> None:
    prefetch = b.full_prefetch()
    del prefetch["medicationRequests"]
    response = client.post(SIGN, json=b.hook_request(prefetch=prefetch))
    assert response.status_code == 412
    body = response.json()
    assert body["error"] == "missing_data"
    assert body["fields"] == [{"field": "prefetch.medicationRequests", "problem": "not prefetched and no fhirServer"}]


@pytest.mark.parametrize(
    ("mutate", "status", "field"),
    [
        (lambda r: r.pop("hookInstance"), 422, "hookInstance"),
        (lambda r: r.update(hookInstance="not-a-uuid"), 422, "hookInstance"),
        (lambda r: r.pop("context"), 422, "context"),
        (lambda r: r["context"].pop("patientId"), 422, "context.patientId"),
        (lambda r: r["context"].pop("draftOrders"), 422, "context.draftOrders"),
        (lambda r: r["context"].update(draftOrders={"resourceType": "Patient"}), 422, "context"),
        (lambda r: r.update(hook="patient-view"), 400, "hook"),
        (lambda r: r.update(fhirAuthorization={"access_token": "t"}), 422, "fhirAuthorization.token_type"),
    ],
)
def test_bad_requests_get_4xx_naming_the_field(client: TestClient, mutate, status: int, field: str) -> None:
    request = b.hook_request(prefetch=b.full_prefetch())
    mutate(request)
    response = client.post(SIGN, json=request)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"]
    assert any(f["field"].startswith(field) for f in body["fields"]), body


def test_order_select_requires_selections(client: TestClient) -> None:
    request = b.hook_request("order-select", prefetch=b.full_prefetch())
    del request["context"]["selections"]
    response = client.post("/cds-services/bzra-order-select", json=request)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "context.selections"


def test_unknown_service_is_404_even_with_a_bad_body(client: TestClient) -> None:
    response = client.post("/cds-services/nope", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 404
    assert "bzra-order-sign" in response.json()["message"]


def test_hook_calls_are_refused_outside_development_mode() -> None:
    with TestClient(create_app(Settings(insecure_dev=False, audit_secret="a-test-audit-secret-0123456789"))) as client:
        response = client.post(SIGN, json=b.hook_request(prefetch=b.full_prefetch()))
        assert response.status_code == 401
        assert "bearer JWT is required" in response.json()["message"]
        assert response.headers["www-authenticate"] == "Bearer"
        assert client.get("/cds-services").status_code == 200  # discovery stays open


def test_feedback_with_the_spec_shape_is_acknowledged(client: TestClient) -> None:
    card = str(uuid.uuid4())
    body = {
        "feedback": [
            {"card": card, "outcome": "accepted", "acceptedSuggestions": [{"id": str(uuid.uuid4())}], "outcomeTimestamp": "2026-11-23T10:00:00Z"},
            {
                "card": card,
                "outcome": "overridden",
                "overrideReason": {"reason": {"code": "tapering", "system": "http://example.org/reasons", "display": "Tapering under supervision"}, "userComment": "seen by GP"},
                "outcomeTimestamp": "2026-11-23T10:01:00+01:00",
            },
        ]
    }
    response = client.post(f"{SIGN}/feedback", json=body)
    assert response.status_code == 200
    assert response.json() == {"received": 2, "stored": 2, "duplicates": 0, "unknownCards": 2, "suppressionsCreated": 0}


@pytest.mark.parametrize(
    ("feedback", "field"),
    [
        ({"feedback": []}, "feedback"),
        ({"feedback": [{"card": "c", "outcome": "maybe", "outcomeTimestamp": "2026-11-23T10:00:00Z"}]}, "feedback.0.outcome"),
        ({"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "yesterday"}]}, "feedback.0.outcomeTimestamp"),
        ({"feedback": [{"card": "c", "outcome": "accepted"}]}, "feedback.0.outcomeTimestamp"),
    ],
)
def test_bad_feedback_is_422_naming_the_field(client: TestClient, feedback: dict, field: str) -> None:
    response = client.post(f"{SIGN}/feedback", json=feedback)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == field


def test_the_language_can_be_chosen_per_request(client: TestClient) -> None:
    request = b.hook_request(prefetch=b.full_prefetch())
    dutch = client.post(f"{SIGN}?language=nl", json=request).json()
    assert any(card["summary"].startswith("Dit voorschrift zou de dagdosis verhogen van 5 naar 25 mg") for card in dutch["cards"])
    request = b.hook_request(prefetch=b.full_prefetch())
    request["extension"] = {"bzra-cds.language": "fr"}
    french = client.post(SIGN, json=request).json()
    assert any(card["summary"].startswith("Cette prescription ferait passer la dose journalière de 5 à 25 mg") for card in french["cards"])
    english = client.post(SIGN, json=b.hook_request(prefetch=b.full_prefetch())).json()
    assert any(card["summary"].startswith("This order would raise the daily dose from 5 to 25 mg") for card in english["cards"])


def test_with_the_database_down_the_hook_answers_and_readyz_says_so(tmp_path) -> None:
    settings = Settings(insecure_dev=True, rules_reload=False, database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", data_dir=tmp_path)
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        response = client.post(SIGN, json=b.hook_request(prefetch=b.full_prefetch()))
        assert response.status_code == 200 and b.rule_ids(response.json())
        database = client.get("/readyz").json()["checks"]["database"]
        assert database["state"].startswith("down") and database["pending"] >= 1


def test_the_prefetch_of_an_order_no_rule_can_fire_on_is_never_read(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The prefetch stays the bytes it was sent in (most of the body) until the history is needed."""
    from service.strict_json import RawJson

    monkeypatch.setattr(RawJson, "value", property(lambda self: pytest.fail("the prefetch was read")))
    monkeypatch.setattr("service.fhir.gather.read_payload", lambda *args: pytest.fail("the prefetch was read"))
    amoxicillin = {"coding": [{"system": b.RXNORM, "code": "308191", "display": "amoxicillin 500 MG Oral Capsule"}]}
    request = b.hook_request(drafts=[b.draft_order(medicationCodeableConcept=amoxicillin)], prefetch=b.full_prefetch())
    response = client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    assert response.json()["cards"] == []
