"""Rule test patients, written briefly by rule authors, expanded into a real CDS Hooks request.

`drug: lorazepam 1 mg tablet` becomes a MedicationStatement (or a draft MedicationRequest) whose
medication is that text, so tests exercise the same identification and dose parsing as EHR data.
"""

from __future__ import annotations

import uuid
from typing import Any

from service.knowledge.models import Knowledge
from service.rules.models import MedicationEntry, OrderEntry, RuleTestCase

PATIENT_ID = "rule-test-patient"
SYSTEM_URIS = {"snomed": "http://snomed.info/sct", "icd10_who": "http://hl7.org/fhir/sid/icd-10", "icd10_cm": "http://hl7.org/fhir/sid/icd-10-cm"}


class ShorthandError(ValueError):
    pass


def condition_coding(group_id: str, knowledge: Knowledge) -> dict[str, str]:
    """A code that puts a condition in `group_id` (its first SNOMED CT code, else ICD-10)."""
    group = knowledge.condition_groups.get(group_id)
    if group is None:
        raise ShorthandError(f"unknown condition group '{group_id}' (known: {', '.join(sorted(knowledge.condition_groups))})")
    if group.snomed:
        return {"system": SYSTEM_URIS["snomed"], "code": group.snomed[0].code}
    for kind, codes in (("icd10_who", group.icd10_who), ("icd10_cm", group.icd10_cm)):
        if codes:
            return {"system": SYSTEM_URIS[kind], "code": codes[0]}
    raise ShorthandError(f"condition group '{group_id}' has no code to build a test condition from")


def _statement(index: int, entry: MedicationEntry) -> dict[str, Any]:
    period = {"start": entry.start.isoformat()} if entry.start else {}
    if entry.end:
        period["end"] = entry.end.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": f"history-{index}",
        "status": entry.status or ("completed" if entry.end else "active"),
        "medicationCodeableConcept": {"text": entry.drug},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
    }
    if period:
        resource["effectivePeriod"] = period
    if entry.dose:
        resource["dosage"] = [{"text": entry.dose}]
    return resource


def _order(index: int, entry: OrderEntry, case: RuleTestCase, knowledge: Knowledge) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": f"order-{index}",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": entry.drug},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "authoredOn": case.today.isoformat(),
    }
    if entry.dose:
        resource["dosageInstruction"] = [{"text": entry.dose}]
    if entry.quantity is not None:
        resource["dispenseRequest"] = {
            "quantity": {"value": entry.quantity, "unit": "tablet"},
            "numberOfRepeatsAllowed": entry.repeats,
        }
    if entry.reason:
        resource["reasonCode"] = [{"coding": [condition_coding(entry.reason, knowledge)]}]
    return resource


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def request_for_case(case: RuleTestCase, knowledge: Knowledge) -> dict[str, Any]:
    """The CDS Hooks request a real EHR would send for this test patient, with full prefetch."""
    patient: dict[str, Any] = {"resourceType": "Patient", "id": PATIENT_ID}
    if case.age is not None:
        patient["birthDate"] = f"{case.today.year - case.age:04d}-01-01"
    history = [_statement(i, entry) for i, entry in enumerate(case.history)]
    conditions = [
        {
            "resourceType": "Condition",
            "id": f"condition-{i}",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "code": {"coding": [condition_coding(group, knowledge)]},
            "subject": {"reference": f"Patient/{PATIENT_ID}"},
        }
        for i, group in enumerate(case.conditions)
    ]
    extra: dict[str, list[dict[str, Any]]] = {"MedicationStatement": [], "MedicationRequest": [], "MedicationDispense": [], "Condition": [], "Medication": []}
    for resource in case.fhir:
        kind = resource.get("resourceType")
        if kind not in extra:
            raise ShorthandError(f"fhir: resourceType '{kind}' is not part of a medication history")
        extra[kind].append(resource)
    orders = [_order(i, entry, case, knowledge) for i, entry in enumerate(case.orders)]
    context: dict[str, Any] = {
        "userId": "Practitioner/rule-author",
        "patientId": PATIENT_ID,
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in orders]},
    }
    if case.hook == "order-select":
        context["selections"] = [f"MedicationRequest/{orders[0]['id']}"]
    if case.hook == "medication-prescribe":
        context["medications"] = context.pop("draftOrders")
    return {
        "hook": case.hook,
        "hookInstance": str(uuid.uuid4()),
        "context": context,
        "prefetch": {
            "patient": patient,
            "medicationStatements": _bundle(history + extra["MedicationStatement"]),
            "medicationRequests": _bundle(extra["MedicationRequest"] + extra["Medication"]),
            "medicationDispenses": _bundle(extra["MedicationDispense"]),
            "conditions": _bundle(conditions + extra["Condition"]),
        },
    }
