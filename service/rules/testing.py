"""Run the test cases that live beside the rules (`*.test.yaml`): each a small patient and an order,
with the rules expected to fire and not to fire. Used by `bzra-cds rules test` and by CI.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from cds_hooks import HookRequest
from service.catalog import SERVICES_BY_HOOK
from service.fhir.cache import ResponseCache
from service.knowledge.models import Knowledge
from service.pipeline import Pipeline
from service.rules.engine import evaluate
from service.rules.loader import RuleSet, load_rule_set, rule_test_files
from service.rules.models import RuleTestCase, RuleTestFile
from service.rules.shorthand import ShorthandError, request_for_case
from service.settings import Settings
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


def _check(case: RuleTestCase, fired: list[str], indicators: list[str], rule_set: RuleSet) -> list[str]:
    failures = []
    known = {r.id for r in rule_set.rules}
    for rule_id in case.expect.fires + case.expect.not_fires:
        if rule_id not in known:
            failures.append(f"no rule '{rule_id}' in this rule set")
    for rule_id in case.expect.fires:
        if rule_id in known and rule_id not in fired:
            failures.append(f"expected {rule_id} to fire; it did not")
    for rule_id in case.expect.not_fires:
        if rule_id in fired:
            failures.append(f"expected {rule_id} not to fire; it did")
    if case.expect.cards is not None and indicators != case.expect.cards:
        failures.append(f"expected cards {case.expect.cards}, got {indicators}")
    return failures


async def run_case(case: RuleTestCase, rule_set: RuleSet, knowledge: Knowledge, settings: Settings) -> tuple[list[str], list[str]]:
    """(rules fired, failures) for one case, through the same pipeline as a real hook call."""
    try:
        request = HookRequest.model_validate(request_for_case(case, knowledge))
    except ShorthandError as error:
        return [], [str(error)]
    pipeline = Pipeline(settings, None, ResponseCache(0, 0), knowledge, today=lambda: case.today)
    service = SERVICES_BY_HOOK[case.hook]
    record = await pipeline.collect(service, request)
    facts = pipeline.facts(record, case.hook)
    evaluation = evaluate(rule_set, facts, case.hook, settings.language)
    problems = [f"{o.rule.id} not evaluated: {o.reason}" for o in evaluation.not_evaluated()]
    indicators = [c.indicator for c in evaluation.cards]
    return evaluation.fired, problems + _check(case, evaluation.fired, indicators, rule_set)


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
