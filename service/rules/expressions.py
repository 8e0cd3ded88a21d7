"""Rule conditions in CEL: compiled once, checked against the facts' names, evaluated safely.

CEL (common-expression-language) has no side effects and no access to Python, so a rule file cannot
run code. An expression that meets an unknown value (a dose that could not be derived) does not
fire; the evaluation says which fact was missing.
"""

from __future__ import annotations

from service.errors import RuleError

import re
from dataclasses import dataclass, field
from typing import Any

from service.memo import Memo, json_key
from service.rules import cel_core as cel  # the engine without the package's CLI: see cel_core

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_PATH = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)(\s*\()?")
_INDEX = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\[\s*['\"]([^'\"]+)['\"]\s*\]")
_BOUND = re.compile(r"\.\s*(?:exists_one|exists|all|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
RESULTS = 8192  # condition results kept, one per expression and distinct values read: ~400 bytes each, ~4 MB at most
_RESULTS: Memo[tuple[bool | None, str | None]] = Memo(RESULTS)
KEYWORDS = {"true", "false", "null", "in", "has", "size", "int", "double", "string", "uint", "bool", "type", "dyn", "matches"}


class ExpressionError(RuleError):
    """The expression does not compile; the message is CEL's, with the position."""


@dataclass(frozen=True)
class Condition:
    source: str
    program: Any
    _paths: tuple[tuple[str, ...], ...] = field(default=(), repr=False)

    @classmethod
    def compile(cls, source: str) -> Condition:
        try:
            program = cel.compile(source)
        except (ValueError, RuntimeError) as error:
            raise ExpressionError(str(error).replace("\n", " ")) from None
        return cls(source, program, tuple(referenced_paths(source)))

    def paths(self) -> tuple[tuple[str, ...], ...]:
        """The names it reads, found once at compile time (every hook call shows their values)."""
        return self._paths

    def evaluate(self, context: dict[str, Any]) -> tuple[bool | None, str | None]:
        """(result, why it could not be evaluated). A non-boolean result is an error too.

        CEL is pure, so the result is remembered by the expression and the exact values it is given:
        handing a context to CEL costs ten times evaluating it, and calls repeat the same values (a
        select, then the sign of the same order; the many patients with the same few facts).
        """
        values = json_key(context)
        if values is None:
            return self._execute(context)
        return _RESULTS.get((self.source, values), lambda: self._execute(context))

    def _execute(self, context: dict[str, Any]) -> tuple[bool | None, str | None]:
        try:
            result = self.program.execute(context)
        except KeyError as error:
            return None, f"unknown name {error}"
        except (TypeError, ValueError, RuntimeError) as error:
            return None, f"could not be evaluated ({_short(error)}); a fact it needs is probably unknown"
        if not isinstance(result, bool):
            return None, f"gave {result!r}, not true or false"
        return result, None


def _short(error: Exception) -> str:
    text = str(error)
    return text.split(".")[0] if len(text) > 80 else text


def referenced_paths(source: str) -> list[tuple[str, ...]]:
    """Dotted names the expression reads (`draft.de_mg_per_day`, `comedication.opioid_analgesic`).

    Methods (`.exists(`), macro-bound variables and keywords are left out; `x["key"]` counts as `x.key`.
    """
    text = _STRING.sub(lambda m: " " * len(m.group(0)), source)
    bound = set(_BOUND.findall(text))
    found: list[tuple[str, ...]] = []
    for chain, key in _INDEX.findall(source):
        found.append((*chain.split("."), key))
    for match in _PATH.finditer(text):
        parts = [p.strip() for p in match.group(1).split(".")]
        if match.group(2):  # a call: the last part is a function or method name
            parts = parts[:-1]
        if not parts or parts[0] in KEYWORDS or parts[0] in bound:
            continue
        found.append(tuple(parts))
    unique: list[tuple[str, ...]] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def lookup(context: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a path in the evaluation context, or the string '<absent>'."""
    value: Any = context
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return "<absent>"
        value = value[part]
    return value
