"""Card texts: Jinja templates filled from the facts and the rule's parameters, per language.

The sandboxed environment lets authors read values and format them, nothing else; an unknown name
is an error at lint time rather than an empty gap in front of a prescriber.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cachetools import LRUCache
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from service.errors import RuleError
from service.language import LANGUAGES, format_date, format_number, language_or_default
from service.memo import json_key

SUMMARY_LIMIT = 139
LANGUAGE_KEY = "language"  # the card's language, in every template's context


def _language(context: Context) -> str:
    return language_or_default(context.get(LANGUAGE_KEY))


@pass_context
def _number(context: Context, value: Any, digits: int = 1) -> str:
    """12.0 → "12", 12.345 → "12.3", in nl and fr "12,3": at most `digits` decimals; null → "unknown"."""
    return format_number(value, digits, _language(context))


@pass_context
def _weeks(context: Context, days: Any) -> str:
    """Days as whole weeks (`{{ course.limit_days | weeks }}`: 28 → "4"); not a number → "unknown"."""
    if not isinstance(days, (int, float)):
        return format_number(None, 0, _language(context))
    return format_number(days / 7, 0, _language(context))


@pass_context
def _date(context: Context, value: Any) -> str:
    """2026-12-07 → "7 Dec 2026", "7 dec 2026", "7 déc. 2026" (`service.language`)."""
    return format_date(value, _language(context))


@pass_context
def _drug(context: Context, drug_id: Any, otherwise: Any = None) -> str:
    """A BZRA id in the card's language (`diazepam` → fr `diazépam`), from the facts' `drug_names`;
    `otherwise` (e.g. the order's own text) when the ingredient is not known."""
    if not drug_id:
        return str(otherwise or "")
    names = (context.get("drug_names") or {}).get(drug_id) or {}
    return str(names.get(_language(context)) or names.get("en") or drug_id)


FILTER_READS = frozenset({LANGUAGE_KEY, "drug_names"})  # context values the filters above read
RENDERED_TEXTS = 4096  # rendered texts kept; each is a card's summary, detail or link label
_RENDERED: LRUCache[tuple[str, bytes], str] = LRUCache(maxsize=RENDERED_TEXTS)

# The filters a card text may use besides Jinja's own; the rule reference prints their docstrings.
ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)
ENVIRONMENT.filters["num"] = _number
ENVIRONMENT.filters["weeks"] = _weeks
ENVIRONMENT.filters["date"] = _date
ENVIRONMENT.filters["drug"] = _drug


class TemplateProblem(RuleError):
    """A card text template that does not compile or names an unknown value."""


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Any:
    try:
        return ENVIRONMENT.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"template syntax error at line {error.lineno}: {error.message}") from None


def check_template(source: str) -> set[str]:
    """Compile a template; return the top-level names it uses (raises TemplateProblem)."""
    _compiled(source)
    return meta.find_undeclared_variables(ENVIRONMENT.parse(source))


@lru_cache(maxsize=2048)
def _names_read(source: str) -> tuple[str, ...]:
    """What a rendering depends on: the template's own names and what the filters read from the context."""
    return tuple(sorted(check_template(source) | FILTER_READS))


def _rendering_key(source: str, context: dict[str, Any]) -> tuple[str, bytes] | None:
    """The template and the key of the values it reads (`memo.json_key`, a digest: the JSON itself runs
    to a few kB, and 4,096 kept texts held 15 MB of keys); None when they are not plain data."""
    try:
        names = _names_read(source)
    except TemplateProblem:
        return None
    if any(name not in context for name in names if name not in FILTER_READS):
        return None  # an unknown name: rendering raises, and nothing is kept
    values = json_key({name: context.get(name) for name in names})
    return (source, values) if values is not None else None


def render(source: str, context: dict[str, Any]) -> str:
    """The filled-in text; the same template with the same values read is rendered once (a select, then
    the sign of the same order, show the same cards)."""
    key = _rendering_key(source, context)
    found = _RENDERED.get(key) if key is not None else None
    if found is None:
        try:
            found = _compiled(source).render(**context).strip()
        except UndefinedError as error:
            raise TemplateProblem(f"template uses an unknown name: {error.message}") from None
        if key is not None:
            _RENDERED[key] = found
    return found


def fit_summary(text: str) -> str:
    """CDS Hooks summaries must stay under 140 characters."""
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def pick_language(requested: str | None, default: str) -> str:
    """The first supported language named in `requested` (e.g. "nl" or "fr-BE,nl"), else the default."""
    for part in (requested or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return default
