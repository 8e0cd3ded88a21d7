"""The rule author's reference: current, complete, and naming only what the linter accepts."""

from __future__ import annotations

import inspect
import re
import typing
from functools import cache
from pathlib import Path

import pytest
from pydantic import BaseModel

from service.authoring.model_tables import nested_models
from service.authoring.reference import COMMAND, DOCUMENT, rule_reference
from service.cli import main
from service.facts.model import Facts
from service.knowledge.loader import load_knowledge
from service.knowledge.models import Knowledge
from service.rules import cards, texts
from service.rules.models import OverrideReasonFile, Overrides, RuleFile, RuleTestFile, SuggestionKind
from service.rules.names import check_path

ROOT = Path(__file__).resolve().parents[4]
FACT_ROW = re.compile(r"^\| `([a-z_.]+)` \| ", re.MULTILINE)


@cache
def _knowledge() -> Knowledge:
    return load_knowledge()


@cache
def _reference() -> str:
    return rule_reference(_knowledge())


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    found = [root]
    for model in found:
        for info in model.model_fields.values():
            found.extend(nested for nested in nested_models(info.annotation) if nested not in found)
    return found


def _section(title: str) -> str:
    text = _reference()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_the_published_reference_is_current() -> None:
    published = (ROOT / DOCUMENT).read_text(encoding="utf-8")
    assert published == _reference(), f"{DOCUMENT} is not current: run `.venv/bin/{COMMAND}` and commit it"


@pytest.mark.parametrize("root", [Facts, RuleFile, OverrideReasonFile, Overrides, RuleTestFile])
def test_every_field_says_what_it_means_at_its_source(root: type[BaseModel]) -> None:
    missing = [f"{model.__name__}.{name}" for model in _models(root) for name, info in model.model_fields.items() if not info.description]
    assert not missing, f"give these fields a description (a docstring under a fact, Field(description=...) in a rule file): {missing}"


def test_every_fact_is_listed_with_its_meaning() -> None:
    facts = _section("Facts")
    for model in _models(Facts):
        for name, info in model.model_fields.items():
            row = re.search(rf"^\| `(?:[a-z_]+\.)*{name}` \| [^\n]*\| {re.escape(info.description or '')} \|$", facts, re.MULTILINE)
            assert row, f"{model.__name__}.{name} is not in the reference with its meaning"


def test_every_dotted_fact_name_is_one_the_linter_accepts() -> None:
    names = [name for name in FACT_ROW.findall(_section("Facts")) if "." in name]
    assert len(names) > 20  # the nested facts are written out in full (patient.age, history.taper.current_mg)
    wrong = {name: check_path(tuple(name.split(".")), set(), _knowledge()) for name in names}
    assert not {name: problem for name, problem in wrong.items() if problem}


def test_every_map_key_comes_from_the_knowledge() -> None:
    keys = _section("Keys of the fact maps")
    for group in _knowledge().condition_groups:
        assert f"`{group}`" in keys
    for class_id in _knowledge().comedication_classes:
        assert f"`{class_id}`" in keys
    for exemption in _knowledge().exemptions:
        assert f"`{exemption}`" in keys


def test_every_filter_is_documented_by_its_own_docstring() -> None:
    section = _section("Card texts: variables and filters")
    for name, function in texts.ENVIRONMENT.filters.items():
        assert f"`{name}`" in section
        if function.__module__ == texts.__name__:
            assert function.__doc__, f"filter {name} needs a docstring"
            assert " ".join(function.__doc__.split())[:40].replace("|", "\\|") in section


def test_every_suggestion_kind_has_its_section() -> None:
    section = _section("Suggestions")
    for kind in typing.get_args(SuggestionKind):
        assert f"### `{kind}`" in section


def test_merged_cards_are_explained_from_the_card_code() -> None:
    section = _section("Merged cards")
    for function in (cards.merge_cards, cards._detail, cards._links):
        first_line = inspect.cleandoc(function.__doc__ or "").splitlines()[0]
        assert first_line in section, function.__name__
    assert "`card.priority`" in section


def test_rules_reference_check_exits_1_on_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "reference.md"
    assert main(["rules", "reference", "--output", str(target)]) == 0
    assert main(["rules", "reference", "--check", "--output", str(target)]) == 0
    target.write_text(target.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    assert main(["rules", "reference", "--check", "--output", str(target)]) == 1
    assert COMMAND in capsys.readouterr().err
