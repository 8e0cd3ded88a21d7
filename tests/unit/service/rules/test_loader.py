"""The rule loader and linter: every mistake an author can make is reported with file, line and reason,
and a ConfigMap volume loads each rule once."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.knowledge.loader import load_knowledge
from service.rules.loader import load_rule_set
from tests.support.configmap_support import mount_configmap, shipped_files
from tests.support.rules_support import SHIPPED, minimal_rule, rules_dir, shipped_rule_count

KNOWLEDGE = load_knowledge()


def problems_for(tmp_path: Path, text: str, name: str = "rule.yaml", overrides: str | None = None) -> list[str]:
    directory = rules_dir(tmp_path, extra={name: text})
    overrides_path = None
    if overrides is not None:
        overrides_path = tmp_path / "overrides.yaml"
        overrides_path.write_text(overrides)
    rule_set, problems = load_rule_set(directory, KNOWLEDGE, overrides_path)
    assert (rule_set is None) == bool(problems)
    return [str(p) for p in problems]


def test_a_valid_rule_loads(tmp_path: Path) -> None:
    assert problems_for(tmp_path, minimal_rule()) == []


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    [problem] = problems_for(tmp_path, "rules:\n  - id: x\n    title: [unclosed\n")
    assert problem.startswith(f"{tmp_path}/rules/rule.yaml:") and "YAML syntax error" in problem


def test_schema_error_names_the_field_and_line(tmp_path: Path) -> None:
    text = minimal_rule().replace("indicator: warning", "indicator: urgent")
    [problem] = problems_for(tmp_path, text)
    assert "rule.yaml:13:" in problem and "card.indicator" in problem


def test_unknown_field_is_reported(tmp_path: Path) -> None:
    text = minimal_rule().replace("    version: 1\n", "    version: 1\n    severity: high\n")
    [problem] = problems_for(tmp_path, text)
    assert "rule.yaml:4:" in problem and "unknown field" in problem


def test_cel_syntax_error(tmp_path: Path) -> None:
    [problem] = problems_for(tmp_path, minimal_rule(when='"has_draft_bzra &&"'))
    assert "rule.yaml:11:" in problem and "CEL error" in problem


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("history.bzra_continous_days > 3", "unknown fact name 'history.bzra_continous_days'"),
        ("drafts_count > 1", "unknown name 'drafts_count'"),
        ("comedication.opioid", "unknown key 'opioid' in comedication"),
        ("conditions.alcoholism", "unknown key 'alcoholism' in conditions"),
        ("patient.age.years > 3", "'patient.age' is a single value"),
        ("draft.days_supply > params.max_days", "unknown parameter 'params.max_days'"),
    ],
)
def test_unknown_names_and_parameters(tmp_path: Path, when: str, expected: str) -> None:
    [problem] = problems_for(tmp_path, minimal_rule(when=f'"{when}"'))
    assert expected in problem and "rule.yaml:11:" in problem


def test_names_inside_macros_and_strings_are_not_mistaken(tmp_path: Path) -> None:
    when = "drafts.exists(d, d.is_bzra && \\\"x.y\\\" in d.reasons) && comedication[\\\"gabapentinoid\\\"] && params.limit > 1"
    assert problems_for(tmp_path, minimal_rule(when=f'"{when}"')) == []


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, extra={"a.yaml": minimal_rule("same"), "b.yaml": minimal_rule("same")})
    _, problems = load_rule_set(directory, KNOWLEDGE)
    [problem] = [str(p) for p in problems]
    assert "b.yaml:2:" in problem and "duplicate rule id 'same'" in problem and "a.yaml" in problem


def test_unknown_override_reason(tmp_path: Path) -> None:
    [problem] = problems_for(tmp_path, minimal_rule().replace("[not-applicable]", "[because-i-said-so]"))
    assert "unknown override reason 'because-i-said-so'" in problem


def test_template_with_an_unknown_name(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, minimal_rule(summary="Dose {{ draft.dose_mg }}"))
    assert problems and all("rule.yaml:" in p for p in problems)
    assert any("dose_mg" in p for p in problems)


def test_template_syntax_error(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, minimal_rule(summary="Dose {{ draft.mg_per_day "))
    assert any("template syntax error" in p for p in problems)


def test_small_pack_days_is_optional_but_must_be_whole_days(tmp_path: Path) -> None:
    text = minimal_rule().replace("    override_reasons:", "    suggestions: [small_pack]\n    override_reasons:")
    (tmp_path / "without").mkdir()
    (tmp_path / "bad").mkdir()
    assert problems_for(tmp_path / "without", text) == []  # sized to the days left within the course's limit
    bad = text.replace("    parameters:\n", "    parameters:\n      small_pack_days: {value: two weeks, description: d, source: s}\n")
    [problem] = problems_for(tmp_path / "bad", bad)
    assert "suggestion small_pack needs 'small_pack_days' as whole days above 0" in problem


def test_overrides_naming_unknown_rules_or_parameters(tmp_path: Path) -> None:
    overrides = "rules:\n  test-rule:\n    parameters:\n      nope: 3\n  ghost-rule:\n    enabled: false\n"
    problems = problems_for(tmp_path, minimal_rule(), overrides=overrides)
    assert any("overrides.yaml:4:" in p and "no parameter 'nope'" in p for p in problems)
    assert any("overrides.yaml:5:" in p and "no rule with id 'ghost-rule'" in p for p in problems)


def test_missing_override_reasons_file(tmp_path: Path) -> None:
    directory = tmp_path / "bare"
    directory.mkdir()
    (directory / "rule.yaml").write_text(minimal_rule())
    _, problems = load_rule_set(directory, KNOWLEDGE)
    assert any("override-reasons.yaml" in str(p) for p in problems)


def test_a_configmap_volume_loads_each_rule_once(tmp_path: Path) -> None:
    volume = tmp_path / "rules"
    mount_configmap(volume, shipped_files())
    assert any(p.name.startswith("..2026") for p in volume.iterdir())  # the hidden copy is really there

    rule_set, problems = load_rule_set(volume, KNOWLEDGE)

    assert problems == []
    assert rule_set is not None and len(rule_set.rules) == shipped_rule_count()
    assert all(Path(f).parent == volume for f in rule_set.files)  # read through the visible symlinks


# ---- `fires_on`: what a rule declares it can fire on, checked at load and summed over the rule set ----

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
