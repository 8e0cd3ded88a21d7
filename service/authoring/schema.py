"""JSON Schemas for rule files, rule tests and overrides, generated from the models.

Published in `rules/schema/` so editors (VS Code with the YAML extension) validate and complete
while authors type; a test keeps the published files equal to the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from service.rules.models import OverrideReasonFile, Overrides, RuleFile, RuleTestFile

SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "rules.schema.json": (RuleFile, "bzra-cds rule file"),
    "rule-tests.schema.json": (RuleTestFile, "bzra-cds rule tests"),
    "override-reasons.schema.json": (OverrideReasonFile, "bzra-cds override reasons"),
    "overrides.schema.json": (Overrides, "bzra-cds deployment overrides"),
}


def schema_for(model: type[BaseModel], title: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}


def rendered_schemas() -> dict[str, str]:
    return {name: json.dumps(schema_for(model, title), indent=2, ensure_ascii=False) + "\n" for name, (model, title) in SCHEMAS.items()}


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
