"""Read a JSON request body into a protocol model, after the route itself has been checked.

Routes parse their own body (rather than letting FastAPI do it first) so that an unknown service
gets its 404 before any complaint about the body, and every complaint names the field.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from service.api.errors import ApiError, shown
from service.strict_json import loads_keeping_raw, loads_strict

Model = TypeVar("Model", bound=BaseModel)
REF_TEMPLATE = "#/components/schemas/{model}"


def openapi_body(schema: dict[str, Any] | type[BaseModel], examples: dict[str, Any] | None = None) -> dict[str, Any]:
    """`openapi_extra` that documents the body the route parses by hand (a model, or its JSON Schema).

    The schema's nested definitions (`$defs`) are moved to `components` by `service.api.openapi`.
    """
    if not isinstance(schema, dict):
        schema = schema.model_json_schema(ref_template=REF_TEMPLATE)
    content: dict[str, Any] = {"schema": schema}
    if examples:
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


def is_json_media_type(content_type: str) -> bool:
    """`application/json`, or a JSON-based type such as `application/fhir+json`, with any parameters."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _require_json_content_type(request: Request) -> None:
    """415 for a body declared as something else; a request without Content-Type is read as JSON."""
    declared = request.headers.get("content-type")
    if declared is not None and not is_json_media_type(declared):
        problem = f"the body must be JSON (Content-Type: application/json), not '{shown(declared, 100)}'"
        raise ApiError(415, "unsupported_media_type", problem, [{"field": "Content-Type", "problem": problem}])


@functools.cache
def _member_names(model: type[BaseModel]) -> tuple[str, ...]:
    """The JSON members the model declares (its fields' aliases, else names); once per model, not per request."""
    return tuple(field.alias or name for name, field in model.model_fields.items())


async def parse_body(request: Request, model: type[Model], keep_raw: str | None = None) -> Model:
    """`keep_raw`: a member whose own members stay unread JSON (`RawJson`) until used (the prefetch)."""
    _require_json_content_type(request)
    raw = await request.body()
    try:
        data = (loads_keeping_raw(raw, keep_raw, _member_names(model)) if keep_raw else None) or loads_strict(raw)
    except ValueError as error:  # also UnicodeDecodeError and json.JSONDecodeError
        problem = f"malformed JSON: {shown(str(error), 300)}"
        raise ApiError(400, "malformed_json", problem, [{"field": "body", "problem": problem}]) from None
    if not isinstance(data, dict):
        problem = "the request body must be a JSON object"
        raise ApiError(400, "malformed_json", problem, [{"field": "body", "problem": problem}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = [
            {"field": ".".join(str(p) for p in item["loc"]) or "body", "problem": shown(item["msg"], 300)}
            for item in error.errors()
        ]
        names = ", ".join(f["field"] for f in fields)
        raise ApiError(422, "invalid_request", f"invalid or missing: {shown(names, 1000)}", fields[:20]) from None
