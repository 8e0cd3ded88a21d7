"""The service's own client reads FHIR on aiohttp's pool directly: size limits, decoding and headers hold."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from urllib.parse import urljoin

import pytest
from hypothesis import given
from prometheus_client import REGISTRY
from hypothesis import strategies as st

from service.fhir.cache import ResponseCache
from service.fhir.client import _OWN_READ, UNKNOWN, FhirError, FhirPage, FhirSession, PooledClient, _json_or_error, _next_link, make_http_client
from service.fhir.limits import FhirLimits
from service.fhir.parse import page_head
from service.strict_json import RawJson
from tests.support.fhir_server import serving

PATIENT = b'{"resourceType": "Patient", "id": "p", "gender": "female"}'
BIG = b'{"resourceType": "Patient", "id": "p", "text": "' + b"x" * 5000 + b'"}'
SEEN_HEADERS: list[dict[str, str]] = []


@contextmanager
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            SEEN_HEADERS.append(dict(self.headers))
            headers, body, chunked, status = {"Content-Type": "application/fhir+json"}, PATIENT, False, 200
            if self.path.endswith("/fails"):
                status = 500  # the bytes of a good answer, with an error status
            elif self.path.endswith("/big"):
                body = BIG
            elif self.path.endswith("/big-chunked"):
                body, chunked = BIG, True
            elif self.path.endswith("/gzip"):
                body, headers["Content-Encoding"] = gzip.compress(PATIENT), "gzip"
            elif self.path.endswith("/cookie"):
                headers["Set-Cookie"] = "session=of-token-1; Path=/"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if chunked:  # no Content-Length: the limit must hold while reading
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(body), 1000):
                    part = body[start : start + 1000]
                    self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        yield base


LIMITS = FhirLimits(connect_timeout=1.0, read_timeout=2.0, total_timeout=5.0, max_pages=2, max_concurrency=4, max_response_bytes=10_000_000)


async def read(base: str, path: str, limit: int = 10_000_000) -> dict:
    async with make_http_client(1.0, 2.0, aiohttp_pool=True) as http:
        assert isinstance(http, PooledClient)
        limits = FhirLimits(connect_timeout=1.0, read_timeout=2.0, total_timeout=5.0, max_pages=2, max_concurrency=4, max_response_bytes=limit)
        session = FhirSession(http, base, "p", "token-1", ResponseCache(0, 0), limits=limits)
        return (await session.get_page(path)).value


@pytest.fixture
def no_httpx_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("httpx.AsyncClient.stream", lambda *args, **kwargs: pytest.fail("read through httpx"))


@pytest.mark.anyio
@pytest.mark.usefixtures("no_httpx_stream")
async def test_a_read_goes_straight_to_the_pool_with_the_token_and_user_agent() -> None:
    with server() as base:
        assert await read(base, "Patient/p") == {"resourceType": "Patient", "id": "p", "gender": "female"}
    headers = {name.lower(): value for name, value in SEEN_HEADERS[-1].items()}
    assert headers["authorization"] == "Bearer token-1" and headers["user-agent"] == "bzra-cds"
    assert headers["accept"] == "application/fhir+json"


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["big", "big-chunked"])
async def test_an_answer_over_the_limit_is_given_up(path: str) -> None:
    with server() as base, pytest.raises(FhirError) as raised:
        await read(base, path, limit=2000)
    assert raised.value.kind == "too_large"


@pytest.mark.anyio
async def test_a_compressed_answer_is_decoded() -> None:
    with server() as base:
        assert (await read(base, "gzip"))["gender"] == "female"


@pytest.mark.anyio
async def test_a_cookie_set_for_one_call_is_not_sent_with_the_next() -> None:
    """Each call reads with its own token: the shared pool keeps no cookie between calls."""
    with server() as base:
        named = base.replace("127.0.0.1", "localhost")  # aiohttp's cookie jar keeps no cookie of an IP address
        async with make_http_client(1.0, 2.0, aiohttp_pool=True) as http:
            for token in ("token-1", "token-2"):
                await FhirSession(http, named, "p", token, ResponseCache(0, 0), limits=LIMITS).get_page("cookie")
    assert "Cookie" not in SEEN_HEADERS[-1] and "cookie" not in SEEN_HEADERS[-1]


BASE = "https://ehr.test:8443/r4/fhir/"
SEGMENT = st.text(alphabet="abcXYZ019-._/%:;@?#&= \t\x00", max_size=12)


@given(st.lists(SEGMENT, min_size=1, max_size=4).map("".join))
def test_a_read_joined_by_concatenation_is_the_url_urljoin_gives(path: str) -> None:
    """The fast path for the service's own reads (`_OWN_READ`) gives exactly what urljoin would."""
    if _OWN_READ.fullmatch(path):
        assert BASE + path == urljoin(BASE, path)


@pytest.mark.parametrize("path", ["Patient/..", "Patient/.", "Patient/..?x=1", "/Patient/p", "//evil.test/x", "http:x", "Patient/p#f", "Patient?a=b c"])
def test_reads_urljoin_would_change_take_the_checked_path(path: str) -> None:
    assert not _OWN_READ.fullmatch(path)


