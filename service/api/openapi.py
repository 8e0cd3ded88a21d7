"""The OpenAPI description, made complete: every schema a request body refers to is in `components`.

Routes that read their body by hand document it with a JSON Schema (`service.api.body.openapi_body`)
whose nested definitions sit in its own `$defs`; FastAPI copies such a schema as it is, so its
references to `#/components/schemas/...` pointed at nothing. They are moved to `components` here.
"""

from __future__ import annotations

from service.errors import DeploymentError

from typing import Any

from fastapi import FastAPI


class SchemaClash(DeploymentError):
    """Two different schemas under one name: the description would be wrong, so the app must not start."""


def hoist_definitions(description: dict[str, Any]) -> dict[str, Any]:
    """Move every request body schema's `$defs` into `components.schemas` (in place; idempotent)."""
    components = description.setdefault("components", {}).setdefault("schemas", {})
    for operations in description.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            for media in content.values():
                for name, schema in media.get("schema", {}).pop("$defs", {}).items():
                    if components.setdefault(name, schema) != schema:
                        raise SchemaClash(f"two different schemas are named {name} in the OpenAPI description")
    return description


def install_complete_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def complete_openapi() -> dict[str, Any]:
        return hoist_definitions(generate())

    app.openapi = complete_openapi  # type: ignore[method-assign]
