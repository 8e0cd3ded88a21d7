"""Read medication orders the way a tolerant FHIR reader would, whatever shape the EHR printed.

CDS Hooks is "designed to be agnostic of FHIR version", and real EHRs send:
- a single object where R4 wants a list (`category`, `dosageInstruction`, `doseAndRate`, `coding`…);
- STU3 forms: the dose and rate directly on the Dosage (`doseQuantity`, `rateRatio`…), a single
  `category`, `requester.agent`, `context` for the encounter;
- DSTU2 `MedicationOrder` (the retired `medication-prescribe` hook): `patient`, `prescriber`,
  `dateWritten`, `reasonCodeableConcept`, a string `note`, `periodUnits` in the timing.

Each is rewritten into its R4 form on a copy (the EHR's JSON is never changed), so the rest of the
service reads one shape. Nothing here validates: what still does not fit R4 is found when the
result is read into a model (`service.fhir.drafts`). A single object where R4 has a list is made a
list there, for the elements the models read (`history_models.read`).
"""

from __future__ import annotations

from typing import Any

DOSE_AND_RATE_ELEMENTS = ("doseQuantity", "doseRange", "rateRatio", "rateRange", "rateQuantity")
DSTU2_DOSAGE_RENAMES = {"additionalInstructions": "additionalInstruction"}
DSTU2_TIMING_RENAMES = {"periodUnits": "periodUnit", "durationUnits": "durationUnit", "boundsQuantity": "boundsDuration"}
DSTU2_ORDER_RENAMES = {
    "patient": "subject",
    "prescriber": "requester",
    "dateWritten": "authoredOn",
    "reasonCodeableConcept": "reasonCode",
}
DSTU2_ORDER_DROPPED = ("dateEnded", "reasonEnded", "substitution")  # no R4 place the advice reads


def as_list(value: Any) -> Any:
    """A lone value where a list belongs, as a one-item list; lists and None unchanged."""
    return value if value is None or isinstance(value, list) else [value]


def dosage_r4(dosage: Any) -> Any:
    """A Dosage in its R4 form: STU3/DSTU2 put the dose and rate on the Dosage itself, not in `doseAndRate`."""
    if not isinstance(dosage, dict) or not _has_old_elements(dosage):
        return dosage
    converted = _renamed({k: v for k, v in dosage.items() if k not in DOSE_AND_RATE_ELEMENTS}, DSTU2_DOSAGE_RENAMES)
    lifted = {key: dosage[key] for key in DOSE_AND_RATE_ELEMENTS if key in dosage}
    if lifted:
        converted["doseAndRate"] = [*(as_list(dosage.get("doseAndRate")) or []), lifted]
    timing = converted.get("timing")
    if isinstance(timing, dict) and isinstance(timing.get("repeat"), dict):
        converted["timing"] = {**timing, "repeat": _renamed(timing["repeat"], DSTU2_TIMING_RENAMES)}
    return converted


def _has_old_elements(dosage: dict[str, Any]) -> bool:
    if any(key in dosage for key in (*DOSE_AND_RATE_ELEMENTS, *DSTU2_DOSAGE_RENAMES)):
        return True
    repeat = dosage.get("timing", {}).get("repeat") if isinstance(dosage.get("timing"), dict) else None
    return isinstance(repeat, dict) and any(key in repeat for key in DSTU2_TIMING_RENAMES)


def _renamed(data: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """`data` with old element names replaced by new ones (unless the new one is there already)."""
    result = {}
    for key, value in data.items():
        target = renames.get(key, key)
        result[key if target in data else target] = value
    return result


def _stu3_requester(value: Any) -> Any:
    """STU3 `requester` was a backbone element holding `agent`; R4 has the Reference itself."""
    if isinstance(value, dict) and isinstance(value.get("agent"), dict):
        return value["agent"]
    return value


def medication_order_r4(order: dict[str, Any]) -> dict[str, Any]:
    """A DSTU2 MedicationOrder as the R4 MedicationRequest it became (same id, so suggestions can name it)."""
    converted = _renamed({k: v for k, v in order.items() if k not in DSTU2_ORDER_DROPPED}, DSTU2_ORDER_RENAMES)
    converted["resourceType"] = "MedicationRequest"
    converted.setdefault("intent", "order")
    if isinstance(converted.get("note"), str):
        converted["note"] = [{"text": converted["note"]}]
    request = converted.get("dispenseRequest")
    if isinstance(request, dict):  # DSTU2 could name the medication again here; R4 cannot
        converted["dispenseRequest"] = {k: v for k, v in request.items() if not k.startswith("medication")}
    return converted


def medication_request_r4(resource: dict[str, Any]) -> dict[str, Any]:
    """Any version's medication order (R4, STU3 MedicationRequest, DSTU2 MedicationOrder) in R4 shape."""
    converted = medication_order_r4(resource) if resource.get("resourceType") == "MedicationOrder" else dict(resource)
    if "requester" in converted:
        converted["requester"] = _stu3_requester(converted["requester"])
    if "context" in converted and "encounter" not in converted:  # STU3 name of the encounter
        converted["encounter"] = converted.pop("context")
    if isinstance(converted.get("dosageInstruction"), dict | list):
        converted["dosageInstruction"] = [dosage_r4(d) for d in as_list(converted["dosageInstruction"])]
    return converted
