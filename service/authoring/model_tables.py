"""Pydantic models as Markdown tables: each field with its type, default and description.

The rule reference prints the rule-file models and the facts with these, so what a field means is
written once, at the field, and the reference cannot drift from it.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from datetime import date
from typing import Any

from annotated_types import Ge, Gt
from pydantic import BaseModel, StringConstraints
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

SCALARS: dict[Any, str] = {str: "text", int: "int", float: "number", bool: "bool", date: "date", Any: "any value"}


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def heading(model: type[BaseModel]) -> str:
    return f"`{model.__name__}`"


def _options(annotation: Any) -> list[Any] | None:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return list(typing.get_args(annotation))
    return None


def _constraint(metadata: list[Any]) -> str:
    """The constraints an author can break: a pattern, a lower bound."""
    words = []
    for item in metadata:
        if isinstance(item, StringConstraints) and item.pattern:
            words.append(f" matching `{item.pattern}`")
        elif isinstance(item, Ge):
            words.append(f", at least {item.ge}")
        elif isinstance(item, Gt):
            words.append(f", more than {item.gt}")
    return "".join(words)


def type_name(annotation: Any, links: dict[type[BaseModel], str]) -> str:
    """A type as an author reads it: `number or null`, `list of text`, a link to a nested model."""
    options = _options(annotation)
    if options is not None:
        named = [type_name(option, links) for option in options if option is not type(None)]
        text = ", ".join(named[:-1]) + " or " + named[-1] if len(named) > 1 else named[0]
        if type(None) not in options:
            return text
        return f"{text}; or null" if " or " in text else f"{text} or null"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0], links) + _constraint(list(args[1:]))
    if origin is typing.Literal:
        quoted = [f"`{value}`" for value in args]
        return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
    if origin is list:
        return f"list of {type_name(args[0], links)}"
    if origin is dict:
        return f"map: {type_name(args[0], links)} → {type_name(args[1], links)}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        anchor = links.get(annotation)
        return f"[{annotation.__name__}](#{anchor})" if anchor else annotation.__name__
    return SCALARS.get(annotation, getattr(annotation, "__name__", str(annotation)))


def field_type(info: FieldInfo, links: dict[type[BaseModel], str]) -> str:
    """The field's type with its `Annotated` constraints (pydantic keeps them in `metadata`)."""
    return type_name(info.annotation, links) + _constraint(list(info.metadata))


def default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default if info.default is not PydanticUndefined else info.default_factory()  # type: ignore[call-arg,misc]
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, date):
        return f"`{value.isoformat()}`"
    return f"`{value}`"


def nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The models a field's type holds (in `X | None`, lists and map values)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        if arg is not type(None):
            yield from nested_models(arg)


def cell(text: str | None) -> str:
    """Text fit for a table cell: one line, pipes escaped."""
    return " ".join((text or "").split()).replace("|", "\\|")


def model_doc(model: type[BaseModel]) -> str:
    doc = model.__doc__ or ""
    return " ".join(doc.split()) if doc and doc != BaseModel.__doc__ else ""


def schema_table(model: type[BaseModel], links: dict[type[BaseModel], str]) -> list[str]:
    """A rule-file model: one row per YAML key."""
    rows = ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        rows.append(f"| `{name}` | {cell(field_type(info, links))} | {default_text(info)} | {cell(info.description)} |")
    return rows
