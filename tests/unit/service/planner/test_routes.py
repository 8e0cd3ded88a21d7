"""The taper planner's routes: the page with its Content-Security-Policy, its files and its configuration,
in demo mode and out of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.planner.routes import PLANNER_FILES
from service.settings import Settings
from tests.support.facts_support import TODAY


@pytest.fixture
def demo_client() -> Iterator[TestClient]:
    settings = Settings(insecure_dev=True, demo=True, rules_reload=False)
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        yield client


def test_the_planner_page_its_files_and_config(demo_client: TestClient) -> None:
    page = demo_client.get("/planner")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self' https:" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    for name in PLANNER_FILES:
        assert demo_client.get(f"/planner/static/{name}").status_code == 200, name
    config = demo_client.get("/planner/config").json()
    assert config["demo"] is True and config["smartClientId"] is None
    assert config["scope"] == "launch patient/MedicationRequest.write openid fhirUser"
    assert {"id": "lorazepam", "name": {"en": "lorazepam", "nl": "lorazepam", "fr": "lorazépam"}} in config["drugs"]


def test_the_smart_client_id_reaches_the_page() -> None:
    settings = Settings(insecure_dev=True, rules_reload=False, smart_client_id="bzra-planner")
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        assert client.get("/planner/config").json()["smartClientId"] == "bzra-planner"
