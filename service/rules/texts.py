"""Card texts: Jinja templates filled from the facts and the rule's parameters, per language.

The sandboxed environment lets authors read values and format them, nothing else; an unknown name
is an error at lint time rather than an empty gap in front of a prescriber.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from service.errors import RuleError
from service.language import LANGUAGES, format_date, format_number, language_or_default
from service.memo import Memo, json_key
from service.rules.context import ReadTree, read_tree

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


FILTER_READS = {"num": (LANGUAGE_KEY,), "weeks": (LANGUAGE_KEY,), "date": (LANGUAGE_KEY,), "drug": (LANGUAGE_KEY, "drug_names")}
"""The context values each filter above reads (the card's language is in every key regardless)."""
RENDERED_TEXTS = 4096  # rendered texts kept (`Memo`: emptied when full); each is a card's summary, detail or link label
_RENDERED: Memo[str] = Memo(RENDERED_TEXTS)  # by `_rendering_key`

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


Path = tuple[str, ...]


def _chain(node: nodes.Node, names: frozenset[str]) -> Path | None:
    """`history.use_days_per_week` or `draft["days_supply"]` as the path it reads from the context;
    None for anything else. A name a dict itself has (`items`, `get`) ends no path: Jinja looks an
    attribute up on the object before its keys, so `x.get(...)` reads `x` whole."""
    keys: list[str] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            key = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            key = node.arg.value
        else:
            return None  # an index or a computed key: the value it is taken from is read whole
        if hasattr(dict, key):
            return None
        keys.append(key)
        node = node.node
    if keys and isinstance(node, nodes.Name) and node.name in names:
        return (node.name, *reversed(keys))
    return None


def _paths(node: nodes.Node, names: frozenset[str], found: set[Path]) -> None:
    """Every path of the context the template reads: the longest attribute chains from a name, and
    a name used any other way (a loop, a `set`, a filter's argument) whole."""
    path = _chain(node, names)
    if path is not None:
        found.add(path)
        return
    if isinstance(node, nodes.Name) and node.name in names:
        found.add((node.name,))
    for child in node.iter_child_nodes():
        _paths(child, names, found)


@dataclass(frozen=True)
class Reads:
    """What a rendering of one template depends on: the parts of the context its expressions read
    (a tree of paths, `context.read_tree`) and the names its filters read."""

    tree: ReadTree
    filter_reads: tuple[str, ...]


@lru_cache(maxsize=2048)
def _reads(source: str) -> Reads:
    """Only the values read count: a summary that says "{{ history.bzra_continuous_days }} days" is
    the same text for every patient with that many days, whatever else their history holds."""
    check_template(source)
    parsed = ENVIRONMENT.parse(source)
    names = frozenset(meta.find_undeclared_variables(parsed))
    found: set[Path] = set()
    _paths(parsed, names, found)
    filters = {LANGUAGE_KEY}
    for node in parsed.find_all(nodes.Filter):
        filters.update(FILTER_READS.get(node.name, ()))
    return Reads(read_tree(sorted(found)), tuple(sorted(filters - names)))


def _picked(value: Any, tree: ReadTree | None) -> Any:
    """The parts of `value` in `tree`; the whole value when a path is not there (a key it lacks, or a
    value that is not a mapping), so the key never misses what Jinja then finds or fails on."""
    if tree is None or not isinstance(value, dict) or any(key not in value for key in tree):
        return value
    return {key: value[key] if below is None else _picked(value[key], below) for key, below in tree.items()}


_ONLY_LANGUAGE = (LANGUAGE_KEY,)


def _rendering_key(source: str, context: dict[str, Any]) -> tuple[str, bytes] | tuple[str, str, str] | None:
    """The template and the key of the values it reads (`memo.json_key`, a digest: the values run to
    a few kB, and 4,096 kept texts held 15 MB of keys); None when they are not plain data. A text that
    reads nothing but the language (a link's label) is keyed by the language itself."""
    try:
        reads = _reads(source)
    except TemplateProblem:
        return None
    if not reads.tree and reads.filter_reads == _ONLY_LANGUAGE:
        language = context.get(LANGUAGE_KEY)
        if isinstance(language, str):
            return (source, LANGUAGE_KEY, language)
    if any(name not in context for name in reads.tree):
        return None  # an unknown name: rendering raises, and nothing is kept
    values = _picked(context, reads.tree)  # (a new dict: every name is there)
    values.update((name, context.get(name)) for name in reads.filter_reads)
    key = json_key(values)
    return (source, key) if key is not None else None


def render(source: str, context: dict[str, Any]) -> str:
    """The filled-in text; the same template with the same values read is rendered once (a select, then
    the sign of the same order, show the same cards)."""

    def rendered() -> str:
        try:
            return _compiled(source).render(**context).strip()
        except UndefinedError as error:
            raise TemplateProblem(f"template uses an unknown name: {error.message}") from None

    key = _rendering_key(source, context)
    return _RENDERED.get(key, rendered) if key is not None else rendered()


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
