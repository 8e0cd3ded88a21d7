"""Identify and dose the medication of one MedicationRequest, MedicationStatement or Dispense.

Joins identification (what is it, what strength) with the dose parser (how much a day) and the
equivalence table (how much diazepam that is), so every resource is read the same way.
"""

from __future__ import annotations

from typing import Any

import msgspec

from service.fhir.history_models import Medication

from service.facts.dose import DailyDose, daily_dose
from service.facts.identify import MedicationIdentity, identify_concept, identify_medication, identify_text
from service.fhir.references import resolve_medication
from service.knowledge.models import Knowledge


class DosedMedication(msgspec.Struct, frozen=True, gc=False):  # no cycles: left out of the GC's passes
    name: str
    identity: MedicationIdentity
    dose: DailyDose
    de_mg_per_day: float | None
    de_derivation: str


def medication_name(resource: Any, medication: Medication | None) -> str:
    concept = resource.medicationCodeableConcept or (medication.code if medication else None)
    if concept is not None:
        if concept.text:
            return concept.text
        for coding in concept.coding or []:
            if coding.display:
                return coding.display
    ref = resource.medicationReference
    return (ref.display if ref is not None and ref.display else None) or "unnamed medication"


def identify_resource(resource: Any, medication: Medication | None, knowledge: Knowledge) -> MedicationIdentity:
    """`medication`: what the resource's medicationReference resolves to, if it uses one."""
    if resource.medicationCodeableConcept is not None:
        return identify_concept(resource.medicationCodeableConcept, knowledge)
    if medication is not None:
        return identify_medication(medication, knowledge)
    display = resource.medicationReference.display if resource.medicationReference else None
    return identify_text(display, knowledge)


def draft_identity(order: Any, knowledge: Knowledge) -> MedicationIdentity | None:
    """What a draft order is, from the order alone (a coded or contained medication); None when it
    names a Medication elsewhere, which only the history or the FHIR server can tell."""
    medication = resolve_medication(order, {})
    if order.medicationCodeableConcept is None and medication is None:
        return None
    return identify_resource(order, medication, knowledge)


def dosages_of(resource: Any) -> list[Any]:
    kind = resource.get_resource_type()
    return list((resource.dosage if kind == "MedicationStatement" else resource.dosageInstruction) or [])


def diazepam_equivalent(
    drug: str | None, mg_per_day: float | None, knowledge: Knowledge, table: str
) -> tuple[float | None, str]:
    """mg/day of diazepam for `mg_per_day` of `drug`: DE = mg/day × 10 / (mg equal to 10 mg diazepam)."""
    if drug is None:
        return None, "not a recognised BZRA ingredient"
    if mg_per_day is None:
        return None, "daily dose unknown"
    found = knowledge.eq10(drug, table)
    if found is None:
        return None, f"no diazepam equivalence for {drug} in the {table} table (or its fallbacks)"
    used, eq = found
    de = mg_per_day * 10 / eq.value
    return de, f"{mg_per_day:g} mg/day × 10 / {eq.value:g} mg ({used} table: {eq.original}) = {de:.1f} mg/day diazepam"


def dose_resource(resource: Any, medications: dict[str, Medication], knowledge: Knowledge, table: str) -> DosedMedication:
    medication = resolve_medication(resource, medications)
    return dose_identified(resource, medication, identify_resource(resource, medication, knowledge), knowledge, table)


def dose_identified(
    resource: Any, medication: Medication | None, identity: MedicationIdentity, knowledge: Knowledge, table: str
) -> DosedMedication:
    """`dose_resource` once identified: the history identifies first and doses only what it recognises."""
    per_unit = identity.strength_mg if identity.strength_per == "unit" else None
    per_ml = identity.strength_mg if identity.strength_per == "mL" else None
    dose = daily_dose(dosages_of(resource), per_unit, mg_per_ml=per_ml)
    de, de_how = diazepam_equivalent(identity.bzra, dose.mg_per_day, knowledge, table)
    name = medication_name(resource, medication)
    return DosedMedication(name, identity, dose, de, de_how)
