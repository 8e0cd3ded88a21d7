"""Example requests for the OpenAPI description: what a human reads in /docs, and what schemathesis
sends first (its examples phase), so the fuzzing reaches the hook's whole path and the store.

A woman born in 1950 who has taken zolpidem every night since September; the draft order is
lorazepam 1 mg twice a day for 30 days (as in `examples/order-sign-request.json`).
"""

from __future__ import annotations

from typing import Any

PATIENT_ID = "example-bzra-1"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _draft_order() -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "draft-1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "197901", "display": "lorazepam 1 MG Oral Tablet"}],
            "text": "lorazepam 1 mg tablet",
        },
        "dosageInstruction": [
            {
                "text": "1 tablet twice a day",
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
            }
        ],
        "dispenseRequest": {
            "quantity": {"value": 60, "unit": "tablet"},
            "expectedSupplyDuration": {"value": 30, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
        },
    }


def _prefetch() -> dict[str, Any]:
    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms-1",
        "status": "active",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "854873", "display": "zolpidem tartrate 10 MG Oral Tablet"}]},
        "effectivePeriod": {"start": "2026-09-01"},
        "dosage": [{"text": "1 tablet at bedtime", "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}],
    }
    empty = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    return {
        "patient": {"resourceType": "Patient", "id": PATIENT_ID, "gender": "female", "birthDate": "1950-04-12"},
        "medicationStatements": {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": [{"resource": statement}]},
        "medicationRequests": empty,
        "medicationDispenses": empty,
        "conditions": empty,
    }


def hook_example(hook: str) -> dict[str, Any]:
    drafts = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": _draft_order()}]}
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": PATIENT_ID}
    if hook == "medication-prescribe":
        context["medications"] = drafts
    else:
        context["draftOrders"] = drafts
    if hook == "order-select":
        context["selections"] = ["MedicationRequest/draft-1"]
    return {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "context": context, "prefetch": _prefetch()}


FEEDBACK_EXAMPLE: dict[str, Any] = {
    "feedback": [
        {
            "card": "0973a026-d025-4c28-9f5e-acef16ea34a5",
            "outcome": "overridden",
            "overrideReason": {
                "reason": {"system": "urn:bzra-cds:override-reason", "code": "patient-not-ready"},
                "userComment": "Discussed; we will talk about a taper at the next visit.",
            },
            "outcomeTimestamp": "2026-11-23T10:15:00Z",
        }
    ]
}
