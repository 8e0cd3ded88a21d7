"""The draft orders a hook call is about: strictly parsed, since they are the subject of the advice.

Unlike history (where a bad resource is skipped), a draft order the service cannot read is a client
error: the caller gets a 4xx naming the entry, so the EHR integrator can fix it.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.medicationrequest import MedicationRequest
from pydantic import ValidationError

from cds_hooks import HookContext
from service.fhir.parse import validation_summary

MEDICATION_ORDER_TYPES = ("MedicationRequest",)


class DraftOrderError(ValueError):
    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def _container_field(context: HookContext) -> str:
    return "context.medications" if hasattr(context, "medications") else "context.draftOrders"


def _raw_entries(context: HookContext) -> list[tuple[str, Any]]:
    field = _container_field(context)
    container = getattr(context, "draftOrders", None) or getattr(context, "medications", None)
    if isinstance(container, list):
        return [(f"{field}[{i}]", item) for i, item in enumerate(container)]
    entries = container.get("entry") if isinstance(container, dict) else None
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise DraftOrderError(f"{field}.entry", "must be an array")
    result = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            raise DraftOrderError(f"{field}.entry[{i}]", "has no resource")
        result.append((f"{field}.entry[{i}].resource", entry["resource"]))
    return result


ParsedDraft = tuple[MedicationRequest, dict[str, Any]]


def parse_draft_orders(context: HookContext) -> list[ParsedDraft]:
    """The medication orders among the drafts (other order types, e.g. ServiceRequest, are ignored).

    Each comes with its JSON as received (the same object as in the request, not a copy), so a
    suggestion can change a draft without re-serialising the parsed model.
    """
    orders: list[ParsedDraft] = []
    for field, resource in _raw_entries(context):
        if not isinstance(resource, dict):
            raise DraftOrderError(field, "must be a FHIR resource object")
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            raise DraftOrderError(f"{field}.resourceType", "is missing")
        if kind not in MEDICATION_ORDER_TYPES:
            continue
        try:
            orders.append((MedicationRequest.model_validate(resource), resource))
        except ValidationError as error:
            raise DraftOrderError(field, f"invalid MedicationRequest: {validation_summary(error)}") from error
        except (TypeError, ValueError) as error:
            raise DraftOrderError(field, f"invalid MedicationRequest: {error}") from error
    return orders


def selected_orders(orders: list[MedicationRequest], selections: list[str] | None) -> list[MedicationRequest]:
    """For order-select: the orders named in `selections` ("MedicationRequest/id"); otherwise all."""
    if not selections:
        return orders
    wanted = {s.split("/")[-1] for s in selections if s.startswith("MedicationRequest/")}
    return [order for order in orders if order.id in wanted]
