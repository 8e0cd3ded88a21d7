"""YAML files that remember where each value came from.

Hand-edited YAML (knowledge files, rule files) is only useful if a mistake is reported at the line
the author has to fix.  This module parses YAML while keeping the node tree with its marks, checks
for duplicate keys (which PyYAML silently accepts), validates the data against a pydantic model and
turns every problem into a `Problem` with file, line and column.  It knows nothing about the content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

__all__ = ["Problem", "YamlSource", "parse_yaml", "read_yaml", "validate", "load_model"]

M = TypeVar("M", bound=BaseModel)
Loc = Sequence[str | int]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file; line and column are 1-based, None when unknown."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class YamlSource:
    """Parsed data plus the composed node tree, so a data path can be mapped back to a line."""

    path: str
    data: Any
    node: yaml.Node | None

    def position(self, loc: Loc) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the deepest node along `loc` that exists in the file.

        Steps that do not match a node (for example the member name pydantic inserts for a union)
        are skipped, so the answer is always the closest real place in the file.
        """
        node = self.node
        if node is None:
            return (1, 1)
        mark = node.start_mark
        for step in loc:
            found = _child(node, step)
            if found is None:
                continue
            mark, node = found
        return (mark.line + 1, mark.column + 1)

    def problem(self, loc: Loc, message: str) -> Problem:
        line, column = self.position(loc)
        return Problem(self.path, line, column, message)


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Mark, yaml.Node] | None:
    """The mark to report and the node to descend into for one step of a data path."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                return key_node.start_mark, value_node
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        if 0 <= step < len(node.value):
            item = node.value[step]
            return item.start_mark, item
    return None


def _duplicate_keys(path: str, node: yaml.Node | None) -> list[Problem]:
    problems: list[Problem] = []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode):
                    line = key_node.start_mark.line + 1
                    if key_node.value in seen:
                        problems.append(
                            Problem(
                                path,
                                line,
                                key_node.start_mark.column + 1,
                                f"duplicate key '{key_node.value}' (first defined at line "
                                f"{seen[key_node.value]})",
                            )
                        )
                    else:
                        seen[key_node.value] = line
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def parse_yaml(text: str, path: str = "<string>") -> tuple[YamlSource | None, list[Problem]]:
    """Parse one YAML document; syntax errors and duplicate keys come back as problems."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        return None, [Problem(path, line, column, f"YAML syntax error: {reason}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, None, None, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    problems = _duplicate_keys(path, node)
    if problems:
        return None, problems
    return YamlSource(path=path, data=data, node=node), []


def read_yaml(path: Path | str) -> tuple[YamlSource | None, list[Problem]]:
    """Read and parse a file; an unreadable file is a problem, not an exception."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, None, None, f"cannot read file: {exc}")]
    return parse_yaml(text, name)


def _message(error: dict[str, Any]) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ()))
    text = error.get("msg", "invalid value")
    if error.get("type") == "extra_forbidden":
        text = "unknown field (not allowed here)"
    return f"{loc}: {text}" if loc else text


def validate(source: YamlSource, model: type[M], data: Any = None) -> tuple[M | None, list[Problem]]:
    """Validate the file's data (or `data`, e.g. after defaults) against `model`."""
    payload = source.data if data is None else data
    try:
        return model.model_validate(payload), []
    except ValidationError as exc:
        problems = [source.problem(tuple(err.get("loc", ())), _message(err)) for err in exc.errors()]
        return None, sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def read_model(path: Path | str, model: type[M]) -> tuple[YamlSource | None, M | None, list[Problem]]:
    """Read, parse and validate a file; the source comes back too, for the positions of later problems."""
    source, problems = read_yaml(path)
    if source is None:
        return None, None, problems
    parsed, problems = validate(source, model)
    return source, parsed, problems


def load_model(path: Path | str, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Read, parse and validate a file in one call."""
    _, parsed, problems = read_model(path, model)
    return parsed, problems
