"""The one error model: every error the service raises on purpose is a `BzraError` in one of three
families, and the HTTP layer answers each of them (and the `cds_hooks` errors) in one handler."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cds_hooks import ContextError, HookError
from cds_hooks.prefetch import TemplateError
from service.api.errors import ApiError, install_error_handlers
from service.api.limits import BodyTooLarge
from service.api.openapi import SchemaClash
from service.errors import BzraError, DeploymentError, RequestError, RuleError, UnavailableError
from service.fhir.client import FhirError
from service.fhir.gather import MissingData
from service.knowledge.configured import ConfigurationError
from service.knowledge.glossary import GlossaryError
from service.knowledge.loader import KnowledgeError
from service.migrate import MigrationFailed
from service.pipeline import WrongHook
from service.rules.expressions import ExpressionError
from service.rules.shorthand import ShorthandError
from service.rules.texts import TemplateProblem
from service.security.errors import AuthError
from service.security.replay import SharedStoreDown
from service.settings_sources import InvalidSettings, SettingProblem
from service.store.db import SchemaMismatch
from service.store.store import StoreUnavailable
from service.strict_json import TooDeep
from service.taper.errors import TaperError
from service.taper.markets import MarketError
from service.taper.protocol import TaperProtocolError

SERVICE = Path(__file__).resolve().parents[3] / "service"
FAMILIES = {
    RequestError: (ApiError, AuthError, WrongHook, MissingData, TaperError, BodyTooLarge, TooDeep),
    DeploymentError: (
        InvalidSettings, SettingProblem, ConfigurationError, KnowledgeError, GlossaryError, MarketError,
        TaperProtocolError, SchemaClash, RuleError, ExpressionError, TemplateProblem, ShorthandError,
    ),
    UnavailableError: (FhirError, StoreUnavailable, SchemaMismatch, MigrationFailed, SharedStoreDown),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_error_sits_in_its_family(family: type[BzraError]) -> None:
    for error in FAMILIES[family]:
        assert issubclass(error, family), error


def test_no_error_class_outside_the_tree() -> None:
    """A new exception class in service/ derives from a `BzraError` family, not from a built-in."""
    builtin_bases = {"Exception", "ValueError", "RuntimeError", "LookupError", "KeyError", "TypeError"}
    strays = []
    for path in SERVICE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name != "BzraError":
                first = node.bases[0] if node.bases else None
                if isinstance(first, ast.Name) and first.id in builtin_bases:
                    strays.append(f"{path.relative_to(SERVICE)}:{node.lineno} {node.name}")
    assert strays == []


def test_cds_hooks_has_its_own_base_and_no_service_import() -> None:
    assert issubclass(ContextError, HookError) and issubclass(TemplateError, HookError)
    assert not issubclass(HookError, BzraError)
    for path in (SERVICE.parent / "cds_hooks").rglob("*.py"):
        assert "from service" not in path.read_text(encoding="utf-8") and "import service" not in path.read_text(encoding="utf-8"), path


def test_an_error_carries_status_code_and_fields() -> None:
    wrong = WrongHook("service 'x' answers the 'order-sign' hook, not '" + "y" * 500 + "'")
    assert (wrong.status, wrong.code) == (400, "wrong_hook")
    assert len(wrong.message) < 400 and wrong.fields == [{"field": "hook", "problem": wrong.message}]
    missing = MissingData(["patient"])
    assert (missing.status, missing.fields[0]["field"]) == (412, "prefetch.patient")
    assert FhirError("down").status == 503 and FhirError("down").exit_status == 1
    assert ConfigurationError("BZRA_MARKET: unknown").exit_status == 2


def _app(error: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    async def fail() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def test_one_handler_answers_every_family_with_its_status() -> None:
    taper = _app(TaperError("dose", "dose_missing")).get("/fail?language=nl")
    assert taper.status_code == 422 and taper.json()["error"] == "invalid_taper"
    assert taper.json()["fields"] == [{"field": "dose", "problem": taper.json()["message"]}]
    assert taper.json()["message"] == TaperError("dose", "dose_missing").text("nl") != TaperError("dose", "dose_missing").message
    refused = _app(AuthError("a bearer JWT is required")).get("/fail")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert refused.json() == {"error": "unauthorized", "message": "a bearer JWT is required"}
    down = _app(StoreUnavailable("the database is not available")).get("/fail")
    assert down.status_code == 503 and down.json()["error"] == "store_unavailable"


def test_cds_hooks_errors_are_mapped_by_the_same_handler() -> None:
    problems = [{"field": "context.patientId", "problem": "Field required"}]
    answer = _app(ContextError("order-sign", problems)).get("/fail")
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_context" and answer.json()["fields"] == problems
