"""Rule tests catch a wrong `fires_on`: the fast path trusts the declaration, so a rule that fires in
its own test case on drafts outside it would be skipped by every real hook call."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.authoring.rule_tests import run_rule_tests
from service.knowledge import load_knowledge
from service.settings import Settings
from tests.support.rules_support import rules_dir

RULE = """rules:
  - id: any-bzra-draft
    version: 1
    title: A BZRA ordered
    hooks: [order-sign]
    fires_on: [{declared}]
    when: has_draft_bzra
    card:
      indicator: info
      summary: {{en: "A BZRA", nl: "Een BZRA", fr: "Un BZRA"}}
      source: {{label: Test source, url: "https://example.org/guideline"}}
    override_reasons: [not-applicable]
"""

CASE = """tests:
  - name: a diazepam order
    orders:
      - {drug: diazepam 5 mg tablet, dose: 1 tablet a day, quantity: 10, reason: anxiety}
    expect:
      fires: [any-bzra-draft]
"""


@pytest.mark.parametrize(("declared", "failing"), [("bzra", False), ("opioid_analgesic", True)])
def test_a_rule_firing_outside_its_declared_draft_classes_fails_its_test(tmp_path: Path, declared: str, failing: bool) -> None:
    directory = rules_dir(tmp_path, extra={"bzra.yaml": RULE.format(declared=declared), "bzra.test.yaml": CASE})
    results, problems = run_rule_tests(directory, load_knowledge(), Settings())
    assert problems == [] and len(results) == 1
    failures = results[0].failures
    if failing:
        assert any("outside its fires_on ['opioid_analgesic']: a hook call would skip it" in f for f in failures), failures
    else:
        assert failures == []
