"""The cache of FHIR answers: per access token, never a failure, bounded in bytes of raw JSON."""

from __future__ import annotations

import httpx
import pytest
import respx

from service.fhir.cache import ResponseCache
from tests.support import builders as b
from tests.support.fhir_routes import BASE, answer, route_all

pytestmark = pytest.mark.anyio


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
