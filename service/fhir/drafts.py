"""The draft orders a hook call is about, read as leniently as the advice allows.

A draft order in any FHIR version's shape is first rewritten into R4 (`service.fhir.tolerant`), then
read into the lean R4 model the history uses (`history_models`: only the elements the facts read, each
type-checked). The suggestions edit the order's JSON as the EHR sent it, never a re-serialisation of
this model, so a full `fhir.resources` validation would cost a third of a call for nothing. An
element that still cannot be read is left out and reported; an order whose medication cannot be read is left out and
reported. Either way the call goes on and the data card says what was not checked: only what CDS
Hooks itself requires of a request may refuse a call, and a draft order's content is not that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cds_hooks import HookContext
from service.fhir.history_models import MedicationRequest, ValidationError, error_path, read
from service.fhir.parse import resource_label, validation_summary
from service.fhir.record import DataIssue
from service.fhir.tolerant import medication_request_r4

MEDICATION_ORDER_TYPES = ("MedicationRequest", "MedicationOrder")  # R4/STU3, and DSTU2
MAX_LEFT_OUT = 8  # elements left out of one order before giving up on it
# What an order being drafted has even when the EHR leaves it out (R4 requires them).
DRAFT_DEFAULTS = {"status": "draft", "intent": "order"}

ParsedDraft = tuple[MedicationRequest, dict[str, Any]]


@dataclass
class DraftOrders:
    """The medication orders read (each with its JSON as the EHR sent it), and what could not be read."""

    orders: list[ParsedDraft] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)


def _container_field(context: HookContext) -> str:
    return "context.medications" if hasattr(context, "medications") else "context.draftOrders"


def _raw_entries(context: HookContext, issues: list[DataIssue]) -> list[tuple[str, Any]]:
    field_name = _container_field(context)
    container = getattr(context, "draftOrders", None) or getattr(context, "medications", None)
    if isinstance(container, list):
        return [(f"{field_name}[{i}]", item) for i, item in enumerate(container)]
    entries = container.get("entry") if isinstance(container, dict) else None
    if entries is None:
        return []
    if not isinstance(entries, list):
        issues.append(DataIssue(f"{field_name}.entry", "is not a list: no draft order could be read", not_checked="the draft orders", data_key="draftOrders"))
        return []
    result = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        result.append((f"{field_name}.entry[{i}].resource", resource))
    return result


def parse_draft_orders(context: HookContext) -> DraftOrders:
    """The medication orders among the drafts (other order types, e.g. ServiceRequest, are ignored).

    Each comes with its JSON as received (the same object as in the request, not a copy), so a
    suggestion can change a draft in the EHR's own shape without re-serialising the parsed model.
    """
    drafts = DraftOrders()
    for where, resource in _raw_entries(context, drafts.issues):
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            drafts.issues.append(DataIssue(where, "not a FHIR resource: this draft order could not be read", not_checked="a draft order", data_key="draftOrder"))
        elif resource["resourceType"] in MEDICATION_ORDER_TYPES:
            order, issue = read_order(resource, where, context.patientId)
            if order is not None:
                drafts.orders.append((order, resource))
            if issue is not None:
                drafts.issues.append(issue)
    return drafts


def read_order(resource: dict[str, Any], where: str, patient_id: str) -> tuple[MedicationRequest | None, DataIssue | None]:
    """The order as an R4 MedicationRequest, leaving out what cannot be read; and the issue to report."""
    label = resource_label(resource)
    data = {**DRAFT_DEFAULTS, "subject": {"reference": f"Patient/{patient_id}"}, **medication_request_r4(resource)}
    left_out: list[str] = []
    problems: list[str] = []
    while True:
        try:
            order = read(MedicationRequest, data)
        except ValidationError as error:  # one failing element at a time: each is left out in turn
            failing = sorted(set(error_path(error)[:1]) - {"resourceType"})
            problems.append(validation_summary(error))
            if not failing or len(left_out) + len(failing) > MAX_LEFT_OUT or any(name.startswith("medication") for name in failing):
                return None, _unreadable(where, label, problems)
            left_out += failing
            data = {key: value for key, value in data.items() if key not in failing}
            data = {**{k: v for k, v in DRAFT_DEFAULTS.items() if k in failing}, **data}
            if "subject" in failing:
                data["subject"] = {"reference": f"Patient/{patient_id}"}
        except (TypeError, ValueError) as error:  # raised by validators for some shapes
            return None, _unreadable(where, label, [*problems, str(error)[:200]])
        else:
            return order, _partly_read(where, label, sorted(left_out), problems) if left_out else None


def _unreadable(where: str, label: str, problems: list[str]) -> DataIssue:
    return DataIssue(
        where,
        f"draft order {label} could not be read ({'; '.join(problems)})",
        not_checked=f"draft order {label}",
        data_key="draftOrderNamed",
        values=(("order", label),),
    )


def _partly_read(where: str, label: str, left_out: list[str], problems: list[str]) -> DataIssue:
    names = ", ".join(left_out)
    return DataIssue(
        where,
        f"in draft order {label}, {names} could not be read and was left out ({'; '.join(problems)})",
        not_checked=f"{names} of draft order {label}",
        data_key="draftOrderPart",
        values=(("fields", names), ("order", label)),
    )


def selected_orders(orders: list[MedicationRequest], selections: list[str] | None) -> list[MedicationRequest]:
    """For order-select: the orders named in `selections` ("MedicationRequest/id"); otherwise all."""
    if not selections:
        return orders
    wanted = {s.split("/")[-1] for s in selections if s.split("/")[0] in MEDICATION_ORDER_TYPES}
    return [order for order in orders if order.id in wanted]
