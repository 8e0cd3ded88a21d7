"""The demo's stories as tests see them: the requests the demo page builds (mirroring static/ehr.js), the
cards each story promises, and the files its pages are made of."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from service.demo import catalog
from service.demo.catalog import PRODUCTS, patient_resource
from service.demo.routes import DEMO_DIR
from service.planner.routes import PLANNER_DIR

# Every file the two pages are made of: the demo's own, and the planner's (which the demo shares).
STATIC_FILES = {path.name: path for directory in (DEMO_DIR, PLANNER_DIR) for path in directory.iterdir()}
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"
REASONS = {
    "insomnia": {"coding": [{"system": SNOMED, "code": "193462001", "display": "Insomnia"}], "text": "Insomnia"},
    "anxiety": {"coding": [{"system": SNOMED, "code": "197480006", "display": "Anxiety disorder"}], "text": "Anxiety"},
}

# What each story promises: the rules behind the cards, and the most urgent indicator (None: no card).
PROMISES: dict[str, tuple[set[str], str | None]] = {
    "sofie-janssens": (set(), None),
    "marc-peeters": ({"long-term-use", "order-too-long"}, "warning"),
    "ingrid-vos": ({"high-dose", "long-term-use", "order-too-long"}, "warning"),
    "jan-de-groot": ({"opioid-and-bzra"}, "critical"),
    "maria-claes": ({"older-adult", "long-term-use", "order-too-long"}, "warning"),
    "ahmed-el-amrani": ({"duplicate-bzra", "projected-use"}, "warning"),
    "peter-wouters": ({"substance-use-disorder"}, "warning"),
    "hilde-maes": ({"ongoing-taper"}, "info"),
    "lucas-dubois": (set(), None),
    "els-jacobs": ({"sedative-co-prescription"}, "warning"),
    "tom-hermans": ({"order-too-long"}, "info"),
    "georges-lambert": (set(), None),
    "nadia-haddad": ({"opioid-and-bzra"}, "critical"),
}
SEVERITY = {"info": 0, "warning": 1, "critical": 2}
FORM_WORDS = {"en": {"tablet": "tablet", "capsule": "capsule"}, "nl": {"tablet": "tablet", "capsule": "capsule"},
              "fr": {"tablet": "comprimé", "capsule": "gélule"}}  # i18n.js order.form.*, as the order screen writes them


# ---- building the requests the demo page builds (mirrors static/ehr.js) ------------------------------


def _searchset(matches: list[dict[str, Any]], everything: list[dict[str, Any]]) -> dict[str, Any]:
    medications = {f"Medication/{r['id']}": r for r in everything if r["resourceType"] == "Medication"}
    included: list[dict[str, Any]] = []
    for resource in matches:
        medication = medications.get((resource.get("medicationReference") or {}).get("reference", ""))
        if medication is not None and medication not in included:
            included.append(medication)
    base = "http://demo.bzra-cds.invalid/fhir"
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}} for r in matches]
        + [{"fullUrl": f"{base}/Medication/{r['id']}", "resource": r, "search": {"mode": "include"}} for r in included],
    }


def prefetch_from(bundle: dict[str, Any]) -> dict[str, Any]:
    resources = [entry["resource"] for entry in bundle["entry"]]
    prefetch: dict[str, Any] = {"patient": patient_resource(bundle)}
    for key, kind in (
        ("medicationStatements", "MedicationStatement"),
        ("medicationRequests", "MedicationRequest"),
        ("medicationDispenses", "MedicationDispense"),
        ("conditions", "Condition"),
    ):
        prefetch[key] = _searchset([r for r in resources if r["resourceType"] == kind], resources)
    return prefetch


def draft_for(patient: catalog.DemoPatient, today: date, language: str) -> dict[str, Any]:
    draft = patient.draft
    product = PRODUCTS[draft.product]
    coding = [{"system": RXNORM, "code": product.rxnorm, "display": product.rxnorm_display}] if product.rxnorm else []
    coding.append({"system": ATC, "code": product.atc, "display": product.name["en"]})
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "draft-1",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"coding": coding, "text": f"{product.name[language]} {product.strength_mg:g} mg {FORM_WORDS[language][product.form]}"},
        "subject": {"reference": f"Patient/{patient.id}"},
        "authoredOn": today.isoformat(),
        "dosageInstruction": [{"text": draft.dose[language]}],
        "dispenseRequest": {"quantity": {"value": draft.quantity, "unit": product.form}, "numberOfRepeatsAllowed": draft.repeats},
    }
    if draft.reason in REASONS:
        order["reasonCode"] = [REASONS[draft.reason]]
    return order


def hook_request_for(patient: catalog.DemoPatient, bundle: dict[str, Any], today: date, language: str = "en") -> dict[str, Any]:
    return {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/demo-prescriber",
            "patientId": patient.id,
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft_for(patient, today, language)}]},
        },
        "prefetch": prefetch_from(bundle),
        "extension": {"bzra-cds.language": language},
    }
