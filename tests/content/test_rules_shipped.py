"""The default rule set: valid, tested both ways, sourced, in three languages; schemas published."""

from __future__ import annotations

import json

import pytest
import yaml

from service.knowledge.loader import load_knowledge
from service.language import LANGUAGES
from service.rules.loader import load_rule_set, rule_test_files
from service.authoring.schema import rendered_schemas
from service.authoring.rule_tests import run_rule_tests
from service.settings import Settings
from tests.support.rules_support import SHIPPED

KNOWLEDGE = load_knowledge()
RULE_SET, PROBLEMS = load_rule_set(SHIPPED, KNOWLEDGE)


def test_the_default_rule_set_loads_without_problems() -> None:
    assert PROBLEMS == []
    assert {r.id for r in RULE_SET.rules} == {
        "long-term-use",
        "order-too-long",
        "projected-use",
        "ongoing-taper",
        "high-dose",
        "high-dose-from-order",
        "opioid-and-bzra",
        "sedative-co-prescription",
        "duplicate-bzra",
        "older-adult",
        "substance-use-disorder",
    }


def test_every_rule_test_passes() -> None:
    results, problems = run_rule_tests(SHIPPED, KNOWLEDGE, Settings())
    assert problems == []
    failed = [(r.name, r.failures) for r in results if not r.passed]
    assert failed == []
    assert len(results) >= 16


def test_every_rule_has_cases_that_fire_and_cases_that_must_not() -> None:
    fires: set[str] = set()
    not_fires: set[str] = set()
    for path in rule_test_files(SHIPPED):
        for case in yaml.safe_load(path.read_text())["tests"]:
            fires.update(case["expect"].get("fires", []))
            not_fires.update(case["expect"].get("not_fires", []))
    ids = {r.id for r in RULE_SET.rules}
    assert ids <= fires and ids <= not_fires


@pytest.mark.parametrize("rule", RULE_SET.rules, ids=lambda r: r.id)
def test_every_rule_cites_its_source_and_speaks_three_languages(rule) -> None:
    card = rule.rule.card
    assert card.source.label and card.source.url.startswith("https://")
    for text in (card.summary, card.detail):
        for language in LANGUAGES:
            assert getattr(text, language), f"{rule.id}: {language} missing"
    for name, parameter in rule.rule.parameters.items():
        assert parameter.source and parameter.description, name
    assert rule.rule.override_reasons


@pytest.mark.parametrize("rule", RULE_SET.rules, ids=lambda r: r.id)
def test_words_are_respectful(rule) -> None:
    texts = " ".join(
        getattr(t, lang) or "" for t in (rule.rule.card.summary, rule.rule.card.detail) for lang in LANGUAGES
    ).lower()
    for word in ("abuse", "addict", "misbruik", "verslaafde", "toxicomane", "abus "):
        assert word not in texts, f"{rule.id} uses '{word}'"


def test_published_schemas_match_the_models() -> None:
    for name, text in rendered_schemas().items():
        published = (SHIPPED / "schema" / name).read_text()
        assert json.loads(published) == json.loads(text), f"rules/schema/{name} is stale: run 'bzra-cds rules schema'"
