"""Histories decoded straight from their bytes read exactly as the tolerant path reads their JSON.

The typed decoders (`split_entries`, `decode_resource`) take ordinary R4; every other shape falls back
to the tolerant path, which must then give the same resources, the same messages and the same
skipped-and-reported entries as when the payload arrived parsed.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.fhir import gather
from service.fhir.client import FhirError, _json_or_error
from service.fhir.gather import read_payload
from service.fhir.history_cache import ReadPayload
from service.fhir.parse import decode_resource, next_link, page_head, split_entries
from service.strict_json import RawJson, loads_strict
from tests.support import builders as b
from tests.support import paths

WHERE = "prefetch.medicationRequests"
FIXTURES = paths.FIXTURES / "fhir"


def read_both_ways(raw: bytes, monkeypatch: pytest.MonkeyPatch, room: int = 1000) -> tuple[ReadPayload, ReadPayload, int]:
    """(read from the bytes, read from the parsed JSON, resources the bytes' reading left to `parse_resource`)."""
    tolerant: list[Any] = []
    parse_resource = gather.parse_resource
    monkeypatch.setattr(gather, "parse_resource", lambda data, where: tolerant.append(data) or parse_resource(data, where))
    from_bytes = read_payload(RawJson(raw), WHERE, room, b.PATIENT_ID)
    fallbacks = len(tolerant)
    return from_bytes, read_payload(loads_strict(raw), WHERE, room, b.PATIENT_ID), fallbacks


def fixture_resources() -> list[dict[str, Any]]:
    files = [p for p in sorted(FIXTURES.glob("*.json")) if not p.name.startswith(("cds-", "invalid-", "bundle-"))]
    resources = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    return [r for r in resources if r["resourceType"] in gather.RECORD_LISTS or r["resourceType"] in ("Medication", "Patient")]


def test_ordinary_r4_is_decoded_from_its_bytes_into_the_same_models(monkeypatch: pytest.MonkeyPatch) -> None:
    resources = [b.medication_request(), b.medication_statement(), b.medication(), b.condition(), b.patient(), *fixture_resources()]
    from_bytes, from_json, fallbacks = read_both_ways(orjson.dumps(b.searchset(*resources)), monkeypatch)
    assert fallbacks == 0
    assert from_bytes == from_json and len(from_bytes.items) == len(resources) > 10
    assert all(item.resource is not None and item.issue is None for item in from_bytes.items)


def test_one_resource_not_sent_as_a_bundle_is_decoded_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from_bytes, from_json, fallbacks = read_both_ways(orjson.dumps(b.patient()), monkeypatch)
    assert fallbacks == 0 and from_bytes == from_json and from_bytes.items[0].location == WHERE


def r4_request(**changes: Any) -> dict[str, Any]:
    return {k: v for k, v in (b.medication_request("tolerant") | changes).items() if v is not None}


DSTU2_ORDER = {
    "resourceType": "MedicationOrder", "id": "mo-1", "status": "active", "patient": {"reference": f"Patient/{b.PATIENT_ID}"},
    "dateWritten": "2026-01-05", "medicationCodeableConcept": {"text": "lorazepam 1 mg tablet"},
    "dosageInstruction": [{"doseQuantity": {"value": 1}, "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnits": "d"}}}],
}
LONE_SURROGATE = "\udc80"  # written as the escape `\udc80` by json.dumps

