"""Which names a rule may use: the fields of `Facts`, the keys of its maps, and the rule's `params`.

Used by the linter so that a misspelt fact (`history.bzra_continous_days`) is reported with its file
and line instead of silently never firing.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Any, Union

from pydantic import BaseModel

from service.facts.model import Facts
from service.knowledge.models import Knowledge

ROOTS_EXTRA = ("params",)


def _unwrap(annotation: Any) -> Any:
    """`X | None` → X."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return options[0] if len(options) == 1 else annotation
    return annotation


def map_keys(knowledge: Knowledge) -> dict[str, set[str] | None]:
    """Allowed keys of the maps in Facts; None means any key (e.g. drug ids)."""
    return {
        "comedication": set(knowledge.comedication_classes),
        "comedication_sources": set(knowledge.comedication_classes),
        "conditions": set(knowledge.condition_groups),
        "continuous_days_by_drug": None,
        "drug_names": None,
    }


def check_path(path: tuple[str, ...], params: set[str], knowledge: Knowledge) -> str | None:
    """None when the path names something real; else what is wrong, in the author's terms."""
    root = path[0]
    if root == "params":
        if len(path) < 2:
            return None
        return None if path[1] in params else f"unknown parameter 'params.{path[1]}' (declare it under parameters)"
    model: Any = Facts
    keys = map_keys(knowledge)
    walked: list[str] = []
    for index, part in enumerate(path):
        fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else None
        if fields is None:
            return f"'{'.'.join(walked)}' has no field '{part}'"
        if part not in fields:
            where = ".".join(walked) or "the facts"
            return f"unknown fact name '{'.'.join(path[: index + 1])}' ({where} has no '{part}')"
        walked.append(part)
        annotation = _unwrap(fields[part].annotation)
        origin = typing.get_origin(annotation)
        if origin is dict:
            if index + 1 < len(path):
                allowed = keys.get(part)
                key = path[index + 1]
                if allowed is not None and key not in allowed:
                    return f"unknown key '{key}' in {part} (known: {', '.join(sorted(allowed))})"
                if index + 2 < len(path):
                    return f"'{part}.{key}' is a single value; it has no '{path[index + 2]}'"
            return None
        if origin is list:
            return None  # elements are reached through macros (exists, all, map), checked at run time
        model = annotation
        if model in (int, float, str, bool, date) and index + 1 < len(path):
            return f"'{'.'.join(walked)}' is a single value; it has no '{path[index + 1]}'"
    return None


def fact_roots() -> set[str]:
    return set(Facts.model_fields) | set(ROOTS_EXTRA)
