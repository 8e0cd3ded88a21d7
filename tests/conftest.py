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


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test (and every service process it starts) keeps its database and spool to itself."""
    monkeypatch.setenv("BZRA_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture
def settings() -> Settings:
    return Settings(insecure_dev=True, fhir_total_timeout=2.0, fhir_read_timeout=1.0, rules_reload=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, today=lambda: TODAY)) as test_client:
        yield test_client
