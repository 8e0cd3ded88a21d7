"""Patients for the benchmark: FHIR R4 JSON in the shapes EHRs send, dated relative to today.

`realistic_patient()` is a woman of 76 with three years of history: 34 medication resources (monthly
lorazepam prescriptions and their dispenses, zolpidem every night, a dozen other drugs with renewals,
one order that points to an included Medication), five conditions, and one BZRA draft order.
`large_history(n)` is the same kind of patient with exactly `n` medication resources (monthly refills
going back in time). Hook request bodies carry the marker `__UNIQUE__` where the hookInstance and the
access token go, so the load generators can make every request distinct (see `load.lua`).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

PATIENT_ID = "bench-patient-1"
BASE = "https://ehr.example.org/fhir"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ORDERABLE = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
UNIQUE = "__UNIQUE__"

# (key, rxnorm, display, atc, dose text, tablets a day, frequency, when)
DRUGS: list[tuple[str, str, str, str, str, float, int, str | None]] = [
    ("lorazepam", "197901", "lorazepam 1 MG Oral Tablet", "N05BA06", "1 tablet twice a day", 2, 2, None),
    ("zolpidem", "854873", "zolpidem tartrate 10 MG Oral Tablet", "N05CF02", "1 tablet at bedtime", 1, 1, "HS"),
    ("metformin", "861007", "metformin hydrochloride 500 MG Oral Tablet", "A10BA02", "1 tablet twice a day with meals", 2, 2, None),
    ("amlodipine", "197361", "amlodipine 5 MG Oral Tablet", "C08CA01", "1 tablet once a day", 1, 1, None),
    ("atorvastatin", "617310", "atorvastatin 20 MG Oral Tablet", "C10AA05", "1 tablet in the evening", 1, 1, None),
    ("lisinopril", "314076", "lisinopril 10 MG Oral Tablet", "C09AA03", "1 tablet once a day", 1, 1, None),
    ("sertraline", "312940", "sertraline 50 MG Oral Tablet", "N06AB06", "1 tablet once a day", 1, 1, None),
    ("omeprazole", "198053", "omeprazole 20 MG Delayed Release Oral Capsule", "A02BC01", "1 capsule before breakfast", 1, 1, None),
    ("levothyroxine", "966222", "levothyroxine sodium 0.05 MG Oral Tablet", "H03AA01", "1 tablet in the morning", 1, 1, None),
    ("paracetamol", "313782", "acetaminophen 325 MG Oral Tablet", "N02BE01", "2 tablets up to 3 times a day if needed", 6, 3, None),
    ("oxycodone", "1049621", "oxycodone hydrochloride 5 MG / acetaminophen 325 MG Oral Tablet", "N02AJ17", "1 tablet every 6 hours if needed", 4, 4, None),
    ("gabapentin", "310431", "gabapentin 300 MG Oral Capsule", "N02BF01", "1 capsule three times a day", 3, 3, None),
]
DRUG = {d[0]: d for d in DRUGS}


def _day(today: date, days_ago: int) -> str:
    return (today - timedelta(days=days_ago)).isoformat()


def _concept(key: str) -> dict[str, Any]:
    _, rxnorm, display, atc, *_ = DRUG[key]
    return {
        "coding": [
            {"system": RXNORM, "code": rxnorm, "display": display},
            {"system": ATC, "code": atc},
        ],
        "text": display,
    }


def _dosage(key: str) -> dict[str, Any]:
    _, _, _, _, text, _, frequency, when = DRUG[key]
    repeat: dict[str, Any] = {"frequency": frequency, "period": 1, "periodUnit": "d"}
    if when:
        repeat["when"] = [when]
    dosage: dict[str, Any] = {
        "sequence": 1,
        "text": text,
        "timing": {"repeat": repeat},
        "route": {"coding": [{"system": SNOMED, "code": "26643006", "display": "Oral route"}]},
        "doseAndRate": [
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/dose-rate-type", "code": "ordered"}]},
                "doseQuantity": {"value": 1, "unit": "tablet", "system": ORDERABLE, "code": "TAB"},
            }
        ],
    }
    if "if needed" in text:
        dosage["asNeededBoolean"] = True
    return dosage


def _subject() -> dict[str, Any]:
    return {"reference": f"Patient/{PATIENT_ID}", "display": "Bea Benchmark"}


def medication_request(rid: str, key: str, authored: str, status: str, supply_days: int = 30,
                       medication_ref: str | None = None) -> dict[str, Any]:
    tablets_a_day = DRUG[key][5]
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest"]},
        "status": status,
        "intent": "order",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "code": "community"}]}],
        "subject": _subject(),
        "encounter": {"reference": f"Encounter/enc-{rid}"},
        "authoredOn": authored,
        "requester": {"reference": "Practitioner/gp-1", "display": "Dr. Sam Prescriber"},
        "dosageInstruction": [_dosage(key)],
        "dispenseRequest": {
            "validityPeriod": {"start": authored},
            "numberOfRepeatsAllowed": 0,
            "quantity": {"value": tablets_a_day * supply_days, "unit": "tablet", "system": ORDERABLE, "code": "TAB"},
            "expectedSupplyDuration": {"value": supply_days, "unit": "days", "system": UCUM, "code": "d"},
        },
    }
    if medication_ref:
        resource["medicationReference"] = {"reference": medication_ref}
    else:
        resource["medicationCodeableConcept"] = _concept(key)
    return resource


def medication_dispense(rid: str, key: str, handed_over: str, prescription: str, supply_days: int = 30) -> dict[str, Any]:
    return {
        "resourceType": "MedicationDispense",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": _concept(key),
        "subject": _subject(),
        "performer": [{"actor": {"reference": "Practitioner/pharmacist-1", "display": "Pat Pharmacist"}}],
        "authorizingPrescription": [{"reference": f"MedicationRequest/{prescription}"}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "RF", "display": "Refill"}]},
        "quantity": {"value": DRUG[key][5] * supply_days, "unit": "TAB", "system": ORDERABLE, "code": "TAB"},
        "daysSupply": {"value": supply_days, "unit": "Day", "system": UCUM, "code": "d"},
        "whenPrepared": handed_over + "T09:20:00-05:00",
        "whenHandedOver": handed_over + "T10:05:00-05:00",
        "dosageInstruction": [_dosage(key)],
    }


def medication_statement(rid: str, key: str, start: str, status: str = "active", end: str | None = None) -> dict[str, Any]:
    period: dict[str, Any] = {"start": start}
    if end:
        period["end"] = end
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": status,
        "medicationCodeableConcept": _concept(key),
        "subject": _subject(),
        "effectivePeriod": period,
        "dateAsserted": start,
        "informationSource": {"reference": f"Patient/{PATIENT_ID}"},
        "dosage": [_dosage(key)],
    }


def medication(rid: str, key: str) -> dict[str, Any]:
    _, rxnorm, display, atc, *_ = DRUG[key]
    return {
        "resourceType": "Medication",
        "id": rid,
        "code": {"coding": [{"system": RXNORM, "code": rxnorm, "display": display}, {"system": ATC, "code": atc}], "text": display},
        "form": {"coding": [{"system": SNOMED, "code": "385055001", "display": "Tablet"}]},
    }


def patient(today: date) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
        "identifier": [{"system": "https://ehr.example.org/mrn", "value": "000123456"}],
        "name": [{"family": "Benchmark", "given": ["Bea"]}],
        "gender": "female",
        "birthDate": _day(today, 76 * 365 + 40),
        "address": [{"city": "Springfield", "country": "US"}],
    }


CONDITIONS = [
    ("193462001", "Insomnia"),
    ("21897009", "Generalized anxiety disorder"),
    ("38341003", "Hypertensive disorder"),
    ("44054006", "Type 2 diabetes mellitus"),
    ("396275006", "Osteoarthritis"),
]


def conditions(today: date) -> list[dict[str, Any]]:
    return [
        {
            "resourceType": "Condition",
            "id": f"cond-{i}",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}],
            "code": {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display},
            "subject": _subject(),
            "onsetDateTime": _day(today, 400 + 200 * i),
            "recordedDate": _day(today, 390 + 200 * i),
        }
        for i, (code, display) in enumerate(CONDITIONS)
    ]


def draft_order(today: date) -> dict[str, Any]:
    order = medication_request("draft-1", "lorazepam", today.isoformat(), "draft")
    del order["meta"], order["encounter"]
    return order


def realistic_history(today: date, *, references: bool = True) -> dict[str, list[dict[str, Any]]]:
    """34 medication resources (+1 included Medication when `references`), by resource type."""
    requests: list[dict[str, Any]] = []
    dispenses: list[dict[str, Any]] = []
    for month in range(6):  # lorazepam every month for half a year, each one dispensed
        days_ago = 30 * month + 5
        rid = f"mr-lorazepam-{month}"
        requests.append(medication_request(rid, "lorazepam", _day(today, days_ago), "active" if month == 0 else "completed"))
        dispenses.append(medication_dispense(f"md-lorazepam-{month}", "lorazepam", _day(today, days_ago - 1), rid))
    for key in ("metformin", "amlodipine", "atorvastatin", "lisinopril"):  # chronic drugs: current + last renewal
        for renewal, status in ((0, "active"), (1, "completed")):
            rid = f"mr-{key}-{renewal}"
            requests.append(medication_request(rid, key, _day(today, 20 + 90 * renewal), status, supply_days=90))
    requests.append(medication_request("mr-oxycodone-0", "oxycodone", _day(today, 12), "active", supply_days=7))
    requests.append(medication_request("mr-gabapentin-0", "gabapentin", _day(today, 45), "active",
                                       medication_ref="Medication/med-gabapentin" if references else None))
    for month in range(3):
        dispenses.append(medication_dispense(f"md-zolpidem-{month}", "zolpidem", _day(today, 30 * month + 10), "mr-zolpidem-ext"))
    dispenses.append(medication_dispense("md-metformin-0", "metformin", _day(today, 19), "mr-metformin-0", 90))
    dispenses.append(medication_dispense("md-metformin-1", "metformin", _day(today, 109), "mr-metformin-1", 90))
    dispenses.append(medication_dispense("md-amlodipine-0", "amlodipine", _day(today, 19), "mr-amlodipine-0", 90))
    statements = [
        medication_statement("ms-zolpidem", "zolpidem", _day(today, 83)),
        medication_statement("ms-sertraline", "sertraline", _day(today, 700)),
        medication_statement("ms-omeprazole", "omeprazole", _day(today, 500)),
        medication_statement("ms-levothyroxine", "levothyroxine", _day(today, 1000)),
        medication_statement("ms-paracetamol", "paracetamol", _day(today, 300)),
        medication_statement("ms-lorazepam-earlier", "lorazepam", _day(today, 1000), "completed", _day(today, 940)),
    ]
    medications = [medication("med-gabapentin", "gabapentin")] if references else []
    return {"statements": statements, "requests": requests, "dispenses": dispenses, "medications": medications}


def large_history(today: date, size: int) -> dict[str, list[dict[str, Any]]]:
    """Exactly `size` medication resources: monthly refills of the 12 drugs, going back in time.

    Per month and drug one resource, rotating request, dispense, request, dispense, statement.
    """
    history: dict[str, list[dict[str, Any]]] = {"statements": [], "requests": [], "dispenses": [], "medications": []}
    for i in range(size):
        key = DRUGS[i % len(DRUGS)][0]
        month = i // len(DRUGS)
        days_ago = 30 * month + 3 + (i % 7)
        kind = i % 5
        if kind in (0, 2):
            history["requests"].append(
                medication_request(f"mr-{i}", key, _day(today, days_ago), "active" if month == 0 else "completed")
            )
        elif kind in (1, 3):
            history["dispenses"].append(medication_dispense(f"md-{i}", key, _day(today, days_ago), f"mr-{i - 1}"))
        else:
            history["statements"].append(
                medication_statement(f"ms-{i}", key, _day(today, days_ago + 30),
                                     "active" if month == 0 else "completed",
                                     None if month == 0 else _day(today, days_ago))
            )
    return history


def medication_count(history: dict[str, list[dict[str, Any]]]) -> int:
    return len(history["statements"]) + len(history["requests"]) + len(history["dispenses"])


def searchset(resources: list[dict[str, Any]], included: list[dict[str, Any]] | None = None, kind: str = "") -> dict[str, Any]:
    entries = [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}} for r in resources]
    entries += [{"fullUrl": f"{BASE}/Medication/{m['id']}", "resource": m, "search": {"mode": "include"}} for m in included or []]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": f"{BASE}/{kind}?patient={PATIENT_ID}"}],
        "entry": entries,
    }


def prefetch(today: date, history: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Prefetch as an EHR sends it for the service's templates (searchsets with _include)."""
    return {
        "patient": patient(today),
        "medicationStatements": searchset(history["statements"], kind="MedicationStatement"),
        "medicationRequests": searchset(history["requests"], history["medications"], kind="MedicationRequest"),
        "medicationDispenses": searchset(history["dispenses"], kind="MedicationDispense"),
        "conditions": searchset(conditions(today), kind="Condition"),
    }


