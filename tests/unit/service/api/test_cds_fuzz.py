"""Property-based robustness: hook requests with odd FHIR content never cause a 500 or a crash."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import builders as b

JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)

ODD_VALUES = st.one_of(JSON, st.sampled_from(["", "2026", "2026-13-45", "-1", "1e309", "NaN", "µg", "Patient/", "#"]))
FIELDS = ["status", "intent", "authoredOn", "dosageInstruction", "dispenseRequest", "medicationCodeableConcept", "medicationReference", "subject", "effectivePeriod", "dosage", "reasonCode", "contained"]


@st.composite
def odd_resource(draw) -> dict:
    kind = draw(st.sampled_from(["MedicationRequest", "MedicationStatement", "MedicationDispense", "Condition", "Medication", "Patient", "Observation", "Nonsense"]))
    resource = draw(st.sampled_from([b.medication_request("r"), b.medication_statement("s"), b.condition("c"), b.patient(), b.medication("m")]))
    resource = {**resource, "resourceType": kind}
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        resource[field] = draw(ODD_VALUES)
    return resource


@st.composite
def odd_request(draw) -> dict:
    prefetch = b.full_prefetch()
    for key in draw(st.lists(st.sampled_from(list(prefetch)), max_size=3)):
        prefetch[key] = draw(st.one_of(st.none(), JSON, st.builds(lambda rs: b.searchset(*rs), st.lists(odd_resource(), max_size=4)), odd_resource()))
    draft = b.draft_order()
    for field in draw(st.lists(st.sampled_from(["dosageInstruction", "dispenseRequest", "reasonCode", "medicationCodeableConcept"]), max_size=2)):
        draft[field] = draw(ODD_VALUES)
    hook = draw(st.sampled_from(["order-sign", "order-select", "medication-prescribe"]))
    request = b.hook_request(hook, drafts=[draft], prefetch=prefetch)
    if draw(st.booleans()):
        request["context"][draw(st.sampled_from(["userId", "patientId", "encounterId"]))] = draw(ODD_VALUES)
    return request


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(request=odd_request())
def test_odd_hook_requests_get_an_answer_or_a_clear_4xx(client, request: dict) -> None:
    hook = request["hook"]
    payload = json.dumps(request)  # may hold NaN or Infinity, which strict JSON forbids: a 400 then
    response = client.post(f"/cds-services/bzra-{hook}", content=payload, headers={"content-type": "application/json"})
    assert response.status_code in (200, 400, 412, 422), response.text[:500]
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body["cards"], list)
        for card in body["cards"]:
            assert len(card["summary"]) < 140 and card["indicator"] in ("info", "warning", "critical")
    else:
        assert body["message"]
