"""Read a JSON request body into a protocol model, after the route itself has been checked.

Routes parse their own body (rather than letting FastAPI do it first) so that an unknown service
gets its 404 before any complaint about the body, and every complaint names the field.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from service.api.errors import ApiError

Model = TypeVar("Model", bound=BaseModel)


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` that documents the body the route parses by hand."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema(ref_template="#/components/schemas/{model}")}},
        }
    }


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def loads_strict(raw: bytes) -> Any:
    """JSON without NaN or Infinity (RFC 8259). orjson reads a hook body in about half the time;
    what it refuses (e.g. a lone surrogate escape) is read again by the standard library, which
    accepts or refuses it as it always did and gives the message."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw, parse_constant=_reject_constant)


async def parse_body(request: Request, model: type[Model]) -> Model:
    raw = await request.body()
    try:
        data = loads_strict(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
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
