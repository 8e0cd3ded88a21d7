"""`service.cli.loading`: settings, knowledge and the rules directory, each loaded one way."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.cli.loading import command_knowledge, command_settings, rules_directory
from service.cli.usage import UsageError
from service.knowledge.configured import ConfigurationError
from service.settings_sources import InvalidSettings


def test_overrides_win_and_none_means_not_given(monkeypatch) -> None:
    monkeypatch.setenv("BZRA_LANGUAGE", "nl")
    assert command_settings(language=None).language == "nl"
    assert command_settings(language="fr").language == "fr"


def test_paths_are_checked_for_the_commands_that_use_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BZRA_RULES_DIR", str(tmp_path / "absent"))
    assert command_settings().rules_dir == tmp_path / "absent"  # not used: not checked
    with pytest.raises(InvalidSettings) as caught:
        command_settings(serving=True)
    assert caught.value.lines == [f"BZRA_RULES_DIR: no such directory: {tmp_path / 'absent'}"]


def test_knowledge_that_does_not_fit_the_settings_is_a_configuration_error(monkeypatch) -> None:
    monkeypatch.setenv("BZRA_EQUIVALENCE_TABLE", "nowhere")
    with pytest.raises(ConfigurationError, match="BZRA_EQUIVALENCE_TABLE: unknown table 'nowhere'"):
        command_knowledge(command_settings())


def test_a_missing_rules_directory_is_a_usage_error(tmp_path: Path) -> None:
    assert rules_directory(None, tmp_path) == tmp_path
    with pytest.raises(UsageError, match="rules directory not found"):
        rules_directory(str(tmp_path / "absent"), tmp_path)
