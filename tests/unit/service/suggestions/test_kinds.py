"""The suggestion-kind guide matches the kinds rules may name, the linter's parameters and the settings."""

from __future__ import annotations

import typing

from service.rules.loader import SUGGESTION_PARAMS
from service.rules.models import SuggestionKind
from service.settings import Settings
from service.suggestions import small_pack_days
from service.suggestions.kinds import KINDS, SMALL_PACK_DAYS


def test_every_kind_a_rule_may_name_is_described() -> None:
    assert set(KINDS) == set(typing.get_args(SuggestionKind))


def test_rule_parameters_are_the_ones_the_linter_checks() -> None:
    for kind, guide in KINDS.items():
        assert tuple(guide.rule_parameters) == SUGGESTION_PARAMS[kind], kind
        assert all(meaning.strip() for meaning in guide.rule_parameters.values())


def test_named_settings_exist_and_say_what_they_do() -> None:
    for kind, guide in KINDS.items():
        for name in guide.settings:
            assert name in Settings.model_fields, f"{kind}: no setting {name}"
            assert Settings.model_fields[name].description, f"{kind}: setting {name} has no description"


def test_what_each_kind_offers_comes_from_its_builder() -> None:
    for kind, guide in KINDS.items():
        offers = guide.offers()
        assert offers and "\n" not in offers, kind
        assert offers.split(":")[0].lower().replace(" ", "_").startswith(kind.split("_")[0]), (kind, offers)


class _Rule:
    def __init__(self, params: dict[str, object]) -> None:
        self.params = params


class _Course:
    days_left_within_limit = 9


class _Facts:
    course = _Course()


def test_the_small_pack_reads_the_documented_parameter() -> None:
    assert small_pack_days(_Rule({SMALL_PACK_DAYS: 5}), _Facts()) == 5  # type: ignore[arg-type]
    assert small_pack_days(_Rule({}), _Facts()) == 9  # type: ignore[arg-type]
