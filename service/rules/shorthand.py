"""Rule test patients, written briefly by rule authors, expanded into a real CDS Hooks request.

`drug: lorazepam 1 mg tablet` becomes a MedicationStatement (or, with `record:`, a past
MedicationRequest or a MedicationDispense; or a draft MedicationRequest) whose medication is that
text, so tests exercise the same identification and dose parsing as EHR data. Reasons become
`reasonCode` or `reasonReference`, as-needed maxima `maxDosePerPeriod`, and a written plan one
sequential Dosage per step with its `boundsPeriod`.
"""

from __future__ import annotations

import uuid
from typing import Any

from service.errors import RuleError
from service.knowledge.models import Knowledge
from service.rules.models import HistoryEntry, MedicationEntry, OrderEntry, PlanStep, RuleTestCase

PATIENT_ID = "rule-test-patient"
SYSTEM_URIS = {"snomed": "http://snomed.info/sct", "icd10_who": "http://hl7.org/fhir/sid/icd-10", "icd10_cm": "http://hl7.org/fhir/sid/icd-10-cm"}


class ShorthandError(RuleError):
    """A rule test case's shorthand that cannot be turned into a hook request."""


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


UCUM = "http://unitsofmeasure.org"
TABLET = {"unit": "tablet", "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm", "code": "TAB"}
DAYS = {"unit": "days", "system": UCUM, "code": "d"}


def _dosage(entry: MedicationEntry) -> list[dict[str, Any]]:
    """The entry's dosage: its text, plus asNeeded and maxDosePerPeriod when given."""
    dosage: dict[str, Any] = {}
    if entry.dose:
        dosage["text"] = entry.dose
    if entry.as_needed:
        dosage["asNeededBoolean"] = True
    if entry.max_per_day is not None:
        dosage["maxDosePerPeriod"] = {"numerator": {"value": entry.max_per_day, **TABLET}, "denominator": {"value": 1, **DAYS}}
    return [dosage] if dosage else []


