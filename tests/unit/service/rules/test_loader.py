"""`fires_on`: what a rule declares it can fire on, checked at load and summed over the rule set."""

from __future__ import annotations

from pathlib import Path

from service.knowledge.loader import load_knowledge
from service.rules.loader import load_rule_set
from tests.rules_support import SHIPPED, minimal_rule, rules_dir

KNOWLEDGE = load_knowledge()


def declared(rule_yaml: str, fires_on: str) -> str:
    return rule_yaml.replace("    when:", f"    fires_on: {fires_on}\n    when:")


def test_the_shipped_rules_declare_the_classes_they_fire_on() -> None:
    rule_set, problems = load_rule_set(SHIPPED, KNOWLEDGE)
    assert rule_set is not None, problems
    assert all(rule.draft_classes is not None for rule in rule_set.rules)
    classes = rule_set.draft_classes("order-sign")
    assert classes is not None and "bzra" in classes
    sedatives = rule_set.rule("sedative-co-prescription")
    assert sedatives is not None and set(sedatives.params["sedative_classes"]) <= classes  # params.<name> filled in


def test_one_rule_without_a_declaration_means_any_draft(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, "high-dose", extra={"mine.yaml": minimal_rule("mine", when="size(draft_classes) > 0")})
    rule_set, problems = load_rule_set(directory, KNOWLEDGE)
    assert rule_set is not None, problems
    assert rule_set.draft_classes("order-sign") is None
    assert rule_set.draft_classes("order-select") == {"bzra"}  # the rule without a declaration is for order-sign only


def test_an_unknown_draft_class_is_named_with_the_known_ones(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, extra={"mine.yaml": declared(minimal_rule("mine"), "[bzra, antipsycotic]")})
    rule_set, problems = load_rule_set(directory, KNOWLEDGE)
    assert rule_set is None
    [problem] = problems
    assert "unknown draft class antipsycotic" in problem.message and "antipsychotic" in problem.message
    assert problem.line is not None


def test_a_parameter_named_in_fires_on_must_be_a_list(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, extra={"mine.yaml": declared(minimal_rule("mine"), "[params.limit]")})
    rule_set, problems = load_rule_set(directory, KNOWLEDGE)
    assert rule_set is None and "not a list parameter" in problems[0].message


def test_a_deployment_override_of_the_parameter_changes_the_classes(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("rules:\n  sedative-co-prescription:\n    parameters:\n      sedative_classes: [moud]\n")
    rule_set, problems = load_rule_set(rules_dir(tmp_path, "sedative-co-prescription"), KNOWLEDGE, overrides)
    assert rule_set is not None, problems
    assert rule_set.draft_classes("order-sign") == {"bzra", "moud"}


def test_a_disabled_rule_declares_nothing(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("rules:\n  mine:\n    enabled: false\n")
    directory = rules_dir(tmp_path, "high-dose", extra={"mine.yaml": minimal_rule("mine")})
    rule_set, problems = load_rule_set(directory, KNOWLEDGE, overrides)
    assert rule_set is not None, problems
    assert rule_set.draft_classes("order-sign") == {"bzra"}
