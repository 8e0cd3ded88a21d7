"""Bad settings stop every command in a subprocess with one line naming the setting and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.support.service_process import free_port


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


def test_the_served_command_says_so_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "BZRA_MARKET": "ZZ", "BZRA_INSECURE_DEV": "true"}, check=False,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("bzra-cds:")]
    assert lines and lines[0].startswith("bzra-cds: BZRA_MARKET: unknown market 'ZZ'")


def test_serving_outside_development_mode_without_the_secret_stops_with_one_line_naming_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(free_port())],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "BZRA_RULES_RELOAD": "false"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "BZRA_AUDIT_SECRET is required" in result.stderr, result.stderr