# Shapes only the tolerant path reads, and resources it skips and reports: read from the bytes, each
# must give exactly what the parsed JSON gives (the same models, the same issues and messages).
FALLBACKS = {
    "single-coding": r4_request(medicationCodeableConcept={"coding": {"system": "s", "code": "c"}}),
    "single-dosage": r4_request(dosageInstruction={"text": "1 at night"}),
    "stu3-dosage": r4_request(dosageInstruction=[{"doseQuantity": {"value": 2, "unit": "mg"}, "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnits": "d"}}}]),
    "stu3-requester": r4_request(requester={"agent": {"reference": "Practitioner/1"}}, context={"reference": "Encounter/1"}, dosageInstruction={"text": "x"}),
    "lax-numbers": r4_request(dosageInstruction=[{"doseAndRate": [{"doseQuantity": {"value": "1.5"}}], "timing": {"repeat": {"frequency": 2.0}}}]),
    "contained-patient": r4_request(medicationCodeableConcept=None, medicationReference={"reference": "#m"},
                                    contained=[{"resourceType": "Patient", "id": "p"}, {"resourceType": "Medication", "id": "m"}]),
    "stu3-condition": {**b.condition(), "clinicalStatus": "active", "assertedDate": "2020-02-03"},
    "dstu2-order": DSTU2_ORDER,
    "wrong-type": b.medication_statement(status=7),
    "bad-date": r4_request(authoredOn="23/11/2026"),
    "no-medication": r4_request(medicationCodeableConcept=None),
    "no-resource-type": {"id": "x", "status": "active"},
    "unknown-type": {"resourceType": "NotAThing", "id": "1"},
    "other-fhir-type": {"resourceType": "OperationOutcome", "issue": []},
    "not-an-object": ["a", "list"],
    "null": None,
}
# Read by the typed decoders, and then reported as before: resources of another patient (R4 `subject`,
# DSTU2 `patient`, which no model reads).
ANOTHER_PATIENTS = {
    "other-patient": b.medication_statement("ms-other", subject={"reference": "Patient/someone-else"}),
    "dstu2-patient-element": {"resourceType": "MedicationDispense", "id": "md-1", "status": "completed", "patient": {"reference": "Patient/someone-else"},
                              "medicationCodeableConcept": {"text": "x"}},
}
# msgspec refuses a lone surrogate escape anywhere, even where it skips: the whole Bundle is read as JSON.
SURROGATES = {
    "surrogate-in-a-read-element": r4_request(dosageInstruction=[{"text": f"1 tablet {LONE_SURROGATE}"}]),
    "surrogate-in-an-unread-element": r4_request(note=[{"text": LONE_SURROGATE}]),
}
CASES = [(resource, 1) for resource in FALLBACKS.values()] + [(r, 0) for r in ANOTHER_PATIENTS.values()] + [(r, 3) for r in SURROGATES.values()]


