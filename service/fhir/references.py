"""Follow `medicationReference` to the Medication it names: contained, in the data, or read earlier."""

from __future__ import annotations

from typing import Any

from service.fhir.history_models import Medication


def medication_reference(resource: Any) -> str | None:
    """The `medicationReference.reference` of a MedicationRequest/Statement/Dispense, if it uses one."""
    ref = getattr(resource, "medicationReference", None)
    return getattr(ref, "reference", None) if ref is not None else None


def resolve_medication(resource: Any, medications: dict[str, Medication]) -> Medication | None:
    """The Medication a resource points to, or None when it is coded inline or cannot be found."""
    ref = medication_reference(resource)
    if not ref:
        return None
    if ref.startswith("#"):
        for contained in getattr(resource, "contained", None) or []:
            if contained.get_resource_type() == "Medication" and contained.id == ref[1:]:
                return contained
        return None
    if ref in medications:
        return medications[ref]
    tail = "/".join(ref.rstrip("/").split("/")[-2:])  # absolute URL -> "Medication/id"
    return medications.get(tail)
