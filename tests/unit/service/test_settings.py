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


def test_closed_sets_are_literal_types_named_with_their_choices() -> None:
    from service.settings import load_settings
    from service.settings_sources import InvalidSettings

    with pytest.raises(InvalidSettings) as caught:
        load_settings(taper_pace="fast", log_format="xml", replay_store="disk")
    assert sorted(caught.value.lines) == [
        "BZRA_LOG_FORMAT: must be json or text, not 'xml'",
        "BZRA_REPLAY_STORE: must be database, redis or local, not 'disk'",
        "BZRA_TAPER_PACE: must be standard or slow, not 'fast'",
    ]
    settings = Settings(log_level="warning", market=" nl ")
    assert (settings.log_level, settings.market) == ("WARNING", "NL")


def test_the_fhir_limits_travel_as_one_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BZRA_FHIR_MAX_PAGES", "3")
    monkeypatch.setenv("BZRA_FHIR_TOTAL_TIMEOUT", "1.5")
    limits = Settings(fhir_page_count=50).fhir_limits
    assert (limits.max_pages, limits.total_timeout, limits.page_count) == (3, 1.5, 50)
    assert limits == Settings(fhir_page_count=50).fhir_limits  # a value: equal when the settings are


def test_the_database_url_in_use_is_computed(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).database_url_in_use == f"sqlite+aiosqlite:///{tmp_path / 'bzra.db'}"
    url = "postgresql+asyncpg://bzra@db/bzra"
    assert Settings(data_dir=tmp_path, database_url=url).database_url_in_use == url


def test_host_port_and_workers_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BZRA_HOST", "0.0.0.0")
    monkeypatch.setenv("BZRA_PORT", "9090")
    monkeypatch.setenv("BZRA_WORKERS", "3")
    settings = Settings()
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9090, 3)
    assert Settings(port=8081).port == 8081  # the command line's --port wins
    with pytest.raises(ValidationError, match="not a port number"):
        Settings(port=70000)
