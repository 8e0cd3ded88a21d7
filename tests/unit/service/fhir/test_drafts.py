"""Draft orders are read into the lean models, leaving out (and reporting) what cannot be read."""

from __future__ import annotations

from service.fhir.drafts import read_order
from tests.support import builders as b


def test_each_unreadable_element_is_left_out_and_named() -> None:
    """msgspec reports one failing element at a time: every one is still found, left out and named."""
    resource = b.draft_order() | {"authoredOn": "yesterday", "dispenseRequest": {"numberOfRepeatsAllowed": "many"}}
    order, issue = read_order(resource, "context.draftOrders.entry[0].resource", b.PATIENT_ID)
    assert order is not None and order.authoredOn is None and order.dispenseRequest is None
    assert order.dosageInstruction == read_order(b.draft_order(), "here", b.PATIENT_ID)[0].dosageInstruction  # type: ignore[union-attr]
    assert issue is not None and issue.data_key == "draftOrderPart"
    assert dict(issue.values)["fields"] == "authoredOn, dispenseRequest"
    assert "dispenseRequest.numberOfRepeatsAllowed: Expected `int | null`, got `str`" in issue.problem
    assert "many" not in issue.problem and "yesterday" not in issue.problem


def test_a_draft_in_an_older_shape_is_read_in_r4_form() -> None:
    stu3 = b.draft_order() | {"dosageInstruction": {"text": "2 mg at night", "doseQuantity": {"value": 2, "unit": "mg"}}, "status": None}
    order, issue = read_order({k: v for k, v in stu3.items() if v is not None}, "here", b.PATIENT_ID)
    assert issue is None and order is not None
    assert order.status == "draft" and order.dosageInstruction[0].doseAndRate[0].doseQuantity.value == 2  # type: ignore[index,union-attr]


def test_an_order_whose_medication_cannot_be_read_is_left_out() -> None:
    resource = b.draft_order() | {"medicationCodeableConcept": {"coding": "lorazepam"}}
    order, issue = read_order(resource, "here", b.PATIENT_ID)
    assert order is None and issue is not None and issue.data_key == "draftOrderNamed"
    assert "medicationCodeableConcept.coding.0" in issue.problem