def _plan_dosages(steps: list[PlanStep]) -> list[dict[str, Any]]:
    """A written plan as this service and EHRs write one: a Dosage per step, in sequence, with bounds."""
    return [
        {
            "sequence": number,
            "text": f"Step {number}: {step.mg:g} mg a day",
            "timing": {"repeat": {"boundsPeriod": {"start": step.start.isoformat(), "end": step.end.isoformat()}, "frequency": 1, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": step.mg, "unit": "mg", "system": UCUM, "code": "mg"}}],
        }
        for number, step in enumerate(steps, 1)
    ]


class _Reasons:
    """Reason codes and the Conditions that reasonReference points at, for one test patient."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.conditions: list[dict[str, Any]] = []

    def add(self, resource: dict[str, Any], entry: MedicationEntry) -> None:
        codes = []
        if entry.reason:
            codes.append({"coding": [condition_coding(entry.reason, self.knowledge)]})
        if entry.reason_code is not None:
            codes.append({"coding": [{"system": SYSTEM_URIS[entry.reason_code.system], "code": entry.reason_code.code}]})
        if codes:
            resource["reasonCode"] = codes
        if entry.reason_reference:
            condition = _condition(f"reason-{len(self.conditions)}", entry.reason_reference, self.knowledge)
            self.conditions.append(condition)
            resource["reasonReference"] = [{"reference": f"Condition/{condition['id']}"}]


def _medication(resource_type: str, rid: str, entry: MedicationEntry) -> dict[str, Any]:
    return {
        "resourceType": resource_type,
        "id": rid,
        "medicationCodeableConcept": {"text": entry.drug},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
    }


def _statement(rid: str, entry: HistoryEntry) -> dict[str, Any]:
    resource = _medication("MedicationStatement", rid, entry)
    resource["status"] = entry.status or ("completed" if entry.end else "active")
    period = {"start": entry.start.isoformat()} if entry.start else {}
    if entry.end:
        period["end"] = entry.end.isoformat()
    if period:
        resource["effectivePeriod"] = period
    if _dosage(entry):
        resource["dosage"] = _dosage(entry)
    return resource


def _dispense_request(entry: MedicationEntry, days_supply: float | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"numberOfRepeatsAllowed": entry.repeats}
    if entry.quantity is not None:
        request["quantity"] = {"value": entry.quantity, **TABLET}
    if days_supply is not None:
        request["expectedSupplyDuration"] = {"value": days_supply, **DAYS}
    return request


def _history_order(rid: str, entry: HistoryEntry, reasons: _Reasons) -> dict[str, Any]:
    resource = _medication("MedicationRequest", rid, entry)
    resource["status"] = entry.status or ("completed" if entry.end else "active")
    resource["intent"] = "order"
    if entry.start:
        resource["authoredOn"] = entry.start.isoformat()
    dosages = _plan_dosages(entry.steps) if entry.steps else _dosage(entry)
    if dosages:
        resource["dosageInstruction"] = dosages
    if entry.quantity is not None or entry.days_supply is not None:
        resource["dispenseRequest"] = _dispense_request(entry, entry.days_supply)
    reasons.add(resource, entry)
    return resource


def _dispense(rid: str, entry: HistoryEntry) -> dict[str, Any]:
    resource = _medication("MedicationDispense", rid, entry)
    resource["status"] = entry.status or "completed"
    if entry.start:
        resource["whenHandedOver"] = entry.start.isoformat()
    if entry.quantity is not None:
        resource["quantity"] = {"value": entry.quantity, **TABLET}
    if entry.days_supply is not None:
        resource["daysSupply"] = {"value": entry.days_supply, **DAYS}
    if _dosage(entry):
        resource["dosageInstruction"] = _dosage(entry)
    return resource


def _history(case: RuleTestCase, reasons: _Reasons) -> dict[str, list[dict[str, Any]]]:
    kinds: dict[str, list[dict[str, Any]]] = {"statement": [], "order": [], "dispense": []}
    for index, entry in enumerate(case.history):
        rid = f"history-{index}"
        if entry.steps and entry.record != "order":
            raise ShorthandError(f"history {index}: a plan with steps is an order (record: order)")
        if entry.record == "statement":
            kinds["statement"].append(_statement(rid, entry))
        elif entry.record == "order":
            kinds["order"].append(_history_order(rid, entry, reasons))
        else:
            kinds["dispense"].append(_dispense(rid, entry))
    return kinds


def _order(index: int, entry: OrderEntry, case: RuleTestCase, reasons: _Reasons) -> dict[str, Any]:
    resource = _medication("MedicationRequest", f"order-{index}", entry)
    resource.update({"status": "draft", "intent": "order", "authoredOn": case.today.isoformat()})
    dosages = _plan_dosages(entry.steps) if entry.steps else _dosage(entry)
    if dosages:
        resource["dosageInstruction"] = dosages
    if entry.quantity is not None:
        resource["dispenseRequest"] = _dispense_request(entry)
    reasons.add(resource, entry)
    return resource


def _condition(rid: str, group: str, knowledge: Knowledge) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [condition_coding(group, knowledge)]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
    }


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def request_for_case(case: RuleTestCase, knowledge: Knowledge) -> dict[str, Any]:
    """The CDS Hooks request a real EHR would send for this test patient, with full prefetch."""
    patient: dict[str, Any] = {"resourceType": "Patient", "id": PATIENT_ID}
    if case.age is not None:
        patient["birthDate"] = f"{case.today.year - case.age:04d}-01-01"
    reasons = _Reasons(knowledge)
    history = _history(case, reasons)
    orders = [_order(i, entry, case, reasons) for i, entry in enumerate(case.orders)]
    conditions = [_condition(f"condition-{i}", group, knowledge) for i, group in enumerate(case.conditions)]
    extra: dict[str, list[dict[str, Any]]] = {"MedicationStatement": [], "MedicationRequest": [], "MedicationDispense": [], "Condition": [], "Medication": []}
    for resource in case.fhir:
        kind = resource.get("resourceType")
        if kind not in extra:
            raise ShorthandError(f"fhir: resourceType '{kind}' is not part of a medication history")
        extra[kind].append(resource)
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
            "medicationStatements": _bundle(history["statement"] + extra["MedicationStatement"]),
            "medicationRequests": _bundle(history["order"] + extra["MedicationRequest"] + extra["Medication"]),
            "medicationDispenses": _bundle(history["dispense"] + extra["MedicationDispense"]),
            "conditions": _bundle(conditions + reasons.conditions + extra["Condition"]),
        },
    }
