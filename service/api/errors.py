"""Client errors as JSON bodies that name the problem: `{"error", "message", "fields"}`.

Every 4xx the service sends has this shape, so an EHR integrator can see at once which field to fix.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


def shown(text: str, limit: int = 100) -> str:
    """A value from the request as an error message may repeat it: cut to `limit` characters, so a
    5 MB field never comes back in a 10 MB answer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, fields: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.fields = fields or []


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.error, exc.message, exc.fields), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        malformed, fields = _validation_fields(exc)
        if malformed:
            return JSONResponse(error_body("malformed_json", fields[0]["problem"], fields), status_code=400)
        names = ", ".join(f["field"] for f in fields)
        return JSONResponse(error_body("invalid_request", f"invalid or missing: {names}", fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(name, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)
