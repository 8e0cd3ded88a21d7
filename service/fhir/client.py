"""Reads from the EHR's FHIR server: JSON over HTTP with timeouts, paging and clear failures.

Every failure (timeout, refused connection, 401, 5xx, an OperationOutcome, a body that is not JSON, an
answer larger than `max_response_bytes`) becomes a `FhirError` with a plain reason and a `kind` the
data card can say in the prescriber's language; callers turn it into "could not check", never a 500.
A body is read as a stream and abandoned as soon as it passes the size limit, so one huge answer
cannot take the process's memory. A search keeps the pages it read when a later page fails.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from cachetools import TTLCache

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from service import metrics
from service.errors import UnavailableError
from service.fhir.cache import ResponseCache, token_fingerprint
from service.fhir.limits import FhirLimits
from service.fhir.parse import UNKNOWN, NextLink, next_in, next_link, page_head
from service.strict_json import RawJson, loads_strict

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
# Servers that refused `_sort` (a 4xx to the first page): asked without it for a day.
_NO_SORT: TTLCache[str, bool] = TTLCache(maxsize=1000, ttl=86_400)
REFUSED_PARAMETER_STATUSES = (400, 403, 404, 405, 422, 501)
# A read the service builds itself: `Type`, `Type/id` or `Type?query`, with nothing urljoin would
# resolve or strip (no scheme, leading slash, dot segment, fragment, empty query, space or control character).
# Joined to the base by concatenation it gives the URL urljoin gives, on the same server and path.
_OWN_READ = re.compile(r"[A-Za-z][A-Za-z0-9]*(/(?!\.\.?(?:\?|$))[A-Za-z0-9\-.]+)?(\?[^#\x00-\x20\x7f]+)?")


class FhirError(UnavailableError):
    """A FHIR read that failed; `reason` is safe to show (no tokens, no resource contents); `kind` is one
    of `FAILURE_KINDS`, for the data card; `fhir_status` is the FHIR server's HTTP status, if any."""

    code = "fhir_unavailable"

    def __init__(self, reason: str, fhir_status: int | None = None, kind: str = "server_error"):
        super().__init__(reason)
        self.reason = reason
        self.fhir_status = fhir_status
        self.kind = kind


FAILURE_KINDS = (
    "unauthorized",  # the access token was refused
    "timeout",  # no answer in time, or the call's time budget ran out
    "unreachable",  # the server could not be reached (down, refused)
    "too_large",  # an answer over max_response_bytes
    "server_error",  # an error status or an OperationOutcome
    "not_fhir",  # an answer that is not FHIR JSON
    "link_refused",  # a redirect or a next link to another server, not followed
)


class FhirPage(RawJson):
    """A page as received, with its `next` link when the check of its bytes read it (`page_head`)."""

    __slots__ = ("next_url",)

    def __init__(self, raw: bytes, next_url: NextLink, digest: str | None = None):
        super().__init__(raw, digest)  # the digest is known for a page from the cache
        self.next_url = next_url


@dataclass
class SearchResult:
    pages: list[RawJson]  # each page as received (`RawJson.value` parses it)
    truncated: bool = False  # more pages were offered than max_pages allows
    stopped: FhirError | None = None  # a later page failed: the pages before it are kept


def _outcome(name: str) -> Any:
    """The counter of one outcome of `bzra_fhir_calls_total` (a labelled child, looked up once per name)."""
    return _OUTCOMES.get(name) or _OUTCOMES.setdefault(name, metrics.FHIR_CALLS.labels(outcome=name))


_OUTCOMES: dict[str, Any] = {}


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port) and a.path.startswith(b.path)


def _operation_outcome_text(body: dict[str, Any]) -> str:
    texts = []
    for issue in body.get("issue") or []:
        if isinstance(issue, dict):
            detail = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code")
            if isinstance(detail, str):
                texts.append(detail[:200])
    return "; ".join(texts) or "no details"


