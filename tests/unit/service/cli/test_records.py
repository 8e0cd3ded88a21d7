"""`service.cli.records`: a hook request file read with one-line errors, and pipelines built complete."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from service.cli.records import parse_today, pipeline_for, read_hook_request
from service.cli.usage import UsageError
from service.knowledge.configured import load_configured_knowledge
from service.rules.holder import RuleHolder
from service.settings import Settings


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(insecure_dev=True)


def test_a_file_that_is_not_a_hook_request_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text('{"hook": "order-sign"}')
    with pytest.raises(UsageError, match="is not a CDS Hooks request: hookInstance"):
        read_hook_request(str(path))
    path.write_text("{")
    with pytest.raises(UsageError, match="is not valid JSON"):
        read_hook_request(str(path))


def test_today_is_a_date_or_a_usage_error() -> None:
    assert parse_today("2026-11-23") == date(2026, 11, 23)
    with pytest.raises(UsageError, match="--today must be a date"):
        parse_today("23/11/2026")


def test_a_pipeline_with_rules_is_built_with_its_suggestions(settings: Settings) -> None:
    knowledge = load_configured_knowledge(settings)
    facts_only = pipeline_for(settings, knowledge, date(2026, 12, 1))
    assert facts_only.rules is None and facts_only.suggestions is None and facts_only.today() == date(2026, 12, 1)
    holder = RuleHolder(settings.rules_dir, knowledge, None)
    with_rules = pipeline_for(settings, knowledge, date(2026, 12, 1), rules=holder)
    assert with_rules.rules is holder and with_rules.suggestions is not None
