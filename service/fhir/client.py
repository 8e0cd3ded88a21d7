"""Reads from the EHR's FHIR server: JSON over HTTP with timeouts, paging and clear failures.

Every failure (timeout, refused connection, 401, 5xx, an OperationOutcome, a body that is not JSON)
becomes a `FhirError` with a plain reason; callers turn it into "could not check", never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from service import metrics
from service.fhir.cache import ResponseCache
from service.fhir.parse import next_link
from service.strict_json import loads_strict

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"


class FhirError(Exception):
    """A FHIR read that failed; `reason` is safe to show (no tokens, no resource contents)."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


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
        max_pages: int,
        max_concurrency: int,
        deadline: float,
    ):
        self._http = http
        self.base_url = base_url.rstrip("/") + "/"
        self._patient_id = patient_id
        self._token = token
        self._cache = cache
        self._max_pages = max_pages
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._deadline = deadline

    def remaining(self) -> float:
        return self._deadline - time.monotonic()

    async def get(self, path_or_url: str) -> dict[str, Any]:
        """GET one resource or search page as JSON (from the cache when this token fetched it before)."""
        url = urljoin(self.base_url, path_or_url)
        if not _same_origin(url, self.base_url):
            raise FhirError("a link pointed outside the FHIR server named in the request; not followed")
        key = ResponseCache.key(self.base_url, self._patient_id, self._token, url)
        cached = self._cache.get(key)
        if cached is not None:
            metrics.FHIR_CALLS.labels(outcome="cache_hit").inc()
            return loads_strict(cached)
        body, raw = await self._fetch(url)
        self._cache.put(key, raw)
        return body

    async def search(self, query: str) -> tuple[list[dict[str, Any]], bool]:
        """All pages of a search, up to the page cap: (bundles, truncated)."""
        pages = [await self.get(query)]
        while (link := next_link(pages[-1])) is not None:
            if len(pages) >= self._max_pages:
                return pages, True
            pages.append(await self.get(link))
        return pages, False

    async def _fetch(self, url: str) -> tuple[dict[str, Any], bytes]:
        """(the parsed answer, its raw bytes for the cache); errors become `FhirError`."""
        headers = {"Accept": FHIR_JSON}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        async with self._semaphore:
            remaining = self.remaining()
            if remaining <= 0:
                metrics.FHIR_CALLS.labels(outcome="budget_exhausted").inc()
                raise FhirError("the time allowed for FHIR reads ran out")
            started = time.monotonic()
            try:
                response = await asyncio.wait_for(self._http.get(url, headers=headers), timeout=remaining)
            except (asyncio.TimeoutError, httpx.HTTPError, aiohttp.ClientError) as error:
                if _timed_out(error):
                    metrics.FHIR_CALLS.labels(outcome="timeout").inc()
                    raise FhirError("the FHIR server did not answer in time") from None
                metrics.FHIR_CALLS.labels(outcome="unreachable").inc()
                raise FhirError(f"the FHIR server could not be reached ({type(error.__cause__ or error).__name__})") from None
            finally:
                metrics.FHIR_LATENCY.observe(time.monotonic() - started)
        return self._json_or_error(response), response.content

    @staticmethod
    def _json_or_error(response: httpx.Response) -> dict[str, Any]:
        try:
            body = loads_strict(response.content)
        except ValueError:  # not JSON, or JSON with NaN or Infinity
            body = None
        if response.is_redirect:
            metrics.FHIR_CALLS.labels(outcome="error").inc()
            raise FhirError(f"the FHIR server answered with a redirect ({response.status_code}); not followed", response.status_code)
        if response.status_code in (401, 403):
            metrics.FHIR_CALLS.labels(outcome="unauthorized").inc()
            raise FhirError(f"the FHIR server refused the access token ({response.status_code})", response.status_code)
        if response.status_code >= 400:
            metrics.FHIR_CALLS.labels(outcome="error").inc()
            detail = _operation_outcome_text(body) if isinstance(body, dict) else "no details"
            raise FhirError(f"the FHIR server answered {response.status_code}: {detail}", response.status_code)
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            metrics.FHIR_CALLS.labels(outcome="error").inc()
            raise FhirError("the FHIR server's answer was not a FHIR JSON resource", response.status_code)
        if body["resourceType"] == "OperationOutcome":
            metrics.FHIR_CALLS.labels(outcome="error").inc()
            raise FhirError(f"the FHIR server reported: {_operation_outcome_text(body)}", response.status_code)
        metrics.FHIR_CALLS.labels(outcome="ok").inc()
        return body


def _timed_out(error: BaseException) -> bool:
    """A timeout, not another failure. httpx-aiohttp reports a refused connection as httpx.ConnectTimeout,
    so what aiohttp raised (the cause) decides when there is one."""
    cause = error.__cause__
    if isinstance(cause, aiohttp.ClientError):
        return isinstance(cause, asyncio.TimeoutError)  # aiohttp's timeouts are both
    return isinstance(error, (asyncio.TimeoutError, httpx.TimeoutException))


def make_http_client(connect_timeout: float, read_timeout: float, *, aiohttp_pool: bool = False) -> httpx.AsyncClient:
    """One pooled client for the process; redirects are never followed (they could leave the server).

    `aiohttp_pool`: the service's own client sends through aiohttp's connection pool (httpx-aiohttp):
    under concurrent hook calls httpcore's pool cost more CPU per FHIR read than the whole pipeline
    (it probes every idle connection on each request; bench/RESULTS.md). The httpx API stays the same,
    so respx-mocked tests use httpx's own transport and the end-to-end tests the aiohttp one.
    """
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout)
    transport = AiohttpTransport() if aiohttp_pool else None
    return httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, headers={"User-Agent": "bzra-cds"}, transport=transport
    )
