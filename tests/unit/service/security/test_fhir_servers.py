"""SSRF protection for `fhirServer`, and the limits on bodies and resources."""

from __future__ import annotations

import httpx
import pytest
import respx

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_ID
from service.fhir.cache import ResponseCache
from service.fhir.client import make_http_client
from service.fhir.gather import MissingData
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.security.fhir_servers import FhirServerPolicy
from service.settings import Settings
from tests.support import builders as b
from tests.support.fhir_routes import route_all

SIGN = SERVICES_BY_ID["bzra-order-sign"]
ALLOWED = "https://ehr.hospital.example/fhir"
pytestmark = pytest.mark.anyio


async def answer(request: dict, policy: FhirServerPolicy) -> dict:
    settings = Settings(insecure_dev=False)
    async with make_http_client(1, 1) as http:
        pipeline = Pipeline(settings, http, ResponseCache(0, 0), load_configured_knowledge(settings), fhir_policy=policy)
        return (await pipeline.answer(SIGN, HookRequest.model_validate(request))).wire()


def issues(body: dict) -> list[dict]:
    return body.get("extension", {}).get("bzra-cds.data-issues", [])


@pytest.mark.parametrize(
    ("allowlist", "server", "allowed"),
    [
        ([ALLOWED], ALLOWED, True),
        ([ALLOWED], ALLOWED + "/", True),
        ([ALLOWED], "https://ehr.hospital.example/fhir-other", False),
        ([ALLOWED], "http://ehr.hospital.example/fhir", False),  # scheme differs
        ([ALLOWED], "https://ehr.hospital.example:8443/fhir", False),  # port differs
        ([ALLOWED], "https://evil.example/fhir", False),
        ([], ALLOWED, False),  # nothing allowed outside development mode
    ],
)
async def test_allow_list_matches_scheme_host_port_and_path(allowlist, server, allowed) -> None:
    policy = FhirServerPolicy(allowlist, allow_private=False, dev=False)
    refusal = await policy.refusal(server)
    assert (refusal is None) == allowed, refusal


@pytest.mark.parametrize(
    ("server", "allow_private", "dev", "refused"),
    [
        ("http://10.1.2.3/fhir", False, False, "private"),
        ("http://10.1.2.3/fhir", True, False, None),
        ("http://127.0.0.1:8080/fhir", False, True, None),  # development mode may use a local server
        ("http://169.254.169.254/latest", False, True, "link-local"),  # cloud metadata: never, even in dev
        ("http://[::1]/fhir", False, False, "private"),
    ],
)
async def test_private_and_link_local_addresses(server, allow_private, dev, refused) -> None:
    policy = FhirServerPolicy([server], allow_private=allow_private, dev=dev)
    refusal = await policy.refusal(server)
    assert (refusal is None) if refused is None else (refused in refusal or "loopback" in refusal)


@respx.mock
async def test_a_refused_server_is_never_called_and_never_sent_the_token() -> None:
    evil = respx.route(host="evil.example").mock(return_value=httpx.Response(200, json=b.searchset()))
    request = b.hook_request(prefetch=b.full_prefetch(), fhir_server="https://evil.example/fhir", token="precious")
    body = await answer(request, FhirServerPolicy([ALLOWED], allow_private=False, dev=False))
    assert evil.call_count == 0
    assert any(i["where"] == "fhirServer" and "allow-list" in i["problem"] for i in issues(body))


async def test_a_refused_server_with_missing_prefetch_is_412_with_the_reason() -> None:
    request = b.hook_request(prefetch={"patient": b.patient()}, fhir_server="https://evil.example/fhir")
    with pytest.raises(MissingData) as error:
        await answer(request, FhirServerPolicy([ALLOWED], allow_private=False, dev=False))
    assert "not on this service's allow-list" in str(error.value)


@respx.mock
async def test_an_allowed_server_is_used() -> None:
    routes = route_all(respx.mock)  # answers for http://ehr.test/fhir
    request = b.hook_request(fhir_server="http://ehr.test/fhir")
    body = await answer(request, FhirServerPolicy(["http://ehr.test/fhir"], allow_private=False, dev=False))
    assert routes["MedicationRequest"].call_count == 1 and issues(body) == []


class CountingResolver:
    """Stands in for the event loop's getaddrinfo: answers `address` for any name, counting the asks."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, address: str | None) -> None:
        self.asked = 0
        self.address = address
        import asyncio

        loop = asyncio.get_running_loop()

        async def getaddrinfo(host: str, *args: object, **kwargs: object) -> list:
            self.asked += 1
            if self.address is None:
                raise OSError("name does not resolve")
            return [(2, 1, 6, "", (self.address, 0))]

        monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


async def test_a_resolved_name_is_not_asked_again_within_the_pools_dns_time(monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = CountingResolver(monkeypatch, "93.184.215.14")
    policy = FhirServerPolicy([ALLOWED], allow_private=False, dev=False)
    assert [await policy.refusal(ALLOWED) for _ in range(3)] == [None, None, None]
    assert resolver.asked == 1


async def test_a_name_resolving_to_a_private_address_stays_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = CountingResolver(monkeypatch, "10.0.0.5")
    policy = FhirServerPolicy([ALLOWED], allow_private=False, dev=False)
    for _ in range(2):
        assert "private" in (await policy.refusal(ALLOWED) or "")
    assert resolver.asked == 1


async def test_the_verdict_is_asked_again_once_the_dns_time_has_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that later resolves to a private address (rebinding) is refused once the kept verdict ends."""
    resolver = CountingResolver(monkeypatch, "93.184.215.14")
    policy = FhirServerPolicy([ALLOWED], allow_private=False, dev=False)
    assert await policy.refusal(ALLOWED) is None
    resolver.address = "169.254.169.254"
    policy._verdicts.expire(time=policy._verdicts.timer() + 11)  # RESOLVED_TTL_SECONDS later
    assert "link-local" in (await policy.refusal(ALLOWED) or "")
    assert resolver.asked == 2


async def test_a_name_that_did_not_resolve_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = CountingResolver(monkeypatch, None)
    policy = FhirServerPolicy([ALLOWED], allow_private=False, dev=False)
    assert await policy.refusal(ALLOWED) is None  # the read will fail and say the server was unreachable
    assert await policy.refusal(ALLOWED) is None
    assert resolver.asked == 2


async def test_kept_verdicts_are_bounded() -> None:
    policy = FhirServerPolicy([], allow_private=False, dev=True)
    for port in range(2000):
        await policy.refusal(f"http://127.0.0.1:{port}/fhir")
    assert len(policy._verdicts) <= 1024
