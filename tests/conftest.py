from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.facts_support import TODAY


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings() -> Settings:
    return Settings(insecure_dev=True, fhir_total_timeout=2.0, fhir_read_timeout=1.0, rules_reload=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, today=lambda: TODAY)) as test_client:
        yield test_client