@pytest.mark.anyio
@pytest.mark.parametrize("link", ["../../other/Patient/p", "http://elsewhere.test/fhir/Patient/p", "//elsewhere.test/fhir/Patient/p"])
async def test_a_link_off_the_server_is_still_refused(link: str) -> None:
    async with make_http_client(1.0, 2.0, aiohttp_pool=True) as http:
        session = FhirSession(http, "http://127.0.0.1:9/fhir", "p", "t", ResponseCache(0, 0), limits=LIMITS)
        with pytest.raises(FhirError) as raised:
            await session.get_page(link)
    assert raised.value.kind == "link_refused"


@pytest.mark.anyio
async def test_an_answer_is_checked_and_kept_as_its_bytes_without_being_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its history is decoded from the bytes into the models later (`fhir.parse`), or known already by
    their digest (`history_cache`): neither the answer nor a repeat of it from the cache is parsed."""
    monkeypatch.setattr("service.fhir.client.loads_strict", lambda raw: pytest.fail("parsed"))
    monkeypatch.setattr("service.strict_json.loads_strict", lambda raw: pytest.fail("parsed"))
    with server() as base:
        async with make_http_client(1.0, 2.0, aiohttp_pool=True) as http:
            session = FhirSession(http, base, "p", "token-1", ResponseCache(1_000_000, 60), limits=LIMITS)
            fetched = await session.get_page("Patient/p")
            again = await session.get_page("Patient/p")
    assert fetched.raw == again.raw == PATIENT and again.digest == fetched.digest


def search_page(relation: bytes) -> RawJson:
    return RawJson(b'{"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "' + relation + b'", "url": "MedicationRequest?page=2"}]}')


def test_a_page_without_a_next_link_is_not_parsed_to_find_none() -> None:
    page = search_page(b"self")
    assert _next_link(page) is None and page._read is False


@pytest.mark.parametrize("relation", [b"next", b"\\u006eext", b"\\u006e\\u0065\\u0078\\u0074"])
def test_a_next_link_is_found_however_it_is_written(relation: bytes) -> None:
    assert _next_link(search_page(relation)) == "MedicationRequest?page=2"


@pytest.mark.parametrize("relation", [b"next", b"self", b"\\u006eext"])
def test_the_check_of_a_page_reads_its_next_link_as_the_page_scan_would(relation: bytes) -> None:
    """`_json_or_error` reads the links in the same pass that checks the page: what it returns is
    what `_next_link` finds in the bytes, so the search loop need not scan the page again."""
    page = search_page(relation)
    assert _json_or_error(200, page.raw) == _next_link(page)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"resourceType": "Patient", "id": "p", "link": [{"other": {"reference": "Patient/q"}, "type": "seealso"}]}',
        b'{"resourceType": "Bundle", "type": "searchset", "link": "not a list"}',
        b'{"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": 7}]}',
    ],
)
def test_pages_without_a_usable_next_link_give_none_at_the_check(raw: bytes) -> None:
    assert _json_or_error(200, raw) is None and _next_link(RawJson(raw)) is None


def test_a_page_checked_by_the_tolerant_path_leaves_its_link_to_the_scan() -> None:
    raw = b'{"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": "p2"}], "x": "\\ud800"}'
    assert _json_or_error(200, raw) is UNKNOWN and _next_link(FhirPage(raw, UNKNOWN)) == "p2"


@pytest.mark.anyio
@pytest.mark.parametrize("cache_bytes", [0, 1_000_000])
async def test_a_page_is_not_scanned_again_for_its_next_link(cache_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fetched twice, or fetched and then taken from the cache: the check found the link on arrival,
    and a page from the cache keeps it, and its digest, with its bytes."""
    monkeypatch.setattr("service.fhir.client.next_link", lambda raw: pytest.fail("scanned again"))
    with server() as base:
        async with make_http_client(1.0, 2.0, aiohttp_pool=True) as http:
            session = FhirSession(http, base, "p", "token-1", ResponseCache(cache_bytes, 60), limits=LIMITS)
            fetched = await session.get_page("Patient/p")
            again = await session.get_page("Patient/p")
    for page in (fetched, again):
        assert isinstance(page, FhirPage) and page.next_url is None and _next_link(page) is None
    if cache_bytes:
        assert again._digest == fetched.digest  # kept with the bytes, not taken again


def good_reads() -> float:
    return REGISTRY.get_sample_value("bzra_fhir_calls_total", {"outcome": "ok"}) or 0.0


@pytest.mark.anyio
async def test_bytes_received_before_under_another_token_are_not_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """An EHR that lends a new token for each call sends the same pages again: the check of identical
    bytes is not repeated, and its next link is the one found the first time. Other bytes, and the same
    bytes with an error status, are checked as ever."""
    checked: list[bytes] = []
    check = page_head

    def counted(raw: bytes) -> Any:
        checked.append(raw)
        return check(raw)

    monkeypatch.setattr("service.fhir.client.page_head", counted)
    cache = ResponseCache(1_000_000, 60)
    good_before = good_reads()
    with server() as base:
        async with make_http_client(1.0, 2.0, aiohttp_pool=True) as http:
            first, second = (FhirSession(http, base, "p", token, cache, limits=LIMITS) for token in ("token-1", "token-2"))
            fetched = await first.get_page("Patient/p")
            again = await second.get_page("Patient/p")
            assert checked == [PATIENT] and again.raw == PATIENT and again.next_url is fetched.next_url is None
            assert good_reads() == good_before + 2  # the metric counts both good answers
            await second.get_page("Patient/big")
            assert checked == [PATIENT, BIG]
            with pytest.raises(FhirError) as refused:
                await second.get_page("Patient/fails")
    assert refused.value.fhir_status == 500
