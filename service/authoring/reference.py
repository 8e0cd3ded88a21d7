"""The rule author's reference (docs/rule-reference.md), printed from the code it describes.

Every fact name and its type, the keys of the fact maps, the rule-file schema, the template
variables and filters, the suggestion kinds and how merged cards are made: each read from the
models, the knowledge, the Jinja environment and the docstrings where they are defined, so the
reference changes with the code. `bzra-cds rules reference` writes it; a test checks it is current.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from service.authoring.model_tables import cell, field_type, heading, model_doc, nested_models, schema_table, slug
from service.facts import model as facts_model
from service.facts.model import Facts
from service.knowledge.loader import load_knowledge
from service.knowledge.models import Knowledge
from service.rules import cards, expressions, texts
from service.rules.context import NO_ORDER
from service.rules.models import OverrideReasonFile, Overrides, RuleFile, RuleTestFile
from service.rules.names import fact_roots, map_keys
from service.settings import Settings
from service.suggestions.kinds import KINDS

DOCUMENT = Path("docs/rule-reference.md")
COMMAND = "bzra-cds rules reference"
JINJA_FILTERS = "https://jinja.palletsprojects.com/en/stable/templates/#builtin-filters"
SECTIONS = (
    "Rule files",
    "Facts",
    "Keys of the fact maps",
    "Conditions",
    "Card texts: variables and filters",
    "Suggestions",
    "Merged cards",
    "Override reasons and deployment overrides",
    "Rule tests",
)


def _paragraphs(doc: str | None) -> list[str]:
    """A docstring's paragraphs, each on one line."""
    return [" ".join(part.split()) for part in inspect.cleandoc(doc or "").split("\n\n") if part.strip()]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _blocks(paragraphs: Iterable[str]) -> list[str]:
    """Paragraphs as Markdown lines: each followed by a blank line."""
    return [line for paragraph in paragraphs for line in (paragraph, "")]


def _models_below(roots: Iterable[type[BaseModel]], seen: set[type[BaseModel]]) -> list[type[BaseModel]]:
    """The roots and every model their fields hold, breadth first, each once across the document."""
    found = [root for root in roots if root not in seen]
    seen.update(found)
    for model in found:
        for info in model.model_fields.values():
            for nested in nested_models(info.annotation):
                if nested not in seen:
                    seen.add(nested)
                    found.append(nested)
    return found


def _schema_section(title: str, intro: str, models: list[type[BaseModel]], links: dict[type[BaseModel], str]) -> list[str]:
    lines = [f"## {title}", "", intro, ""]
    for model in models:
        lines += [f"### {heading(model)}", ""]
        if model_doc(model):
            lines += [model_doc(model), ""]
        lines += [*schema_table(model, links), ""]
    return lines


def _fact_places() -> dict[type[BaseModel], list[tuple[str, bool]]]:
    """Each facts model and where rules reach it: (dotted name, whether it is an element of a list)."""
    places: dict[type[BaseModel], list[tuple[str, bool]]] = {Facts: [("", False)]}
    walked: list[type[BaseModel]] = [Facts]
    for model in walked:  # grows while it is walked, parents first
        path = next((name for name, in_list in places[model] if not in_list), None)
        for name, info in model.model_fields.items():
            annotation = typing.get_args(info.annotation)[0] if type(None) in typing.get_args(info.annotation) else info.annotation
            in_list = typing.get_origin(annotation) is list
            for nested in nested_models(info.annotation):
                full = f"{path}.{name}" if path else name
                if nested not in places:
                    walked.append(nested)
                places.setdefault(nested, []).append((full, in_list or path is None))
    return places


def _fact_heading(model: type[BaseModel], places: list[tuple[str, bool]]) -> str:
    if model is Facts:
        return f"{heading(model)}: the names a rule starts from"
    where = [f"each of `{name}`" if in_list else f"`{name}`" for name, in_list in places]
    return f"{heading(model)}: " + ", ".join(where)


