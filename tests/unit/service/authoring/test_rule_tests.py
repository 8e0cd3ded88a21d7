"""Rule tests from a Kubernetes ConfigMap volume (tests/support/configmap_support.py) run once each."""

from __future__ import annotations

from pathlib import Path

from service.knowledge.loader import load_knowledge
from service.authoring.rule_tests import run_rule_tests
from service.settings import Settings
from tests.support.configmap_support import mount_configmap, shipped_files
from tests.support.rules_support import SHIPPED

KNOWLEDGE = load_knowledge()


def test_the_rule_tests_of_a_configmap_volume_run_once_each(tmp_path: Path) -> None:
    volume = tmp_path / "rules"
    mount_configmap(volume, shipped_files())
    settings = Settings(rules_reload=False)

    mounted, mounted_problems = run_rule_tests(volume, KNOWLEDGE, settings)
    shipped, _ = run_rule_tests(SHIPPED, KNOWLEDGE, settings)

    assert mounted_problems == []
    assert len(mounted) == len(shipped) > 0
    assert all(result.passed for result in mounted)
