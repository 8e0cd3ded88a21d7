"""FHIR access edge cases, with the EHR's FHIR server mocked by respx.

The end-to-end test (test_e2e_server.py) runs the same paths against a real HTTP server.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_ID
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.settings import Settings
from tests.support import builders as b

BASE = "http://ehr.test/fhir"
SIGN = SERVICES_BY_ID["bzra-order-sign"]
pytestmark = pytest.mark.anyio


def route_all(router: respx.Router, **overrides: httpx.Response) -> dict[str, respx.Route]:
    """Answer every search the service makes; `overrides` replace one by resource type."""
    answers = {
        "Patient": httpx.Response(200, json=b.patient()),
        "MedicationStatement": httpx.Response(200, json=b.searchset(b.medication_statement())),
        "MedicationRequest": httpx.Response(200, json=b.searchset(b.medication_request())),
        "MedicationDispense": httpx.Response(200, json=b.searchset()),
        "Condition": httpx.Response(200, json=b.searchset(b.condition())),
    }
    answers.update(overrides)
    routes = {}
    for kind, answer in answers.items():
        pattern = rf"{BASE}/Patient/{b.PATIENT_ID}$" if kind == "Patient" else rf"{BASE}/{kind}\?patient={b.PATIENT_ID}"
        routes[kind] = router.get(url__regex=pattern).mock(return_value=answer) if isinstance(answer, httpx.Response) else router.get(url__regex=pattern).mock(side_effect=answer)
    return routes


async def answer(request: dict, settings: Settings | None = None, cache: ResponseCache | None = None) -> dict:
    settings = settings or Settings(insecure_dev=True, fhir_total_timeout=1.0, fhir_read_timeout=0.5)
    async with make_http_client(settings.fhir_connect_timeout, settings.fhir_read_timeout) as http:
        pipeline = Pipeline(settings, http, cache if cache is not None else ResponseCache(1_000_000, 60), load_configured_knowledge(settings))
        response = await pipeline.answer(SIGN, HookRequest.model_validate(request))
    return response.wire()


def issues(body: dict) -> list[dict]:
    return body.get("extension", {}).get("bzra-cds.data-issues", [])


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


@respx.mock
async def test_cache_is_reused_for_the_same_token_only() -> None:
    routes = route_all(respx.mock)
    cache = ResponseCache(1_000_000, 60)
    await answer(b.hook_request(fhir_server=BASE, token="token-A"), cache=cache)
    await answer(b.hook_request(fhir_server=BASE, token="token-A"), cache=cache)
    assert routes["MedicationRequest"].call_count == 1
    await answer(b.hook_request(fhir_server=BASE, token="token-B"), cache=cache)
    assert routes["MedicationRequest"].call_count == 2
    assert all("token-A" not in str(key) for key in cache._entries)


@respx.mock
async def test_failures_are_not_cached() -> None:
    routes = route_all(respx.mock, Condition=httpx.Response(503))
    cache = ResponseCache(1_000_000, 60)
    await answer(b.hook_request(fhir_server=BASE), cache=cache)
    await answer(b.hook_request(fhir_server=BASE), cache=cache)
    assert routes["Condition"].call_count == 2


@respx.mock
async def test_cache_is_bounded_in_bytes_of_raw_json() -> None:
    routes = route_all(respx.mock)
    roomy = ResponseCache(1_000_000, 60)
    await answer(b.hook_request(fhir_server=BASE, token="t"), cache=roomy)
    assert len(roomy) >= 5 and all(isinstance(raw, bytes) for raw in roomy._entries.values())
    assert roomy.size_bytes == sum(len(raw) for raw in roomy._entries.values())
    tiny = ResponseCache(roomy.size_bytes // 2, 60)
    await answer(b.hook_request(fhir_server=BASE, token="t"), cache=tiny)
    assert 0 < tiny.size_bytes <= roomy.size_bytes // 2
    calls = routes["MedicationRequest"].call_count
    await answer(b.hook_request(fhir_server=BASE, token="t"), cache=ResponseCache(10, 60))
    assert routes["MedicationRequest"].call_count == calls + 1  # an answer larger than the cache is not kept
