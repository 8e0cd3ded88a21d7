"""Read a JSON request body into a protocol model, after the route itself has been checked.

Routes parse their own body (rather than letting FastAPI do it first) so that an unknown service
gets its 404 before any complaint about the body, and every complaint names the field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from service.api.errors import ApiError
from service.strict_json import loads_strict

Model = TypeVar("Model", bound=BaseModel)


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` that documents the body the route parses by hand."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema(ref_template="#/components/schemas/{model}")}},
        }
    }


async def parse_body(request: Request, model: type[Model]) -> Model:
    raw = await request.body()
    try:
        data = loads_strict(raw)
    except ValueError as error:  # also UnicodeDecodeError and json.JSONDecodeError
        problem = f"malformed JSON: {error}"
        raise ApiError(400, "malformed_json", problem, [{"field": "body", "problem": problem}]) from None
    if not isinstance(data, dict):
        problem = "the request body must be a JSON object"
        raise ApiError(400, "malformed_json", problem, [{"field": "body", "problem": problem}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = [
            {"field": ".".join(str(p) for p in item["loc"]) or "body", "problem": item["msg"]} for item in error.errors()
        ]
        names = ", ".join(f["field"] for f in fields)
        raise ApiError(422, "invalid_request", f"invalid or missing: {names}", fields) from None
