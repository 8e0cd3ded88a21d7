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


def run_serve(env: dict[str, str]) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", "1"], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BZRA_FHIR_MAX_PAGES": "zero"}, "BZRA_FHIR_MAX_PAGES"),
        ({"BZRA_SETTINGS_FILE": "/nonexistent/bzra.yaml"}, "no such file"),
        ({"BZRA_EQUIVALENCE_TABLE": "nope"}, "BZRA_EQUIVALENCE_TABLE: unknown table 'nope'"),
    ],
)
def test_serve_refuses_bad_settings_with_exit_2(env: dict[str, str], message: str) -> None:
    result = run_serve(env)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
