"""FHIR access edge cases, with the EHR's FHIR server mocked by respx.

The end-to-end test (tests/e2e/test_server.py) runs the same paths against a real HTTP server.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from cds_hooks import HookRequest
from service.app import create_app
from service.fhir.cache import ResponseCache
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.rules.holder import RuleHolder
from service.settings import Settings
from service.store import CallAudit
from tests.support import builders as b
from tests.support.facts_support import TODAY
from tests.support.fhir_routes import BASE, SIGN, answer, issues, route_all
from tests.support.rules_support import SHIPPED, rules_dir

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


# ---- the fast path: a call on whose draft orders no rule can fire reads no history --------------------
# Whether a rule can fire is decided from what the rules declare (`fires_on`), never from a list in the
# code; the answer must be the one the full path gives, and the call is still audited.

ATC = "http://www.whocc.no/atc"


def drug(display: str, rxnorm: str | None = None, atc: str | None = None) -> dict[str, Any]:
    codings = [{"system": b.RXNORM, "code": rxnorm, "display": display}] if rxnorm else []
    codings += [{"system": ATC, "code": atc}] if atc else []
    return {"coding": codings, "text": display}


AMOXICILLIN = drug("amoxicillin 500 MG Oral Capsule", "308191", "J01CA04")
METFORMIN = drug("metformin hydrochloride 500 MG Oral Tablet", "861007", "A10BA02")
GABAPENTIN = drug("gabapentin 300 MG Oral Capsule", "310431", "N02BF01")
OXYCODONE = drug("oxycodone hydrochloride 5 MG Oral Tablet", "1049621", "N02AA05")
QUETIAPINE = drug("quetiapine 25 MG Oral Tablet", atc="N05AH04")


def order(concept: dict[str, Any], rid: str = "draft-1") -> dict[str, Any]:
    return b.draft_order(rid, medicationCodeableConcept=concept)


class AuditRecorder:
    """Stands in for the store: keeps the audit records handed to it."""

    def __init__(self) -> None:
        self.calls: list[CallAudit] = []

    def record_call(self, audit: CallAudit) -> None:
        self.calls.append(audit)


def pipeline(rules: Path = SHIPPED, store: Any = None) -> Pipeline:
    settings = Settings(insecure_dev=True)
    knowledge = load_configured_knowledge(settings)
    holder = RuleHolder(rules, knowledge)
    assert holder.reload(), holder.problems
    return Pipeline(settings, None, ResponseCache(0, 0), knowledge, holder, store=store, audit_secret="s3cret")


def history_with_a_bzra_in_use() -> dict[str, Any]:
    prefetch = b.full_prefetch()
    prefetch["medicationRequests"] = b.searchset(b.medication_request(authored_on="2026-11-10"))
    return prefetch


def comparable(wire: dict[str, Any]) -> dict[str, Any]:
    """The answer without what is new on every call (card and suggestion uuids)."""
    for card in wire.get("cards", []):
        card.pop("uuid", None)
        for suggestion in card.get("suggestions", []):
            suggestion.pop("uuid", None)
    return wire


def never(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the history was read on a call no rule can fire on")


async def test_an_amoxicillin_order_reads_and_parses_no_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.pipeline.gather_record", never)
    monkeypatch.setattr("service.fhir.gather.read_resource", never)
    monkeypatch.setattr("service.pipeline.build_facts", never)
    recorder = AuditRecorder()
    request = HookRequest.model_validate(b.hook_request(drafts=[order(AMOXICILLIN)], prefetch=history_with_a_bzra_in_use()))
    response = await pipeline(store=recorder).answer(SIGN, request)
    assert response.cards == []
    [audit] = recorder.calls  # still audited
    assert audit.hook_instance == request.hookInstance and audit.rules_evaluated == () and audit.cards == ()


@pytest.mark.parametrize(
    "drafts",
    [
        [order(AMOXICILLIN)],
        [order(METFORMIN)],
        [order(AMOXICILLIN), order(METFORMIN, "draft-2")],
        [order(GABAPENTIN)],
        [order(OXYCODONE)],
        [order(QUETIAPINE)],
        [b.draft_order()],  # lorazepam
        [order(AMOXICILLIN), b.draft_order("draft-2")],
        [],
    ],
    ids=["amoxicillin", "metformin", "two-others", "gabapentin", "oxycodone", "quetiapine", "lorazepam", "amoxicillin+lorazepam", "none"],
)
async def test_the_fast_path_answers_as_the_full_path(drafts: list[dict[str, Any]]) -> None:
    request = HookRequest.model_validate(b.hook_request(drafts=drafts, prefetch=history_with_a_bzra_in_use()))
    fast = pipeline()
    full = pipeline()
    full._rules_can_fire = lambda record, hook: True  # type: ignore[method-assign]
    assert comparable((await fast.answer(SIGN, request)).wire()) == comparable((await full.answer(SIGN, request)).wire())


async def test_a_co_medication_order_with_a_bzra_in_use_still_gets_its_card() -> None:
    request = HookRequest.model_validate(b.hook_request(drafts=[order(GABAPENTIN)], prefetch=history_with_a_bzra_in_use()))
    body = (await pipeline().answer(SIGN, request)).wire()
    assert "sedative-co-prescription" in b.rule_ids(body)


ANTIPSYCHOTIC_RULE = """\
rules:
  - id: antipsychotic-draft
    version: 1
    title: An antipsychotic ordered
    hooks: [order-sign]
{fires_on}    when: '"antipsychotic" in draft_classes'
    card:
      indicator: info
      summary: {{en: "An antipsychotic", nl: "Een antipsychoticum", fr: "Un antipsychotique"}}
      source: {{label: Test source, url: "https://example.org/guideline"}}
    override_reasons: [not-applicable]