@pytest.mark.parametrize(("resource", "tolerant_reads"), CASES, ids=[*FALLBACKS, *ANOTHER_PATIENTS, *SURROGATES])
def test_what_the_typed_decoders_cannot_read_is_read_as_from_parsed_json(resource: Any, tolerant_reads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tolerant_reads`: 1 when only the odd one out leaves the typed decoders, 3 when the whole Bundle does."""
    bundle = b.searchset(b.medication_request("mr-ok"), b.medication_statement())
    bundle["entry"].insert(1, {"fullUrl": "http://ehr.test/fhir/x", "resource": resource})
    from_bytes, from_json, fallbacks = read_both_ways(json.dumps(bundle).encode(), monkeypatch)
    assert from_bytes == from_json and len(from_bytes.items) == 3
    assert fallbacks == tolerant_reads
    assert from_bytes.items[0].resource is not None and from_bytes.items[2].resource is not None
    assert from_bytes.items[1].other_patient is (resource in ANOTHER_PATIENTS.values())


def places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value below its top."""
    found = [at] if at else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found += places(item, (*at, key))
    return found


HISTORY = b.searchset(b.medication_request(), b.medication_statement(), b.medication(), b.condition(), b.patient())
PLACES = places(HISTORY)
# Any JSON value, integers beyond 64 bits too (orjson reads them as floats, msgspec as integers).
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from([2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30]) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5)
    | st.sampled_from(["2026-01-05", "2026-01-05T10:00:00Z", "active", "d", LONE_SURROGATE, "Patient/someone-else"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["value", "reference", "text", "code", "x"]), children, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(place=st.sampled_from(PLACES), value=JSON_VALUES)
def test_any_value_anywhere_reads_from_the_bytes_as_from_the_parsed_json(place: tuple[Any, ...], value: Any) -> None:
    bundle = copy.deepcopy(HISTORY)
    parent = bundle
    for step in place[:-1]:
        parent = parent[step]
    parent[place[-1]] = value
    raw = json.dumps(bundle).encode()
    assert read_payload(RawJson(raw), WHERE, 1000, b.PATIENT_ID) == read_payload(loads_strict(raw), WHERE, 1000, b.PATIENT_ID)


def test_a_bad_resource_is_skipped_and_reported_and_the_others_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = b.searchset(b.medication_statement("ms-1"), b.medication_statement("ms-bad", status=7), b.medication_statement("ms-3"))
    from_bytes, from_json, fallbacks = read_both_ways(orjson.dumps(bundle), monkeypatch)
    assert from_bytes == from_json and fallbacks == 1
    assert [item.resource.id if item.resource else None for item in from_bytes.items] == ["ms-1", None, "ms-3"]
    issue = from_bytes.items[1].issue
    assert issue is not None and issue.skipped == "MedicationStatement/ms-bad" and issue.where == f"{WHERE} entry 1"
    assert issue.problem == "invalid MedicationStatement: status: Expected `str`, got `int`"


@pytest.mark.parametrize(
    "payload",
    [[b.medication_statement()], {"resourceType": "Bundle", "entry": [7]}, {"resourceType": "Bundle", "entry": {"resource": b.patient()}},
     {"resourceType": "Bundle", "entry": [{"fullUrl": 5, "resource": b.medication()}]}, {"resourceType": "Bundle"}],
    ids=["list", "entry-not-an-object", "entry-not-a-list", "fullUrl-not-a-string", "no-entries"],
)
def test_payloads_of_other_shapes_read_as_from_parsed_json(payload: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from_bytes, from_json, _ = read_both_ways(orjson.dumps(payload), monkeypatch)
    assert from_bytes == from_json


def test_the_resource_limit_counts_the_same_and_reads_no_further(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = b.searchset(*(b.medication_statement(f"ms-{i}") for i in range(4)), b.medication_statement("ms-bad", status=7))
    from_bytes, from_json, fallbacks = read_both_ways(orjson.dumps(bundle), monkeypatch, room=2)
    assert from_bytes == from_json and from_bytes.sent == 5 and len(from_bytes.items) == 2 and fallbacks == 0


def test_split_and_decode_refuse_what_is_not_plain_r4() -> None:
    assert split_entries(b'[{"resourceType": "Patient"}]', WHERE) is None
    assert split_entries(b'{"resourceType": "Bundle", "entry": [{"resource": {"a": NaN}}]}', WHERE) is None
    assert split_entries(b'{"resourceType": "Bundle", "entry": [{"resource": {"a": "\\udc80"}}]}', WHERE) is None
    assert decode_resource(orjson.dumps(b.medication_statement(status=7))) is None
    assert decode_resource(orjson.dumps({"resourceType": "OperationOutcome"})) is None
    assert decode_resource(b"[" * 5000 + b"]" * 5000) is None  # too deep for msgspec: refused, not a crash
    decoded = decode_resource(orjson.dumps(b.medication_statement()))
    assert decoded is not None and decoded[0].id == "ms-1" and decoded[1].subject == {"reference": f"Patient/{b.PATIENT_ID}"}


# ---- FHIR answers: checked without being parsed ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b'{"resourceType": "Bundle", "entry": []}', "Bundle"),
        (b'{"id": "1", "resourceType": "Patient"}', "Patient"),
        (b'{"resourceType": "Patient", "text": {"div": "\xff"}}', None),  # invalid UTF-8 where no model reads
        (b'{"resourceType": "Patient", "x": NaN}', None),
        (b'{"resourceType": "Patient", "x": "\\udc80"}', None),  # left to loads_strict, which repairs it
        (b'{"resourceType": 7}', None),
        (b'[{"resourceType": "Patient"}]', None),
        (b'{"resourceType": "Patient"} trailing', None),
    ],
)
def test_the_resource_type_of_an_answer_is_found_only_in_plainly_valid_json(raw: bytes, kind: str | None) -> None:
    head = page_head(raw)
    assert (head.resourceType if head is not None else None) == kind


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b'{"resourceType": "Patient", "text": {"div": "\xff"}}', "not_fhir"),
        (b'{"resourceType": "Patient", "x": Infinity}', "not_fhir"),
        (b'{"resourceType": "OperationOutcome", "issue": [{"diagnostics": "no such patient"}]}', "server_error"),
        (b'{"resourceType": "Patient", "name": [{"text": "\\udc80"}]}', None),  # repaired by loads_strict, as before
        (b'{"resourceType": "Patient", "id": "p"}', None),
    ],
)
def test_an_answer_is_refused_or_accepted_as_when_it_was_parsed(raw: bytes, kind: str | None) -> None:
    if kind is None:
        _json_or_error(200, raw)
        return
    with pytest.raises(FhirError) as raised:
        _json_or_error(200, raw)
    assert raised.value.kind == kind


@pytest.mark.parametrize(
    ("page", "link"),
    [
        (b.searchset(b.patient(), next_url="http://ehr.test/fhir/Patient?page=2"), "http://ehr.test/fhir/Patient?page=2"),
        (b.searchset(b.patient()), None),
        ({"resourceType": "Bundle", "link": {"relation": "next", "url": "x"}}, None),
        ({"resourceType": "Bundle", "link": [{"relation": "next", "url": "u", "extension": [{"valueString": LONE_SURROGATE}]}]}, "u"),
    ],
    ids=["next", "none", "link-not-a-list", "lone-surrogate"],
)
def test_the_next_link_is_read_from_the_bytes(page: dict[str, Any], link: str | None) -> None:
    assert next_link(json.dumps(page).encode()) == link
