"""Settings from the environment and a YAML file; bad values stop the service with a clear message."""

from __future__ import annotations

import subprocess
import sys
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


def run_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )


def run_serve(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_command("serve", "--port", "1", env=env)


def assert_one_line_naming(result: subprocess.CompletedProcess, variable: str, message: str = "") -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"bzra-cds: invalid setting {variable}: "), lines[0]
    assert message in lines[0]


@pytest.mark.parametrize(
    ("env", "variable", "message"),
    [
        ({"BZRA_FHIR_SERVER_ALLOWLIST": "not json"}, "BZRA_FHIR_SERVER_ALLOWLIST", "not valid JSON"),
        ({"BZRA_FHIR_SERVER_ALLOWLIST": '["/fhir"]'}, "BZRA_FHIR_SERVER_ALLOWLIST", "entry 0 is not an http(s) URL"),
        ({"BZRA_FHIR_MAX_PAGES": "zero"}, "BZRA_FHIR_MAX_PAGES", "valid integer"),
        ({"BZRA_TRUSTED_ISSUERS": '{"iss": "https://ehr.example"}'}, "BZRA_TRUSTED_ISSUERS", "valid list"),
        ({"BZRA_TRUSTED_ISSUERS": '[{"iss": ""}]'}, "BZRA_TRUSTED_ISSUERS", "[0].iss:"),
        ({"BZRA_LANGUAGE": "de"}, "BZRA_LANGUAGE", "en, nl or fr"),
        ({"BZRA_INSECURE_DEV": "maybe"}, "BZRA_INSECURE_DEV", "valid boolean"),
        ({"BZRA_SETTINGS_FILE": "/nonexistent/bzra.yaml"}, "BZRA_SETTINGS_FILE", "no such file"),
        ({"BZRA_AUDIT_SECRET": "change-me-to-a-long-random-value"}, "BZRA_AUDIT_SECRET", "public placeholder"),
        ({"BZRA_DATABASE_URL": "mysql://bzra:s3cret-pw@db/bzra"}, "BZRA_DATABASE_URL", "supported:"),
        ({"BZRA_RULES_DIR": "/nonexistent/rules"}, "BZRA_RULES_DIR", "no such directory"),
        ({"BZRA_PORT": "http"}, "BZRA_PORT", "not a port number"),
    ],
)
def test_serve_names_each_bad_setting_in_one_line(env: dict[str, str], variable: str, message: str) -> None:
    result = run_serve(env) if variable != "BZRA_PORT" else run_command("serve", env=env)
    assert_one_line_naming(result, variable, message)
    assert "s3cret-pw" not in result.stderr  # a database URL's password is never echoed


def test_an_unknown_equivalence_table_is_named_with_the_known_ones() -> None:
    result = run_serve({"BZRA_EQUIVALENCE_TABLE": "nope"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "bzra-cds: BZRA_EQUIVALENCE_TABLE: unknown table 'nope'; known tables: " + result.stderr.split("known tables: ")[1].strip()
    ]
    assert "ashton" in result.stderr


def test_a_bad_settings_file_is_named_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("fhir_max_pages: 3\nlanguage: [nl\n")
    assert_one_line_naming(run_serve({"BZRA_SETTINGS_FILE": str(broken)}), "BZRA_SETTINGS_FILE", f"{broken}:3:1: YAML syntax error")

    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("fhir_max_page: 3\n")
    assert_one_line_naming(run_serve({"BZRA_SETTINGS_FILE": str(unknown)}), "BZRA_SETTINGS_FILE", "unknown setting 'fhir_max_page'")

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("language: de\n")
    assert_one_line_naming(run_serve({"BZRA_SETTINGS_FILE": str(wrong)}), "BZRA_LANGUAGE", "en, nl or fr")


def test_two_bad_settings_give_one_line_each() -> None:
    result = run_serve({"BZRA_LANGUAGE": "de", "BZRA_FHIR_MAX_PAGES": "0"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = sorted(result.stderr.strip().splitlines())
    assert len(lines) == 2
    assert lines[0].startswith("bzra-cds: invalid setting BZRA_FHIR_MAX_PAGES: Input should be greater than or equal to 1")
    assert lines[1].startswith("bzra-cds: invalid setting BZRA_LANGUAGE:")


@pytest.mark.parametrize(
    "command",
    [("migrate",), ("report",), ("suppressions", "list"), ("rules", "lint"), ("rules", "test"), ("facts", "x.json"), ("evaluate", "x.json")],
    ids=lambda command: " ".join(command),
)
def test_every_command_names_a_bad_setting_in_one_line(command: tuple[str, ...]) -> None:
    assert_one_line_naming(run_command(*command, env={"BZRA_FHIR_SERVER_ALLOWLIST": "not json"}), "BZRA_FHIR_SERVER_ALLOWLIST", "not valid JSON")


def test_store_commands_name_an_unusable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for command in (("migrate",), ("report",)):
        assert_one_line_naming(run_command(*command, env={"BZRA_DATA_DIR": str(blocker / "var")}), "BZRA_DATA_DIR", "cannot create")


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
