"""The small-pack suggestion: applying it to the draft order gives a valid R4 resource that changes only the
quantity, the repeats and the supply, and leaves the request alone."""

from __future__ import annotations

import copy

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from pydantic import ValidationError

from service.memo import Memo
from service.suggestions import small_pack
from service.suggestions.small_pack import small_pack_suggestion
from tests.support import builders as b
from tests.support.suggestions_support import apply_update, call, record_and_facts, suggestions_of, young_patient_prefetch, zolpidem_draft


def test_small_pack_updates_only_the_quantity_repeats_and_supply() -> None:
    draft = zolpidem_draft()
    body = call(b.hook_request(drafts=[draft], prefetch=young_patient_prefetch()))
    [small] = [s for s in suggestions_of(body) if s["actions"][0]["type"] == "update"]
    assert small["label"] == "Prescribe 14 tablets (14 days), without repeats"
    updated = apply_update(draft, small["actions"][0])
    MedicationRequest.model_validate(updated)  # valid R4
    assert updated["dispenseRequest"]["quantity"] == {"value": 14, "unit": "tablet"}
    assert updated["dispenseRequest"]["numberOfRepeatsAllowed"] == 0
    assert updated["dispenseRequest"]["expectedSupplyDuration"] == {"value": 14, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}
    unchanged = copy.deepcopy(draft)
    for key in ("dispenseRequest",):
        unchanged.pop(key)
        updated = {k: v for k, v in updated.items() if k != key}
    assert updated == unchanged
    assert small["uuid"]


def test_no_small_pack_when_the_order_is_already_small() -> None:
    body = call(b.hook_request(drafts=[zolpidem_draft(quantity=7, repeats=0)], prefetch=young_patient_prefetch()))
    assert not [s for s in suggestions_of(body) if s["actions"][0]["type"] == "update"]


# ---- what each suggestion may share with the request and between calls --------------------------


def test_the_small_pack_is_a_copy_and_leaves_the_request_json_alone() -> None:
    record, facts, knowledge, _ = record_and_facts(b.hook_request(drafts=[zolpidem_draft()], prefetch=young_patient_prefetch()))
    assert facts.draft is not None
    order_json = record.draft_json[facts.draft.reference]
    before = copy.deepcopy(order_json)
    built = small_pack_suggestion(order_json, facts.draft, 14, knowledge, None, "en")
    assert built is not None
    resource = built.suggestion.actions[0].resource
    assert resource is not order_json and order_json == before  # the draft's own dispenseRequest is untouched
    for key, value in order_json.items():
        if isinstance(value, (dict, list)):
            assert resource[key] is not value, key
    resource["dosageInstruction"][0]["text"] = "changed"
    resource["note"].append({"text": "added"})
    assert order_json == before


def test_the_small_pack_still_offers_only_a_valid_dispense_request() -> None:
    record, facts, knowledge, _ = record_and_facts(b.hook_request(drafts=[zolpidem_draft()], prefetch=young_patient_prefetch()))
    assert facts.draft is not None
    order_json = copy.deepcopy(record.draft_json[facts.draft.reference])
    order_json["dispenseRequest"]["validityPeriod"] = {"start": "next week"}  # kept from the draft, not a date
    with pytest.raises(ValidationError):
        small_pack_suggestion(order_json, facts.draft, 14, knowledge, None, "en")


def test_a_dispense_request_found_valid_is_checked_once_and_an_invalid_one_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is remembered by the dispenseRequest's JSON: any change in it is checked anew."""
    checked: list[dict] = []
    real = small_pack.MedicationRequestDispenseRequest

    class Counting:
        @staticmethod
        def model_validate(value: dict) -> object:
            checked.append(copy.deepcopy(value))
            return real.model_validate(value)

    monkeypatch.setattr(small_pack, "MedicationRequestDispenseRequest", Counting)
    monkeypatch.setattr(small_pack, "_VALID", Memo(16))
    record, facts, knowledge, _ = record_and_facts(b.hook_request(drafts=[zolpidem_draft()], prefetch=young_patient_prefetch()))
    assert facts.draft is not None
    order_json = record.draft_json[facts.draft.reference]
    for _ in range(2):
        assert small_pack_suggestion(order_json, facts.draft, 14, knowledge, None, "en") is not None
    assert small_pack_suggestion(order_json, facts.draft, 7, knowledge, None, "en") is not None  # another quantity and duration
    assert len(checked) == 2 and checked[0] != checked[1]
    invalid = copy.deepcopy(order_json)
    invalid["dispenseRequest"]["validityPeriod"] = {"start": "next week"}
    for _ in range(2):
        with pytest.raises(ValidationError):
            small_pack_suggestion(invalid, facts.draft, 14, knowledge, None, "en")
    assert len(checked) == 4


def test_an_order_json_orjson_cannot_write_is_still_copied() -> None:
    """An integer beyond 64 bits (read by the standard library's JSON reader) falls back to a deep copy."""
    value = {"extension": [{"valueInteger64": 2**70}], "note": [{"text": "x"}]}
    copied = small_pack._copy(value)
    assert copied == value and copied["extension"] is not value["extension"]
