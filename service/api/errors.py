"""Client errors as JSON bodies that name the problem: `{"error", "message", "fields"}`.

Every 4xx the service sends has this shape, so an EHR integrator can see at once which field to fix.
One handler answers every `BzraError` (service/errors.py) and every `cds_hooks.HookError`; Starlette
finds it by walking the raised error's classes, so a route raises and never maps errors itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cds_hooks import HookError
from service.api.error_texts import localised, request_language
from service.errors import BzraError, RequestError, shown

__all__ = ["ApiError", "error_body", "install_error_handlers", "shown"]


class ApiError(RequestError):
    """A refusal the HTTP layer makes itself (unknown service, a body that is not JSON, …)."""

    def __init__(self, status: int, code: str, message: str, fields: list[dict[str, str]] | None = None):
        super().__init__(message, fields)
        self.status = status  # one class for many refusals: status and code are set per refusal
        self.code = code


def error_body(error: str, message: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error, "message": message}
    if fields:
        body["fields"] = fields
    return body


def _validation_fields(exc: RequestValidationError) -> tuple[bool, list[dict[str, str]]]:
    fields = []
    malformed_json = False
    for item in exc.errors():
        if item.get("type") == "json_invalid":
            malformed_json = True
            ctx = item.get("ctx") or {}
            fields.append({"field": "body", "problem": f"malformed JSON: {ctx.get('error', item['msg'])}"})
            continue
        location = [str(p) for p in item.get("loc", ()) if p != "body"] or ["body"]
        fields.append({"field": ".".join(location), "problem": item["msg"]})
    return malformed_json, fields


async def _refusal(request: Request, exc: Exception) -> JSONResponse:
    """Every `BzraError` and `HookError`: its status, its code, its fields; the message in the request's language."""
    if not isinstance(exc, (BzraError, HookError)):
        raise exc  # registered for those two trees only
    language = request_language(request)
    fields = exc.fields_in(language)
    message = localised(request, exc.code, exc.text(language), fields)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(error_body(exc.code, message, fields), status_code=exc.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    # Starlette finds a handler by walking the exception's classes: one for each error tree.
    app.add_exception_handler(BzraError, _refusal)
    app.add_exception_handler(HookError, _refusal)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        malformed, fields = _validation_fields(exc)
        if malformed:
            return JSONResponse(error_body("malformed_json", fields[0]["problem"], fields), status_code=400)
        names = ", ".join(f["field"] for f in fields)
        message = localised(request, "invalid_request", f"invalid or missing: {names}", fields)
        return JSONResponse(error_body("invalid_request", message, fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(name, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)
