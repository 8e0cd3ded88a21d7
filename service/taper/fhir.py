"""A taper plan as FHIR R4 MedicationRequests (status draft), in the request's language.

One request per drug the plan prescribes, with one Dosage per step (`sequence` = the step's number;
a week of two doses gives two Dosages with the same sequence, each `frequency` times a week, and
drug-free days are the days a week without a dose). A cross-taper orders two drugs: the drug being
replaced (its dose during the cross-taper, then stopped) and diazepam (from the first week); both
carry the same `groupIdentifier`, so the EHR keeps them together. Belgian magistral capsules are a
contained compounded Medication whose text is the prescription the pharmacist needs (R/ ... S/ ...).
"""

from __future__ import annotations

import uuid
from typing import Any

from service.taper.handout_texts import LABELS
from service.taper.model import Intake, TaperPlan, TaperStep
from service.taper.note_texts import note_text
from service.taper.step_words import step_short
from service.taper.wording import elide, fmt_date, fmt_number, language_or_default

__all__ = ["group_identifier", "plan_medication_request", "plan_medication_requests"]

ATC_SYSTEM = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"


def _timing(step: TaperStep, intake: Intake) -> dict[str, Any]:
    repeat: dict[str, Any] = {"boundsPeriod": {"start": step.start.isoformat(), "end": step.end.isoformat()}}
    if intake.days_per_week >= 7:
        repeat.update(frequency=1, period=1, periodUnit="d")
    else:
        repeat.update(frequency=intake.days_per_week, period=1, periodUnit="wk")
    return {"repeat": repeat}


def _dose(mg: float) -> list[dict[str, Any]]:
    return [{"doseQuantity": {"value": round(mg, 4), "unit": "mg", "system": UCUM, "code": "mg"}}]


def _step_text(step: TaperStep, plan: TaperPlan, drug: str, language: str) -> str:
    words = LABELS[language]
    name = plan.label(drug).name(language)
    if step.kind == "stop":
        return elide(words["stop_step"].format(drug=name, date=fmt_date(step.start, language)), language)
    average = sum(i.mg * i.days_per_week / 7 for i in step.intakes if i.drug == drug)
    what = step_short(step, plan, language)
    if step.kind == "switch" and plan.switch_phase == "switch_day":
        drugs = [(plan.drug, plan.start_dose_mg), *plan.also_taking]
        named = ", ".join(f"{plan.label(d).name(language)} {fmt_number(mg, language)} mg" for d, mg in drugs)
        what = words["switch_prefix"].format(drugs=named) + what
    text = words["dosage"].format(
        number=step.number,
        kind=words["kinds"][step.kind],
        what=what,
        start=fmt_date(step.start, language),
        end=fmt_date(step.end, language),
        average=fmt_number(average, language, 2),
        drug=name,
    )
    return elide(text, language)


def _dosages(plan: TaperPlan, drug: str, language: str) -> list[dict[str, Any]]:
    """One Dosage per step and intake of `drug`; the stop (for the drug replaced: when it ends) as text."""
    dosages: list[dict[str, Any]] = []
    for step in plan.steps:
        intakes = [intake for intake in step.intakes if intake.drug == drug]
        if step.kind == "stop" and drug == plan.taper_drug:
            dosages.append({"sequence": step.number, "text": _step_text(step, plan, drug, language)})
        for intake in intakes:
            text = _step_text(step, plan, drug, language)
            dosages.append({"sequence": step.number, "text": text, "timing": _timing(step, intake), "doseAndRate": _dose(intake.mg)})
    if drug != plan.taper_drug:
        ends = next(step for step in plan.steps if not any(i.drug == drug for i in step.intakes))
        words = LABELS[language]
        text = elide(words["stop_other"].format(drug=plan.label(drug).name(language), date=fmt_date(ends.start, language),
                                                target=plan.label(plan.taper_drug).name(language)), language)
        dosages.append({"sequence": ends.number, "text": text})
    return dosages


def _concept(plan: TaperPlan, drug: str, language: str) -> dict[str, Any]:
    label = plan.label(drug)
    concept: dict[str, Any] = {"text": label.name(language)}
    if label.atc:
        concept["coding"] = [{"system": ATC_SYSTEM, "code": label.atc, "display": label.name("en")}]
    return concept


def _magistral(plan: TaperPlan, resource: dict[str, Any], language: str) -> None:
    """Order the capsules as a contained compounded Medication; its text is the step-by-step R/ ... S/ ..."""
    drug = plan.taper_drug
    texts = "\n\n".join(prescription.text(language) for prescription in plan.prescriptions)
    medication = {
        "resourceType": "Medication",
        "id": "magistral",
        "code": {"text": texts},
        "form": {"text": {"en": "capsule (magistral preparation)", "nl": "capsule (magistrale bereiding)",
                          "fr": "gélule (préparation magistrale)"}[language]},
        "ingredient": [{"itemCodeableConcept": _concept(plan, drug, language), "isActive": True}],
    }
    resource.pop("medicationCodeableConcept")
    resource["contained"] = [medication]
    resource["medicationReference"] = {"reference": "#magistral", "display": plan.label(drug).name(language)}


def _request(plan: TaperPlan, drug: str, subject: dict[str, Any], group: dict[str, str], language: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "order",
        "groupIdentifier": group,
        "medicationCodeableConcept": _concept(plan, drug, language),
        "subject": subject,
        "dosageInstruction": _dosages(plan, drug, language),
    }
    if drug == plan.taper_drug:
        notes = [note_text(note.code, note.values, language) if hasattr(note, "code") else str(note) for note in plan.notes]
        if notes:
            resource["note"] = [{"text": note} for note in notes]
        if plan.prescriptions:
            _magistral(plan, resource, language)
    return resource


def group_identifier(plan: TaperPlan, patient_reference: str | None) -> dict[str, str]:
    """The `groupIdentifier` the plan's requests share for this patient."""
    return patient_group_identifier(plan_group_key(plan), patient_reference)


def plan_group_key(plan: TaperPlan) -> str:
    """The plan's part of its group's key: what makes it the same plan (one per plan, kept by callers
    that give it to many patients)."""
    return "|".join(str(part) for part in (plan.drug, plan.start_dose_mg, plan.also_taking, plan.protocol,
                                           plan.pace, plan.form, plan.market, plan.steps[0].start, len(plan.steps)))


def patient_group_identifier(plan_key: str, patient_reference: str | None) -> dict[str, str]:
    """The same plan for the same patient gets the same group, so a repeated suggestion is recognised."""
    group = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:bzra-cds:taper:{patient_reference}|{plan_key}")
    return {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{group}"}


def plan_medication_requests(plan: TaperPlan, patient_reference: str | None = None, language: str = "en") -> list[dict[str, Any]]:
    """The plan's MedicationRequests: the tapered drug's, and before it the replaced drug's in a cross-taper."""
    language = language_or_default(language)
    subject = {"reference": patient_reference} if patient_reference else {"display": "Patient (not specified)"}
    group = group_identifier(plan, patient_reference)
    drugs = dict.fromkeys(intake.drug for step in plan.steps for intake in step.intakes)
    others = [drug for drug in drugs if drug != plan.taper_drug]
    return [_request(plan, drug, subject, group, language) for drug in [*others, plan.taper_drug]]


def plan_medication_request(plan: TaperPlan, patient_reference: str | None = None, language: str = "en") -> dict[str, Any]:
    """The MedicationRequest of the tapered drug (the whole plan, its notes and sources)."""
    return plan_medication_requests(plan, patient_reference, language)[-1]
