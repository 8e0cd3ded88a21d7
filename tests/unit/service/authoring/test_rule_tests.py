"""Rule tests catch a wrong `fires_on`: the fast path trusts the declaration, so a rule that fires in
its own test case on drafts outside it would be skipped by every real hook call. The rule tests of a
Kubernetes ConfigMap volume (tests/support/configmap_support.py) run once each."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.authoring.rule_tests import run_rule_tests
from service.knowledge import load_knowledge
from service.settings import Settings
from tests.support.configmap_support import mount_configmap, shipped_files
from tests.support.rules_support import SHIPPED, rules_dir

KNOWLEDGE = load_knowledge()
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


def test_the_rule_tests_of_a_configmap_volume_run_once_each(tmp_path: Path) -> None:
    volume = tmp_path / "rules"
    mount_configmap(volume, shipped_files())
    settings = Settings(rules_reload=False)

    mounted, mounted_problems = run_rule_tests(volume, KNOWLEDGE, settings)
    shipped, _ = run_rule_tests(SHIPPED, KNOWLEDGE, settings)

    assert mounted_problems == []
    assert len(mounted) == len(shipped) > 0
    assert all(result.passed for result in mounted)