"""


@pytest.mark.parametrize("fires_on", ["    fires_on: [antipsychotic]\n", ""], ids=["declared", "undeclared"])
async def test_a_new_rule_about_an_antipsychotic_draft_fires(tmp_path: Path, fires_on: str) -> None:
    shipped = [p.stem for p in SHIPPED.glob("*.yaml") if not p.name.endswith(".test.yaml") and p.stem != "override-reasons"]
    directory = rules_dir(tmp_path, *shipped, extra={"antipsychotic.yaml": ANTIPSYCHOTIC_RULE.format(fires_on=fires_on)})
    request = HookRequest.model_validate(b.hook_request(drafts=[order(QUETIAPINE)], prefetch=b.full_prefetch()))
    body = (await pipeline(directory).answer(SIGN, request)).wire()
    assert "antipsychotic-draft" in b.rule_ids(body)


class SuppressionStore(AuditRecorder):
    """Stands in for the store: one rule suppressed for every patient; counts the lookups."""

    def __init__(self, suppressed: set[str]) -> None:
        super().__init__()
        self.suppressed = suppressed
        self.lookups = 0

    def surely_unsuppressed(self, patient_hash: str, now: Any) -> bool:
        return not self.suppressed

    async def suppressed_rules(self, patient_hash: str, now: Any) -> set[str]:
        self.lookups += 1
        return self.suppressed


async def test_suppressions_are_looked_up_only_when_a_rule_would_fire() -> None:
    store = SuppressionStore({"sedative-co-prescription"})
    no_bzra = {**b.full_prefetch(), "medicationStatements": b.searchset(), "medicationRequests": b.searchset()}
    quiet = HookRequest.model_validate(b.hook_request(drafts=[order(GABAPENTIN)], prefetch=no_bzra))
    assert (await pipeline(store=store).answer(SIGN, quiet)).cards == []
    assert store.lookups == 0
    firing = HookRequest.model_validate(b.hook_request(drafts=[order(GABAPENTIN)], prefetch=history_with_a_bzra_in_use()))
    body = (await pipeline(store=store).answer(SIGN, firing)).wire()
    assert store.lookups == 1 and "sedative-co-prescription" not in b.rule_ids(body)
    assert ("sedative-co-prescription", 2) not in store.calls[-1].rules_evaluated  # recorded as skipped
