"""Run the test cases that live beside the rules (`*.test.yaml`): each a small patient and an order,
with the rules expected to fire and not to fire, the suggestions expected (or not), phrases the cards
must say and facts they must hold. Used by `bzra-cds rules test` and by CI.

A case runs through the pipeline's own steps up to the rules (see `run_case`), in English.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds_hooks import Card, HookRequest
from service.catalog import SERVICES_BY_HOOK
from service.facts.model import Facts
from service.fhir.cache import ResponseCache
from service.knowledge.models import Knowledge
from service.fhir.record import PatientRecord
from service.pipeline import Pipeline, draft_classes
from service.rules.cards import BuiltSuggestion, SuggestionFactory
from service.rules.engine import evaluate
from service.rules.loader import LoadedRule, RuleSet, load_rule_set, rule_test_files
from service.rules.models import RuleTestCase, RuleTestFile
from service.rules.shorthand import ShorthandError, request_for_case
from service.settings import Settings
from service.suggestions import Suggestions
from service.yamlsource import Problem, read_model


@dataclass(frozen=True)
class CaseResult:
    file: str
    line: int | None
    name: str
    failures: list[str]
    fired: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def _fact(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path; a number picks from a list (`history.current_bzras.0.drug`)."""
    value: Any = data
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(path)
    return value


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and isinstance(actual, (int, float)):
        return abs(float(expected) - float(actual)) < 1e-6
    return bool(expected == actual)


def _check_facts(case: RuleTestCase, facts: Facts) -> list[str]:
    data = facts.model_dump(mode="json")
    failures = []
    for path, expected in case.expect.facts.items():
        try:
            actual = _fact(data, path)
        except KeyError:
            failures.append(f"no fact '{path}'")
            continue
        if not _same(expected, actual):
            failures.append(f"expected {path} = {expected!r}, got {actual!r}")
    return failures


def _check(case: RuleTestCase, outcome: Outcome, rule_set: RuleSet) -> list[str]:
    failures = []
    known = {r.id for r in rule_set.rules}
    expect = case.expect
    for rule_id in expect.fires + expect.not_fires:
        if rule_id not in known:
            failures.append(f"no rule '{rule_id}' in this rule set")
    for rule_id in expect.fires:
        if rule_id in known and rule_id not in outcome.fired:
            failures.append(f"expected {rule_id} to fire; it did not")
    for rule_id in expect.not_fires:
        if rule_id in outcome.fired:
            failures.append(f"expected {rule_id} not to fire; it did")
    indicators = [c.indicator for c in outcome.cards]
    if expect.cards is not None and indicators != expect.cards:
        failures.append(f"expected cards {expect.cards}, got {indicators}")
    for kind in expect.suggests:
        if kind not in outcome.suggested:
            failures.append(f"expected a {kind} suggestion; offered: {', '.join(outcome.suggested) or 'none'}")
    for kind in expect.not_suggests:
        if kind in outcome.suggested:
            failures.append(f"expected no {kind} suggestion; it was offered")
    text = "\n".join(f"{c.summary}\n{c.detail or ''}" for c in outcome.cards)
    failures += [f"expected a card to say '{phrase}'" for phrase in expect.says if phrase not in text]
    return failures


@dataclass(frozen=True)
class Outcome:
    fired: list[str]
    cards: list[Card]
    suggested: list[str]  # kinds of the suggestions the answer offers


def _check_declarations(fired: list[str], rule_set: RuleSet, record: PatientRecord, knowledge: Knowledge) -> list[str]:
    """A rule that fires in a case on drafts outside its `fires_on` would be skipped by a hook call
    (the fast path trusts the declaration): the case reveals the wrong declaration."""
    by_id = {loaded.rule.id: loaded for loaded in rule_set.rules}
    classes = [draft_classes(order, knowledge) for order in record.draft_orders]
    if any(found is None for found in classes):
        return []  # a draft the call cannot classify before reading: the full path runs
    ordered = frozenset().union(*classes) if classes else frozenset()
    failures = []
    for rule_id in fired:
        declared = by_id[rule_id].draft_classes if rule_id in by_id else None
        if declared is not None and not ordered & declared:
            failures.append(
                f"{rule_id} fired on drafts of classes {sorted(ordered) or 'none'}, outside its fires_on "
                f"{sorted(declared)}: a hook call would skip it"
            )
    return failures


def _recording(suggest: SuggestionFactory, offered: list[str]) -> SuggestionFactory:
    """The real suggestion factory, noting the kind of each suggestion it builds."""

    def build(kind: str, rule: LoadedRule, facts: Facts, language: str) -> BuiltSuggestion | None:
        built = suggest(kind, rule, facts, language)
        if built is not None:
            offered.append(kind)
        return built

    return build


async def run_case(case: RuleTestCase, rule_set: RuleSet, knowledge: Knowledge, settings: Settings) -> tuple[list[str], list[str]]:
    """(rules fired, failures) for one case.

    What runs is what a hook call runs up to the advice: `Pipeline.collect` (the context, the draft
    orders and the record from the case's prefetch; no FHIR server), `Pipeline.facts`, then the rules
    of `rule_set` with the real suggestion builders (`Suggestions.for_call`). What does not run: the
    suppressions (a case has no store, hence no earlier feedback), the data card, the audit and the
    metrics, so a case's expected `cards` are the rules' cards alone.
    """
    try:
        request = HookRequest.model_validate(request_for_case(case, knowledge))
    except ShorthandError as error:
        return [], [str(error)]
    pipeline = Pipeline(settings, None, ResponseCache(0, 0), knowledge, today=lambda: case.today)
    service = SERVICES_BY_HOOK[case.hook]
    record = await pipeline.collect(service, request)
    facts = pipeline.facts(record, case.hook)
    offered: list[str] = []
    suggest = _recording(Suggestions(knowledge, settings).for_call(record, None), offered)
    evaluation = evaluate(rule_set, facts, case.hook, "en", suggest)
    problems = [f"{o.rule.id} not evaluated: {o.reason}" for o in evaluation.not_evaluated()]
    outcome = Outcome(evaluation.fired, evaluation.cards, offered)
    declarations = _check_declarations(evaluation.fired, rule_set, record, knowledge)
    return evaluation.fired, problems + declarations + _check(case, outcome, rule_set) + _check_facts(case, facts)


def run_rule_tests(
    directory: Path, knowledge: Knowledge, settings: Settings, overrides: Path | None = None
) -> tuple[list[CaseResult], list[Problem]]:
    rule_set, problems = load_rule_set(directory, knowledge, overrides)
    if rule_set is None:
        return [], problems
    results: list[CaseResult] = []
    for path in rule_test_files(Path(directory)):
        source, test_file, file_problems = read_model(path, RuleTestFile)
        problems += file_problems
        if source is None or test_file is None:
            continue
        for index, case in enumerate(test_file.tests):
            fired, failures = asyncio.run(run_case(case, rule_set, knowledge, settings))
            line, _ = source.position(("tests", index))
            results.append(CaseResult(str(path), line, case.name, failures, fired))
    if not results and not problems:
        problems.append(Problem(str(directory), None, None, "no rule tests (*.test.yaml) found"))
    return results, problems