def _facts_section(links: dict[type[BaseModel], str]) -> list[str]:
    places = _fact_places()
    lines = ["## Facts", "", _paragraphs(facts_model.__doc__)[0], ""]
    lines += [
        f"In conditions and texts `draft` is never null: without a draft order it is an order named "
        f"\"{NO_ORDER.medication}\" with `is_bzra` false. How each figure is derived: [facts.md](facts.md).",
        "",
    ]
    for model, where in places.items():
        prefix = next((name for name, in_list in where if not in_list and name), "")
        lines += [f"### {_fact_heading(model, where)}", ""]
        if model is not Facts and model_doc(model):
            lines += [model_doc(model), ""]
        lines += ["| Name | Type | Meaning |", "|---|---|---|"]
        for name, info in model.model_fields.items():
            shown = f"{prefix}.{name}" if prefix else name
            lines.append(f"| `{shown}` | {cell(field_type(info, links))} | {cell(info.description)} |")
        lines.append("")
    return lines


def _fact_links() -> dict[type[BaseModel], str]:
    return {model: slug(_fact_heading(model, where)) for model, where in _fact_places().items()}


def _map_keys_section(knowledge: Knowledge) -> list[str]:
    """The keys a rule may write after a map's name, from the knowledge files the service loads."""
    names = {
        "comedication": knowledge.comedication_classes,
        "conditions": knowledge.condition_groups,
    }
    lines = ["## Keys of the fact maps", "", "From the shipped knowledge files (`service/knowledge/data/`); a deployment's `BZRA_KNOWLEDGE_DIR` may add more.", ""]
    printed: dict[frozenset[str], str] = {}
    for fact, allowed in sorted(map_keys(knowledge).items()):
        if allowed is None:
            lines.append(f"- `{fact}`: any BZRA id, e.g. `{fact}.lorazepam`.")
            continue
        if frozenset(allowed) in printed:
            lines.append(f"- `{fact}`: the keys of `{printed[frozenset(allowed)]}`.")
            continue
        printed[frozenset(allowed)] = fact
        source = names.get(fact, {})
        keys = ", ".join(f"`{key}` ({source[key].display.en})" if key in source else f"`{key}`" for key in sorted(allowed))
        lines.append(f"- `{fact}`: {keys}.")
    exemptions = ", ".join(f"`{key}` ({value.display.en})" for key, value in sorted(knowledge.exemptions.items()))
    lines += [f"- values of `exemptions`: {exemptions}.", ""]
    return lines


def _conditions_section() -> list[str]:
    intro = "`when` is a [CEL](https://cel.dev) expression over the facts and `params`."
    return ["## Conditions", "", *_blocks([intro, *_paragraphs(expressions.__doc__)[1:]])]


def _filter_row(name: str, function: Callable[..., str]) -> str:
    parameters = list(inspect.signature(function).parameters.values())[2:]  # after the context and the value
    arguments = ", ".join(f"{p.name}={p.default!r}" if p.default is not p.empty else p.name for p in parameters)
    return f"| `{name}` | {arguments or '—'} | {cell(inspect.getdoc(function))} |"


def _texts_section() -> list[str]:
    roots = sorted(fact_roots())
    ours = {name: f for name, f in texts.ENVIRONMENT.filters.items() if getattr(f, "__module__", "") == texts.__name__}
    builtin = sorted(set(texts.ENVIRONMENT.filters) - set(ours))
    lines = ["## Card texts: variables and filters", "", *_blocks(_paragraphs(texts.__doc__)[1:])]
    lines += [
        "Variables: every fact by its dotted name (`{{ draft.medication }}`, `{{ history.bzra_continuous_days }}`), "
        f"`params.NAME` (the rule's parameters, after the deployment's overrides) and `{texts.LANGUAGE_KEY}` (the card's language). "
        "The names a text may start from: " + ", ".join(f"`{name}`" for name in [*roots, texts.LANGUAGE_KEY]) + ".",
        "",
        f"A summary longer than {texts.SUMMARY_LIMIT} characters once filled in is cut, with \"…\".",
        "",
        "| Filter | Arguments | What it does |",
        "|---|---|---|",
        *(_filter_row(name, function) for name, function in sorted(ours.items())),
        "",
        f"Jinja's [built-in filters]({JINJA_FILTERS}) work too: " + ", ".join(f"`{name}`" for name in builtin) + ".",
        "",
    ]
    return lines


