"""Small builders of FHIR R4 JSON and CDS Hooks requests, in the shapes EHRs send.

Tests state only what matters to them; everything else gets a realistic default.
"""

from __future__ import annotations

import uuid
from typing import Any

from service.data_card_texts import PHRASES

SIGN = "/cds-services/bzra-order-sign"  # the order-sign service's endpoint
PATIENT_ID = "example-bzra-1"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def medication_request(
    rid: str = "mr-1",
    *,
    status: str = "active",
    rxnorm: str = "197901",
    display: str = "lorazepam 1 MG Oral Tablet",
    authored_on: str = "2026-10-01",
    patient_id: str = PATIENT_ID,
    medication_reference: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": authored_on,
        "dosageInstruction": [
            {
                "text": "1 tablet twice a day",
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet", "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm", "code": "TAB"}}],
            }
        ],
        "dispenseRequest": {
            "quantity": {"value": 60, "unit": "tablet"},
            "numberOfRepeatsAllowed": 0,
            "expectedSupplyDuration": {"value": 30, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
        },
    }
    if medication_reference:
        resource["medicationReference"] = {"reference": medication_reference}
    else:
        resource["medicationCodeableConcept"] = {"coding": [{"system": RXNORM, "code": rxnorm, "display": display}], "text": display}
    resource.update(extra)
    return resource


def medication_statement(rid: str = "ms-1", patient_id: str = PATIENT_ID, **extra: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "active",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "854873", "display": "zolpidem tartrate 10 MG Oral Tablet"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectivePeriod": {"start": "2026-09-01"},
        "dateAsserted": "2026-11-01",
        "dosage": [{"text": "1 tablet at bedtime", "timing": {"repeat": {"when": ["HS"]}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}],
    }
    resource.update(extra)
    return resource


def medication(rid: str = "med-1") -> dict[str, Any]:
    return {
        "resourceType": "Medication",
        "id": rid,
        "code": {"coding": [{"system": RXNORM, "code": "308048", "display": "alprazolam 0.5 MG Oral Tablet"}]},
        "ingredient": [
            {
                "itemCodeableConcept": {"coding": [{"system": RXNORM, "code": "596", "display": "alprazolam"}]},
                "strength": {
                    "numerator": {"value": 0.5, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"},
                    "denominator": {"value": 1, "unit": "tablet", "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm", "code": "TAB"},
                },
            }
        ],
    }


def patient(patient_id: str = PATIENT_ID, birth_date: str = "1950-04-12") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": patient_id, "gender": "female", "birthDate": birth_date}


def condition(rid: str = "cond-1", patient_id: str = PATIENT_ID) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "193462001", "display": "Insomnia"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def searchset(*resources: dict[str, Any], next_url: str | None = None, base: str = "http://ehr.test/fhir") -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": f"{base}/search"}],
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r.get('id')}", "resource": r, "search": {"mode": "include" if r["resourceType"] == "Medication" else "match"}}
            for r in resources
        ],
    }
    if next_url:
        bundle["link"].append({"relation": "next", "url": next_url})
    return bundle


def draft_order(rid: str = "draft-1", **extra: Any) -> dict[str, Any]:
    order = medication_request(rid, status="draft", authored_on="2026-11-23", **extra)
    return order


def searched_again(prefetch: dict[str, Any], search: str, searched_at: str) -> dict[str, Any]:
    """The same prefetch as a server answers a new search (HAPI FHIR: each search Bundle with a new id,
    the time of the search and a search id in its paging links); other payloads as they were."""
    return {
        key: {
            **payload,
            "id": f"{search}-{key}",
            "meta": {"lastUpdated": searched_at},
            "link": [{"relation": "self", "url": f"http://ehr.test/fhir?_getpages={search}&_getpagesoffset=0"}],
        }
        if payload.get("resourceType") == "Bundle"
        else payload
        for key, payload in prefetch.items()
    }


def full_prefetch() -> dict[str, Any]:
    return {
        "patient": patient(),
        "medicationStatements": searchset(medication_statement()),
        "medicationRequests": searchset(medication_request()),
        "medicationDispenses": searchset(),
        "conditions": searchset(condition()),
    }


def hook_request(
    hook: str = "order-sign",
    *,
    drafts: list[dict[str, Any]] | None = None,
    prefetch: dict[str, Any] | None = None,
    fhir_server: str | None = None,
    token: str | None = "secret-token-1",
) -> dict[str, Any]:
    drafts = [draft_order()] if drafts is None else drafts
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": d} for d in drafts]}
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": PATIENT_ID, "encounterId": "enc-1"}
    if hook == "medication-prescribe":
        context["medications"] = bundle
    else:
        context["draftOrders"] = bundle
    if hook == "order-select":
        context["selections"] = [f"MedicationRequest/{d['id']}" for d in drafts[:1]]
    request: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch is not None:
        request["prefetch"] = prefetch
    if fhir_server:
        request["fhirServer"] = fhir_server
        if token:
            request["fhirAuthorization"] = {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "user/Patient.read user/MedicationRequest.read",
                "subject": "cds-service",
            }
    return request


DATA_CHECK = PHRASES["source"]["en"]  # "bzra-cds data check"
DATA_CHECKS = set(PHRASES["source"].values())  # the data card's source, in each language


def data_card(body: dict[str, Any]) -> dict[str, Any]:
    """The one info card that says what could not be checked."""
    [card] = [c for c in body["cards"] if c["source"]["label"] in DATA_CHECKS]
    return card


def rule_ids(body: dict[str, Any]) -> set[str]:
    """Ids of the rules behind the cards of a response."""
    return {r["id"] for c in body["cards"] for r in c.get("extension", {}).get("bzra-cds.rules", [])}