def fhir_server_resources(today: date) -> list[dict[str, Any]]:
    """What the local FHIR server holds for scenario 2 (coded medications: no Medication reads)."""
    history = realistic_history(today, references=False)
    return [patient(today), *history["statements"], *history["requests"], *history["dispenses"], *conditions(today)]


def hook_request(today: date, *, prefetch_data: dict[str, Any] | None = None, fhir_server: str | None = None,
                 token: str = f"bench-token-{UNIQUE}", hook_instance: str = UNIQUE) -> dict[str, Any]:
    request: dict[str, Any] = {
        "hook": "order-sign",
        "hookInstance": hook_instance,
        "context": {
            "userId": "Practitioner/gp-1",
            "patientId": PATIENT_ID,
            "encounterId": "enc-today",
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft_order(today)}]},
        },
    }
    if fhir_server:
        request["fhirServer"] = fhir_server
        request["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Patient.read user/MedicationStatement.read user/MedicationRequest.read "
            "user/MedicationDispense.read user/Condition.read",
            "subject": "bzra-cds",
        }
    if prefetch_data is not None:
        request["prefetch"] = prefetch_data
    return request


def body(request: dict[str, Any]) -> bytes:
    return json.dumps(request, separators=(",", ":")).encode()


def fill(template: bytes, unique: str) -> bytes:
    return template.replace(UNIQUE.encode(), unique.encode())