def _setting_line(name: str) -> str:
    variable = f"{Settings.model_config.get('env_prefix', '')}{name}".upper()
    return f"  - `{variable}`: {cell(Settings.model_fields[name].description)}"


def _suggestions_section() -> list[str]:
    conflicting = ", ".join(f"`{kind}`" for kind in sorted(cards.CONFLICTING_SUGGESTIONS))
    lines = [
        "## Suggestions",
        "",
        "A rule lists the kinds its card may offer (`suggestions:`). Each is built only where it fits the "
        "patient, whatever rule asks for it; where it does not, the card simply offers fewer actions.",
        "",
    ]
    for kind, guide in KINDS.items():
        lines += [f"### `{kind}`", "", guide.offers(), "", f"- Offered when {guide.offered_when}."]
        for name, meaning in guide.rule_parameters.items():
            lines.append(f"- Rule parameter `params.{name}` (optional): {meaning}")
        if guide.settings:
            lines += ["- Settings that shape it:", *(_setting_line(name) for name in guide.settings)]
        lines.append("")
    lines += [
        f"Choosing between them: {_lower_first(_paragraphs(cards.selection_behavior.__doc__)[0])} A card with more than one of "
        f"{conflicting} has `selectionBehavior: at-most-one`, any other card with suggestions `any`.",
        "",
    ]
    return lines


def _merged_cards_section() -> list[str]:
    lines = ["## Merged cards", "", *_blocks(_paragraphs(cards.__doc__)[1:])]
    lines += [
        f"- Order: {_paragraphs(cards.merge_cards.__doc__)[0]}",
        f"- Detail: {' '.join(_paragraphs(cards._detail.__doc__))}",
        f"- Links: {' '.join(_paragraphs(cards._links.__doc__))}",
        "",
    ]
    return lines


def _contents() -> list[str]:
    return [f"- [{title}](#{slug(title)})" for title in SECTIONS]


def rule_reference(knowledge: Knowledge | None = None) -> str:
    """The whole reference, as Markdown; `knowledge` defaults to the shipped knowledge files."""
    knowledge = knowledge if knowledge is not None else load_knowledge()
    seen: set[type[BaseModel]] = {Facts}
    rule_models = _models_below([RuleFile], seen)
    override_models = _models_below([OverrideReasonFile, Overrides], seen)
    test_models = _models_below([RuleTestFile], seen)
    links = {model: slug(heading(model)) for model in [*rule_models, *override_models, *test_models]} | _fact_links()
    lines = [
        "# Rule author's reference",
        "",
        f"<!-- Generated from the code by `{COMMAND}`; do not edit. A test fails when it is not current. -->",
        "",
        "Everything a rule file can name, read from the code that defines it. How to write and test a rule: "
        "[README, Writing rules](../README.md#writing-rules); how each fact is derived: [facts.md](facts.md).",
        "",
        *_contents(),
        "",
        *_schema_section("Rule files", "A file in `rules/` (`*.yaml`, not `*.test.yaml`): the schema editors use is `rules/schema/rules.schema.json`.", rule_models, links),
        *_facts_section(links),
        *_map_keys_section(knowledge),
        *_conditions_section(),
        *_texts_section(),
        *_suggestions_section(),
        *_merged_cards_section(),
        *_schema_section(
            "Override reasons and deployment overrides",
            "`rules/override-reasons.yaml`, and the file named by `BZRA_RULES_OVERRIDES_FILE`.",
            override_models,
            links,
        ),
        *_schema_section("Rule tests", "`NAME.test.yaml` beside each rule file, run by `bzra-cds rules test`.", test_models, links),
    ]
    return "\n".join(lines).rstrip() + "\n"