class FhirSession:
    """The FHIR reads of one hook call: one server, one token, one time budget, bounded concurrency."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        patient_id: str,
        token: str | None,
        cache: ResponseCache,
        *,
        limits: FhirLimits,
        since: date | None = None,
    ):
        self._http = http
        self.base_url = base_url.rstrip("/") + "/"
        self._patient_id = patient_id
        self._token = token
        self._token_fingerprint = token_fingerprint(token)  # once per call, not once per read
        self._headers = {"Accept": FHIR_JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
        self._cache = cache
        self._max_pages = limits.max_pages
        self._semaphore = asyncio.Semaphore(limits.max_concurrency)
        self._deadline = time.monotonic() + limits.total_timeout  # the call's budget starts now
        self._max_response_bytes = limits.max_response_bytes
        self._page_count = limits.page_count
        self._since = since

    def remaining(self) -> float:
        return self._deadline - time.monotonic()

    async def get_page(self, path_or_url: str) -> RawJson:
        """GET one resource or search page, kept as the bytes received: a page from the cache is parsed
        only if its history is not known already (`history_cache` keys it by its content)."""
        url = self._url(path_or_url)
        key = ResponseCache.key(self.base_url, self._patient_id, self._token_fingerprint, url)
        cached = self._cache.kept(key)
        if cached is not None:
            _outcome("cache_hit").inc()
            return FhirPage(cached.raw, cached.next_url, cached.digest)  # checked as a FHIR answer when it was fetched
        status, raw = await self._fetch(url)
        page = FhirPage(raw, UNKNOWN)
        # Bytes identical to a page received before (an EHR that lends a new token for each call sends
        # the same pages again) passed the same check then: its result is reused, not worked out again.
        # The digest, taken here, also keys a page that is one resource (a Patient, a Medication) in
        # `history_cache`; a search page is keyed there by its entries alone.
        same = self._cache.checked(page) if status < 300 else None
        if same is not None:
            _outcome("ok").inc()  # what `_json_or_error` counts for an answer it finds good
            page.next_url = same.next_url
        else:
            page.next_url = _json_or_error(status, raw)
        self._cache.put(key, page, page.next_url)
        return page

    def _url(self, path_or_url: str) -> str:
        """The absolute URL of a read; a link that leaves the server (or its path) is refused."""
        if _OWN_READ.fullmatch(path_or_url):
            return self.base_url + path_or_url
        url = urljoin(self.base_url, path_or_url)
        if not _same_origin(url, self.base_url):
            raise FhirError("a link pointed outside the FHIR server named in the request; not followed", kind="link_refused")
        return url

    async def search_recent(self, query: str, date_param: str | None) -> SearchResult:
        """A search that sees the recent history first: a large `_count`; with a `date_param`, only
        what is dated since `since` (a period still running counts) and newest first (`_sort`). A
        server that refuses `_sort` is asked again without it, and remembered."""
        since = self._since.isoformat() if date_param and self._since is not None else None
        if date_param and self.base_url not in _NO_SORT:
            try:
                return await self.search(_with_params(query, _recent_params(self._page_count, date_param, since, sort=True)))
            except FhirError as error:
                if error.fhir_status not in REFUSED_PARAMETER_STATUSES or error.kind == "unauthorized":
                    raise
                log.info("FHIR server refused _sort (%s); searching without it", error.fhir_status)
                _NO_SORT[self.base_url] = True
        return await self.search(_with_params(query, _recent_params(self._page_count, date_param, since, sort=False)))

    async def search(self, query: str) -> SearchResult:
        """The pages of a search, up to the page cap; the first page's failure raises, a later page's
        failure (time budget, a refused link...) keeps the pages read before it."""
        result = SearchResult([await self.get_page(query)])
        while (link := _next_link(result.pages[-1])) is not None:
            if len(result.pages) >= self._max_pages:
                result.truncated = True
                break
            try:
                result.pages.append(await self.get_page(link))
            except FhirError as error:
                result.stopped = error
                break
        return result

    async def _fetch(self, url: str) -> tuple[int, bytes]:
        """The answer's status and bytes; a failed read (time, connection, size) becomes `FhirError`."""
        async with self._semaphore:
            remaining = self.remaining()
            if remaining <= 0:
                _outcome("budget_exhausted").inc()
                raise FhirError("the time allowed for FHIR reads ran out", kind="timeout")
            started = time.monotonic()
            try:
                # asyncio.timeout, not wait_for: no task per read (wait_for's cost more CPU than the read's own timer)
                async with asyncio.timeout(remaining):
                    status, raw = await self._read(url, self._headers)
            except (asyncio.TimeoutError, httpx.HTTPError, aiohttp.ClientError) as error:
                if _timed_out(error):
                    _outcome("timeout").inc()
                    raise FhirError("the FHIR server did not answer in time", kind="timeout") from None
                _outcome("unreachable").inc()
                name = type(error.__cause__ or error).__name__
                raise FhirError(f"the FHIR server could not be reached ({name})", kind="unreachable") from None
            finally:
                metrics.FHIR_LATENCY.observe(time.monotonic() - started)
        return status, raw

    async def _read(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """The status and body, read as a stream and given up past `max_response_bytes`."""
        limit = self._max_response_bytes
        if isinstance(self._http, PooledClient):
            return await self._http.read_direct(url, headers, limit)
        async with self._http.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(limit)
            body = bytearray()
            async for chunk in response.aiter_bytes():  # decoded: a compressed answer counts as it unpacks
                body += chunk
                if len(body) > limit:
                    raise _too_large(limit)
            return response.status_code, bytes(body)


def _next_link(page: RawJson) -> str | None:
    """The page's `next` link: read with its check when it was fetched (scanning its bytes again cost
    more than that check: `"` is everywhere in JSON). Else a page whose bytes hold no `"next"` (and no
    `\\u` escape that could spell it) has none: found without reading its JSON."""
    if isinstance(page, FhirPage) and page.next_url is not UNKNOWN:
        return page.next_url  # type: ignore[return-value]
    if b'"next"' not in page.raw and b"\\u" not in page.raw:
        return None
    return next_link(page.raw)


@lru_cache(maxsize=64)
def _recent_params(page_count: int | None, date_param: str | None, since: str | None, *, sort: bool) -> str:
    """The encoded parameters of a recent-first search (the same for every call on a day: encoded once)."""
    params: dict[str, str] = {"_count": str(page_count)} if page_count else {}
    if date_param and since is not None:
        params[date_param] = f"ge{since}"
    if date_param and sort:
        params["_sort"] = f"-{date_param}"
    return urlencode(params)


def _with_params(query: str, encoded: str) -> str:
    if not encoded:
        return query
    return query + ("&" if "?" in query else "?") + encoded


def _too_large(limit: int) -> FhirError:
    _outcome("too_large").inc()
    return FhirError(f"the FHIR server's answer was larger than {limit / 1e6:g} MB; not read", kind="too_large")


def _json_or_error(status: int, raw: bytes) -> NextLink:
    """Raises `FhirError` unless `raw` is a FHIR JSON resource other than an OperationOutcome, in a
    2xx answer; returns its next link, read on the way (`UNKNOWN` when the tolerant path checked it).
    A plainly valid one is checked without being parsed (`page_head`): its history is decoded from
    the bytes straight into the models later."""
    head = page_head(raw) if status < 300 else None
    if head is not None and head.resourceType != "OperationOutcome":
        _outcome("ok").inc()
        return next_in(head.link)
    try:
        body = loads_strict(raw)
    except ValueError:  # not JSON, or JSON with NaN or Infinity
        body = None
    if 300 <= status < 400:
        _outcome("error").inc()
        raise FhirError(f"the FHIR server answered with a redirect ({status}); not followed", status, "link_refused")
    if status in (401, 403):
        _outcome("unauthorized").inc()
        raise FhirError(f"the FHIR server refused the access token ({status})", status, "unauthorized")
    if status >= 400:
        _outcome("error").inc()
        detail = _operation_outcome_text(body) if isinstance(body, dict) else "no details"
        raise FhirError(f"the FHIR server answered {status}: {detail}", status, "server_error")
    if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
        _outcome("error").inc()
        raise FhirError("the FHIR server's answer was not a FHIR JSON resource", status, "not_fhir")
    if body["resourceType"] == "OperationOutcome":
        _outcome("error").inc()
        raise FhirError(f"the FHIR server reported: {_operation_outcome_text(body)}", status, "server_error")
    _outcome("ok").inc()
    return UNKNOWN


def _timed_out(error: BaseException) -> bool:
    """A timeout, not another failure. httpx-aiohttp reports a refused connection as httpx.ConnectTimeout,
    so what aiohttp raised (the cause) decides when there is one."""
    cause = error.__cause__
    if isinstance(cause, aiohttp.ClientError):
        return isinstance(cause, asyncio.TimeoutError)  # aiohttp's timeouts are both
    return isinstance(error, (asyncio.TimeoutError, httpx.TimeoutException))


USER_AGENT = "bzra-cds"
READ_CHUNK_BYTES = 65_536


class PooledClient(httpx.AsyncClient):
    """httpx's API over aiohttp's connection pool, and FHIR reads straight on that pool (`read_direct`).

    Going through httpx's request and response objects and the httpx-aiohttp adapter cost about 0.75 ms
    of CPU per FHIR read, four times aiohttp's own 0.2 ms; a call without prefetch makes five reads.
    Both paths share one pool, the same timeouts and TLS settings, and never follow redirects.
    """

    def __init__(self, timeout: httpx.Timeout) -> None:
        self._pool: aiohttp.ClientSession | None = None
        self._pool_timeout = aiohttp.ClientTimeout(sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool)
        self._ssl = httpx.create_ssl_context()
        super().__init__(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}, transport=AiohttpTransport(client=self.pool)
        )

    def pool(self) -> aiohttp.ClientSession:
        """The process's aiohttp session, made on first use (inside the running event loop)."""
        if self._pool is None or self._pool.closed:
            self._pool = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, ssl=self._ssl),
                timeout=self._pool_timeout,
                headers={"User-Agent": USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # each call has its own token: no cookie carried from one to the next
            )
        return self._pool

    async def read_direct(self, url: str, headers: dict[str, str], limit: int) -> tuple[int, bytes]:
        """The status and body of a GET, given up past `limit` bytes (decoded): read at once when its
        length is declared and it is not compressed, else as a stream counted as it unpacks."""
        async with self.pool().get(url, headers=headers, allow_redirects=False) as response:
            head = response.headers
            declared = head.get("Content-Length", "")
            if declared.isdigit():
                if int(declared) > limit:
                    raise _too_large(limit)
                if "Content-Encoding" not in head and "Transfer-Encoding" not in head:
                    # Exactly the declared bytes, unpacked to no more (aiohttp's parser reads no further):
                    # one read, without the chunk loop and its copies.
                    return response.status, await response.read()
            body = bytearray()
            async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
                body += chunk
                if len(body) > limit:
                    raise _too_large(limit)
            return response.status, bytes(body)

    async def aclose(self) -> None:
        await super().aclose()
        await self._close_pool()

    async def __aexit__(self, *exc_info: Any) -> None:  # httpx closes its transport here, not through aclose
        await super().__aexit__(*exc_info)
        await self._close_pool()

    async def _close_pool(self) -> None:
        if self._pool is not None and not self._pool.closed:
            await self._pool.close()


def make_http_client(connect_timeout: float, read_timeout: float, *, aiohttp_pool: bool = False) -> httpx.AsyncClient:
    """One pooled client for the process; redirects are never followed (they could leave the server).

    `aiohttp_pool`: the service's own client (`PooledClient`) reads FHIR through aiohttp's connection
    pool directly: under concurrent hook calls httpcore's pool cost more CPU per FHIR read than the
    whole pipeline (it probes every idle connection on each request; bench/RESULTS.md). Without it,
    plain httpx, which respx-mocked tests intercept; the transport tests and end-to-end tests use the
    pooled client against real servers.
    """
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout)
    if aiohttp_pool:
        return PooledClient(timeout)
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT})
