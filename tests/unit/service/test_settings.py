"""Settings from the environment and a YAML file; bad values stop the service with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.settings import Settings


def test_a_settings_file_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bzra.yaml"
    path.write_text("fhir_max_pages: 3\nlanguage: nl\nhelp_links:\n  - {label: Druglijn, url: 'https://www.druglijn.be'}\n")
    monkeypatch.setenv("BZRA_SETTINGS_FILE", str(path))
    monkeypatch.setenv("BZRA_LANGUAGE", "fr")
    settings = Settings()
    assert settings.fhir_max_pages == 3
    assert settings.language == "fr"
    assert settings.help_links[0].label == "Druglijn"


def test_invalid_values_name_the_setting() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(language="de", fhir_max_pages=0)
    text = str(error.value)
    assert "language" in text and "fhir_max_pages" in text


def test_the_audit_secret_settings_refuse_what_anyone_could_know() -> None:
    with pytest.raises(ValueError, match="public placeholder"):
        Settings(audit_secret="change-me-to-a-long-random-value")
    with pytest.raises(ValueError, match="at least 16 characters"):
        Settings(audit_secret="short")
    assert Settings(audit_secret="  ").audit_secret is None  # blank is unset: required outside development mode
    with pytest.raises(ValueError, match="BZRA_REDIS_URL"):
        Settings(replay_store="redis")
