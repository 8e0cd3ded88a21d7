"""Helpers for rule tests: a scratch rules directory holding chosen rules."""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path
from tests.support.paths import ROOT

SHIPPED = ROOT / "rules"


@lru_cache(maxsize=1)
def shipped_rule_count() -> int:
    """How many rules the checkout's `rules/` holds, read by the real loader (so no test pins a count)."""
    from service.knowledge.loader import load_knowledge
    from service.rules.loader import load_rule_set

    rule_set, problems = load_rule_set(SHIPPED, load_knowledge())
    assert rule_set is not None and not problems, problems
    return len(rule_set.rules)

MINIMAL_RULE = """\
rules:
  - id: {rule_id}
    version: 1
    title: A test rule
    hooks: [order-sign]
    parameters:
      limit:
        value: 10
        description: a limit
        source: a test
    when: {when}
    card:
      indicator: {indicator}
      group: {group}
      summary:
        en: "{summary}"
        nl: "NL {summary}"
      source: {{label: Test source, url: "https://example.org/guideline"}}
    override_reasons: [not-applicable]
"""


def rules_dir(tmp_path: Path, *shipped: str, extra: dict[str, str] | None = None) -> Path:
    """A directory with the override reasons, the named shipped rules and extra files."""
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    shutil.copy(SHIPPED / "override-reasons.yaml", directory)
    for name in shipped:
        shutil.copy(SHIPPED / f"{name}.yaml", directory)
    for name, text in (extra or {}).items():
        (directory / name).write_text(text)
    return directory


def minimal_rule(rule_id: str = "test-rule", when: str = "has_draft_bzra", indicator: str = "warning", summary: str = "Summary", group: str = "g") -> str:
    return MINIMAL_RULE.format(rule_id=rule_id, when=when, indicator=indicator, summary=summary, group=group)
