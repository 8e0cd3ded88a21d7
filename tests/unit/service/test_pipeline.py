"""The pipeline's fast path: a call on whose draft orders no rule can fire reads no history.

Whether a rule can fire is decided from what the rules declare (`fires_on`), never from a list in the
code; the answer must be the one the full path gives, and the call is still audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_ID
from service.fhir.cache import ResponseCache
from service.knowledge.configured import load_configured_knowledge
from service.pipeline import Pipeline
from service.rules.holder import RuleHolder
from service.settings import Settings
from service.store import CallAudit
from tests import builders as b
from tests.rules_support import SHIPPED, rules_dir

pytestmark = pytest.mark.anyio
SIGN = SERVICES_BY_ID["bzra-order-sign"]
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
    monkeypatch.setattr("service.fhir.gather.parse_resource", never)
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
