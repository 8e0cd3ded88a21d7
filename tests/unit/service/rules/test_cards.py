"""Cards from fired rules: the override reasons of a group, worked out once per group and language."""

from __future__ import annotations

from service.knowledge.loader import load_knowledge
from service.rules.cards import _reasons
from service.rules.loader import load_rule_set
from tests.support.rules_support import SHIPPED

KNOWLEDGE = load_knowledge()
SHIPPED_SET, _ = load_rule_set(SHIPPED, KNOWLEDGE)


def test_a_group_lists_each_reason_once_in_the_rules_order() -> None:
    first, second = SHIPPED_SET.rules[0], SHIPPED_SET.rules[1]
    codes = [code for _, code, _ in _reasons([first, second], SHIPPED_SET.reasons, "en")]
    expected = list(dict.fromkeys([*first.rule.override_reasons, *second.rule.override_reasons]))
    assert codes == expected
    french = _reasons([first, second], SHIPPED_SET.reasons, "fr")
    assert [display for _, _, display in french] == [SHIPPED_SET.reasons.reasons[code].display.fr for code in expected]


def test_another_reason_file_is_never_answered_from_the_first() -> None:
    """Kept by the group and the file's identity: a file with other displays gets its own."""
    rule = SHIPPED_SET.rules[0]
    _reasons([rule], SHIPPED_SET.reasons, "en")
    changed = SHIPPED_SET.reasons.model_copy(update={"system": "urn:other"})
    assert {system for system, _, _ in _reasons([rule], changed, "en")} == {"urn:other"}
