"""The cache of FHIR answers: per access token, never a failure, bounded in bytes of raw JSON."""

from __future__ import annotations

import httpx
import pytest
import respx

from service.fhir.cache import ResponseCache
from service.strict_json import RawJson
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
    assert len(roomy) >= 5 and all(isinstance(kept.raw, bytes) for kept in roomy._entries.values())
    assert roomy.size_bytes == sum(len(kept.raw) for kept in roomy._entries.values())
    tiny = ResponseCache(roomy.size_bytes // 2, 60)
    await answer(b.hook_request(fhir_server=BASE, token="t"), cache=tiny)
    assert 0 < tiny.size_bytes <= roomy.size_bytes // 2
    calls = routes["MedicationRequest"].call_count
    await answer(b.hook_request(fhir_server=BASE, token="t"), cache=ResponseCache(10, 60))
    assert routes["MedicationRequest"].call_count == calls + 1  # an answer larger than the cache is not kept


@respx.mock
async def test_identical_pages_under_new_tokens_are_kept_once_and_counted_in_full() -> None:
    """An EHR that lends a new token per call: its entries share the bytes of the pages they repeat."""
    route_all(respx.mock)
    cache = ResponseCache(1_000_000, 60)
    await answer(b.hook_request(fhir_server=BASE, token="t1"), cache=cache)
    pages, size = cache.distinct_pages, cache.size_bytes
    await answer(b.hook_request(fhir_server=BASE, token="t2"), cache=cache)
    assert len(cache) == 2 * pages and cache.distinct_pages == pages
    assert cache.size_bytes == 2 * size  # the bound counts every entry in full: it holds no more than before
    by_url: dict[str, set[int]] = {}
    for key, kept in cache._entries.items():
        by_url.setdefault(key[3], set()).add(id(kept.raw))
    assert all(len(objects) == 1 for objects in by_url.values())


def test_a_page_is_let_go_with_the_last_entry_that_holds_it() -> None:
    cache = ResponseCache(1_000_000, 60)
    page = b'{"resourceType": "Patient", "id": "p"}'
    cache.put(("s", "p", "t1", "u"), RawJson(page))
    cache.put(("s", "p", "t2", "u"), RawJson(bytes(bytearray(page))))  # equal bytes, another object
    assert cache.kept(("s", "p", "t1", "u")) is cache.kept(("s", "p", "t2", "u"))
    del cache._entries[("s", "p", "t1", "u")]
    assert cache.distinct_pages == 1
    del cache._entries[("s", "p", "t2", "u")]
    assert cache.distinct_pages == 0


def test_different_pages_are_never_shared() -> None:
    cache = ResponseCache(1_000_000, 60)
    cache.put(("s", "p", "t", "a"), RawJson(b'{"resourceType": "Patient", "id": "a"}'))
    cache.put(("s", "p", "t", "b"), RawJson(b'{"resourceType": "Patient", "id": "b"}'))
    assert cache.kept(("s", "p", "t", "a")).raw == b'{"resourceType": "Patient", "id": "a"}'
    assert cache.kept(("s", "p", "t", "b")).raw == b'{"resourceType": "Patient", "id": "b"}'
    assert cache.distinct_pages == 2
