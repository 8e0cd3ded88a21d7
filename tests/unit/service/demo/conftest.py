"""The app with its demo routes, for the demo's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.support.facts_support import TODAY


@pytest.fixture
def demo_client() -> Iterator[TestClient]:
    settings = Settings(insecure_dev=True, demo=True, rules_reload=False)
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        yield client
