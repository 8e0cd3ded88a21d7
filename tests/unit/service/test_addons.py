"""The demo is an add-on: the application finds it through an entry point, and no production module
imports it (issue 19: the dependency points from the demo to the service, never back)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service import addons
from service.knowledge.configured import ConfigurationError
from service.settings import Settings

SERVICE = Path(addons.__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return modules


def test_no_production_module_imports_the_demo() -> None:
    offenders = {
        str(path.relative_to(SERVICE.parent)): sorted(m for m in _imported_modules(path) if m.startswith("service.demo"))
        for path in SERVICE.rglob("*.py")
        if "demo" not in path.relative_to(SERVICE).parts
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_demo_is_installed_only_when_the_settings_ask_for_it() -> None:
    status = {}
    for demo in (False, True):
        app = FastAPI()
        assert "demo" in addons.install_addons(app, Settings(insecure_dev=True, demo=demo))
        status[demo] = TestClient(app).get("/demo/static/demo.js").status_code
    assert status == {False: 404, True: 200}


def test_demo_mode_without_the_demo_installed_is_a_start_up_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addons, "entry_points", lambda group: [])
    assert addons.install_addons(FastAPI(), Settings(insecure_dev=True)) == []
    with pytest.raises(ConfigurationError, match="BZRA_DEMO"):
        addons.install_addons(FastAPI(), Settings(insecure_dev=True, demo=True))
