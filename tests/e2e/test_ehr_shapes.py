"""Real EHR shapes read leniently (issue 17, point 7), against the real service process.

Each request under tests/support/fixtures/ehr-shapes/ follows a publisher's printed shape (see the README
there). Before this was fixed, all but one got a 412 or 422 for the whole call, the DSTU2
MedicationOrder got no advice, null prefetch keys were read again from the FHIR server, and an
order for nothing a rule looks at still got a data-gap card.

What is expected of each is what the guidelines say of the patient, not what the code does: every
patient is 65 or older (Beers 2023, STOPP/START v3: a BZRA is to be avoided → `older-adult`) except
the CQF Ruler one, who is 58 and already takes an opioid (FDA 2016 boxed warning → `opioid-and-bzra`);
each order covers 30 days where guidelines advise at most 14-28 (→ `order-too-long`), except where
the EHR did not send a supply duration.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support import builders as b
from tests.support import paths
from tests.support.service_process import running_service

FIXTURES = paths.FIXTURES / "ehr-shapes"
SERVICE = {"order-sign": "bzra-order-sign", "order-select": "bzra-order-select", "medication-prescribe": "bzra-medication-prescribe"}

# fixture -> rules that must fire (from the guidelines, see the docstring)
EXPECTED_RULES = {
    "cds-hooks-spec-medication-prescribe-dstu2-medicationorder.json": {"older-adult", "order-too-long"},
    "cds-hooks-spec-order-sign-r4.json": {"older-adult", "order-too-long"},
    "davinci-crd-ri-order-sign-stu3.json": {"older-adult", "order-too-long"},
    "inferno-crd-order-select-doseandrate-object.json": {"older-adult", "order-too-long"},
    "cqf-ruler-opioid-order-select-category-object.json": {"opioid-and-bzra", "order-too-long"},
    "cqf-ruler-opioid-epic-sandbox-order-sign.json": {"older-adult", "order-too-long"},
    "pddi-cds-order-select-stu3.json": {"older-adult", "duplicate-bzra"},
    "hapi-fhir-order-sign-null-prefetch.json": {"older-adult", "order-too-long"},
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with running_service("--insecure-dev", env={"BZRA_RULES_RELOAD": "false"}) as (url, _):
        yield url


def send(base: str, name: str) -> httpx.Response:
    request = json.loads((FIXTURES / name).read_text())
    return httpx.post(f"{base}/cds-services/{SERVICE[request['hook']]}", json=request, timeout=20)


def test_every_fixture_is_listed_in_the_readme_and_here() -> None:
    readme = (FIXTURES / "README.md").read_text()
    names = sorted(p.name for p in FIXTURES.glob("*.json"))
    assert names and all(f"`{name}`" in readme for name in names)
    assert set(names) == set(EXPECTED_RULES) | {"cds-hooks-spec-order-sign-communicationrequest.json"}


@pytest.mark.parametrize("name", sorted(EXPECTED_RULES))
def test_each_publishers_shape_gets_its_bzra_advice(base: str, name: str) -> None:
    response = send(base, name)
    assert response.status_code == 200, response.text[:500]
    fired = b.rule_ids(response.json())
    assert EXPECTED_RULES[name] <= fired, (name, fired)


@pytest.mark.parametrize("name", sorted(EXPECTED_RULES))
def test_what_the_shapes_say_is_read_without_data_gaps(base: str, name: str) -> None:
    """Everything in these requests is readable once translated: no data card, no data issue.
    (The null prefetch keys of the HAPI shape are "no data", not a gap, and are not read again
    from its fhirServer, which nobody listens on: a read would have left a gap.)"""
    body = send(base, name).json()
    assert [c for c in body["cards"] if c["source"]["label"] == b.DATA_CHECK] == [], (name, body.get("extension"))
    assert "bzra-cds.data-issues" not in (body.get("extension") or {}), (name, body.get("extension"))


@pytest.mark.parametrize("name", ["cds-hooks-spec-medication-prescribe-dstu2-medicationorder.json", "cqf-ruler-opioid-epic-sandbox-order-sign.json"])
def test_the_dose_is_read_wherever_the_shape_puts_it(base: str, name: str) -> None:
    """1 tablet of lorazepam 1 mg twice a day is 2 mg a day, 20 mg diazepam-equivalent (Ashton: 1 mg
    lorazepam = 10 mg diazepam), the high-dose threshold: from the DSTU2 Dosage's own doseQuantity,
    and from Epic's three typed doseAndRate entries (counted once, not three times)."""
    body = send(base, name).json()
    summaries = [card["summary"] for card in body["cards"]]
    assert any(rule.startswith("high-dose") for rule in b.rule_ids(body)), summaries  # from the order, or with what is in use
    assert any("20 mg" in summary for summary in summaries), summaries


def test_an_order_for_nothing_a_rule_looks_at_gets_no_card(base: str) -> None:
    response = send(base, "cds-hooks-spec-order-sign-communicationrequest.json")
    assert response.status_code == 200, response.text[:300]
    assert response.json()["cards"] == []


def test_an_order_that_cannot_be_read_is_reported_and_the_call_goes_on(base: str) -> None:
    """A draft whose dosage is nonsense and one that is not a resource: both named in the data card,
    the readable lorazepam order still gets its advice."""
    bad_dose = b.draft_order("draft-2", dosageInstruction=[{"timing": "twice a day", "doseAndRate": "one"}])
    request = b.hook_request(drafts=[b.draft_order(), bad_dose], prefetch=b.full_prefetch())
    request["context"]["draftOrders"]["entry"].append({"fullUrl": "urn:uuid:not-a-resource"})
    response = httpx.post(f"{base}/cds-services/bzra-order-sign", json=request, timeout=20)
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert {"older-adult", "high-dose"} & b.rule_ids(body)
    card = b.data_card(body)
    assert "dosageInstruction of draft order MedicationRequest/draft-2" in card["detail"]
    assert "context.draftOrders.entry[2].resource" in json.dumps(body["extension"])


def test_a_draft_order_without_intent_or_status_is_read_as_a_draft(base: str) -> None:
    order = b.draft_order()
    del order["intent"], order["status"]
    request = b.hook_request(drafts=[order], prefetch=b.full_prefetch())
    response = httpx.post(f"{base}/cds-services/bzra-order-sign", json=request, timeout=20)
    assert response.status_code == 200 and "older-adult" in b.rule_ids(response.json())


def test_an_action_on_a_dstu2_draft_names_it_as_sent(base: str) -> None:
    """The retired medication-prescribe hook sends a DSTU2 MedicationOrder; it is read as the R4
    MedicationRequest it became, but a delete action must name the resource the EHR holds."""
    body = send(base, "cds-hooks-spec-medication-prescribe-dstu2-medicationorder.json").json()
    deletes = [
        action["resourceId"]
        for card in body["cards"] for suggestion in card.get("suggestions", []) for action in suggestion["actions"]
        if action["type"] == "delete"
    ]
    assert deletes and set(deletes) == {"MedicationOrder/smart-MedicationOrder-lorazepam"}, deletes
