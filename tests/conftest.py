from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import respx.mocks
from fastapi.testclient import TestClient
from hypothesis import settings

from service.app import create_app
from service.settings import Settings
from tests.support.facts_support import TODAY

# respx mocks at the httpx client (`using="httpx"`) rather than inside httpcore, so it also intercepts
# the service's own client, which sends through aiohttp (service/fhir/client.py `make_http_client`).
respx.mocks.DEFAULT_MOCKER = respx.mocks.HTTPXMocker.name

# Property tests check behaviour, not speed (the benchmark measures that): beside another worker
# (`make test` runs two), one example may take longer than hypothesis's default deadline of 200 ms.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

TESTS = Path(__file__).resolve().parent
# A test's group is its directory under tests/ (README "Tests"); these groups carry a marker of that name.
MARKED_GROUPS = ("e2e", "browser")


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by -m
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test in tests/e2e/ and tests/browser/ by its directory, so `-m` selects groups."""
    for item in items:
        group = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""
        if group in MARKED_GROUPS:
            item.add_marker(group)


@pytest.fixture(autouse=True)
def test_client_is_never_mocked() -> None:
    """Starlette's TestClient is an httpx client too: its calls to the app go through, unmocked."""
    if not any(route.name == "testserver" for route in respx.mock.routes):
        respx.mock.route(host="testserver", name="testserver").pass_through()


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
