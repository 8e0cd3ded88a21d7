"""A hospital can tell what it runs and what it is for: version and intended use where they look."""

from __future__ import annotations

import re
import tomllib

from fastapi.testclient import TestClient
from tests.support.paths import ROOT

PROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_discovery_states_the_intended_use_and_version_of_every_service(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    assert len(services) == 3
    for service in services:
        assert "never replaces the prescriber's judgement" in service["description"]
        assert "never blocks a prescription" in service["description"]
        assert f"bzra-cds {PROJECT_VERSION}" in service["description"]


def test_healthz_and_openapi_give_the_version(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "alive", "version": PROJECT_VERSION}
    assert client.get("/openapi.json").json()["info"]["version"] == PROJECT_VERSION


def test_the_changelog_has_an_entry_for_the_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[?{re.escape(PROJECT_VERSION)}\]?\b", changelog, re.M), PROJECT_VERSION


def test_the_readme_states_the_intended_use_for_a_medical_device_officer() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Intended use", 1)[1].split("\n## ", 1)[0]
    for words in ("What it is for", "Who it is for", "What it is not", "never replaces the prescriber's judgement",
                  "(EU) 2017/745", "Rule 11", "Article 5(5)", "CHANGELOG.md"):
        assert words in section, words
