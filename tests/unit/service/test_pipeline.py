"""FHIR access edge cases, with the EHR's FHIR server mocked by respx.

The end-to-end test (tests/e2e/test_server.py) runs the same paths against a real HTTP server.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.support import builders as b
from tests.support.facts_support import TODAY
from tests.support.fhir_routes import BASE, answer, issues, route_all

pytestmark = pytest.mark.anyio


@respx.mock
async def test_everything_is_fetched_with_the_token_when_nothing_is_prefetched() -> None:
    routes = route_all(respx.mock)
    body = await answer(b.hook_request(fhir_server=BASE))
    assert body["cards"] == [] and issues(body) == []
    for route in routes.values():
        assert route.call_count == 1
        assert route.calls.last.request.headers["Authorization"] == "Bearer secret-token-1"
    assert routes["MedicationRequest"].calls.last.request.url.params["_include"] == "MedicationRequest:medication"


@respx.mock
async def test_prefetched_keys_are_not_fetched_again() -> None:
    routes = route_all(respx.mock)
    prefetch = {"medicationRequests": b.searchset(b.medication_request()), "patient": b.patient()}
    await answer(b.hook_request(fhir_server=BASE, prefetch=prefetch))
    assert routes["MedicationRequest"].call_count == 0 and routes["Patient"].call_count == 0
    assert routes["MedicationStatement"].call_count == 1


@respx.mock
async def test_searches_run_concurrently() -> None:
    in_flight = 0
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return httpx.Response(200, json=b.searchset())

    route_all(respx.mock, **{kind: slow for kind in ("MedicationStatement", "MedicationRequest", "MedicationDispense", "Condition")})
    await answer(b.hook_request(fhir_server=BASE))
    assert peak >= 4


@respx.mock
async def test_next_pages_are_followed_up_to_the_page_cap() -> None:
    pages = {
        1: b.searchset(b.medication_request("p1"), next_url=f"{BASE}/MedicationRequest?page=2"),
        2: b.searchset(b.medication_request("p2"), next_url=f"{BASE}/MedicationRequest?page=3"),
        3: b.searchset(b.medication_request("p3")),
    }
    route_all(respx.mock, MedicationRequest=httpx.Response(200, json=pages[1]))
    page2 = respx.get(f"{BASE}/MedicationRequest?page=2").mock(return_value=httpx.Response(200, json=pages[2]))
    page3 = respx.get(f"{BASE}/MedicationRequest?page=3").mock(return_value=httpx.Response(200, json=pages[3]))
    body = await answer(b.hook_request(fhir_server=BASE))
    assert page2.call_count == 1 and page3.call_count == 1 and issues(body) == []

    capped = Settings(insecure_dev=True, fhir_max_pages=2)
    body = await answer(b.hook_request(fhir_server=BASE), settings=capped)
    [issue] = issues(body)
    assert "first 2 pages" in issue["problem"]


@respx.mock
async def test_next_link_to_another_host_is_not_followed() -> None:
    evil = respx.get("http://169.254.169.254/latest").mock(return_value=httpx.Response(200, json=b.searchset()))
    route_all(respx.mock, MedicationRequest=httpx.Response(200, json=b.searchset(next_url="http://169.254.169.254/latest")))
    body = await answer(b.hook_request(fhir_server=BASE))
    assert evil.call_count == 0
    assert any("outside the FHIR server" in i["problem"] for i in issues(body))


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (httpx.Response(401, json={"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "login"}]}), "refused the access token (401)"),
        (httpx.Response(503, text="upstream down"), "answered 503"),
        (httpx.Response(500, json={"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception", "diagnostics": "database gone"}]}), "database gone"),
        (httpx.Response(200, json={"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "too-costly", "diagnostics": "search too costly"}]}), "search too costly"),
        (httpx.Response(200, text="<html>login</html>"), "not a FHIR JSON resource"),
        (httpx.Response(200, text='{"resourceType": "Bundle", "type": "searchset", "total": NaN}'), "not a FHIR JSON resource"),
        (httpx.Response(302, headers={"Location": "http://elsewhere.test/"}), "redirect"),
        (httpx.ConnectError("refused"), "could not be reached"),
    ],
)
@respx.mock
async def test_a_failing_fhir_server_is_reported_not_fatal(failure, reason: str) -> None:
    route_all(respx.mock, Condition=failure)
    body = await answer(b.hook_request(fhir_server=BASE))
    [issue] = issues(body)
    assert reason in issue["problem"]
    assert issue["not_checked"] == "recorded conditions"
    [card] = body["cards"]
    assert card["indicator"] == "info" and "recorded conditions" in card["summary"]


@respx.mock
async def test_a_slow_fhir_server_is_cut_off_within_the_time_budget() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=b.searchset())

    route_all(respx.mock, MedicationStatement=hang)
    settings = Settings(insecure_dev=True, fhir_total_timeout=0.3, fhir_read_timeout=5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    body = await answer(b.hook_request(fhir_server=BASE), settings=settings)
    assert loop.time() - started < 2.0  # bounded by the budget, not by the 5 s the server takes
    [issue] = issues(body)
    assert issue["not_checked"] == "medication history (statements)"
    assert "in time" in issue["problem"]


@respx.mock
async def test_a_bad_resource_in_a_fetched_bundle_is_skipped() -> None:
    bad = b.medication_request("bad")
    bad["dosageInstruction"] = "three times a day"  # must be an array of Dosage
    route_all(respx.mock, MedicationRequest=httpx.Response(200, json=b.searchset(b.medication_request("good"), bad)))
    body = await answer(b.hook_request(fhir_server=BASE))
    [issue] = issues(body)
    assert issue["skipped"] == "MedicationRequest/bad"
    assert "three times" not in issue["problem"]  # contents never echoed


@respx.mock
async def test_resources_of_another_patient_are_left_out() -> None:
    route_all(respx.mock, MedicationRequest=httpx.Response(200, json=b.searchset(b.medication_request("x", patient_id="someone-else"))))
    body = await answer(b.hook_request(fhir_server=BASE))
    [issue] = issues(body)
    assert issue["problem"] == "belongs to another patient"


@respx.mock
async def test_medication_references_are_resolved_from_include_then_server() -> None:
    included = b.medication("included")
    requests = b.searchset(
        b.medication_request("r1", medication_reference="Medication/included"),
        b.medication_request("r2", medication_reference="Medication/remote"),
        included,
    )
    route_all(respx.mock, MedicationRequest=httpx.Response(200, json=requests))
    remote = respx.get(f"{BASE}/Medication/remote").mock(return_value=httpx.Response(200, json=b.medication("remote")))
    included_read = respx.get(f"{BASE}/Medication/included").mock(return_value=httpx.Response(200, json=included))
    body = await answer(b.hook_request(fhir_server=BASE))
    assert remote.call_count == 1 and included_read.call_count == 0
    assert issues(body) == []


async def test_unresolvable_medication_reference_without_server_is_reported() -> None:
    prefetch = b.full_prefetch()
    prefetch["medicationRequests"] = b.searchset(b.medication_request("r1", medication_reference="Medication/nowhere"))
    body = await answer(b.hook_request(prefetch=prefetch))
    [issue] = issues(body)
    assert issue["where"] == "Medication/nowhere"


def test_resources_over_the_limit_are_left_out_and_reported() -> None:
    with TestClient(create_app(Settings(insecure_dev=True, rules_reload=False, max_resources=3), today=lambda: TODAY)) as client:
        prefetch = b.full_prefetch()
        prefetch["medicationRequests"] = b.searchset(*(b.medication_request(f"r{i}", authored_on="2025-01-01") for i in range(10)))
        body = client.post("/cds-services/bzra-order-sign", json=b.hook_request(prefetch=prefetch)).json()
        assert any("only the first 3 resources" in i["problem"] for i in issues(body))
