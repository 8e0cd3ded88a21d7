"""Load a rules directory as one validated `RuleSet`, or the list of everything wrong with it.

A set is taken whole or not at all: schema, CEL, names, parameters, templates, override reasons and
the deployment's overrides are all checked first, each problem with its file, line and column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from service.knowledge.models import Knowledge
from service.language import LANGUAGES
from service.rules.context import ReadTree, evaluation_context, facts_data, read_tree, sample_facts
from service.rules.expressions import Condition, ExpressionError
from service.rules.models import BZRA_CLASS, OverrideReasonFile, Overrides, Rule, RuleFile
from service.rules.names import check_path, fact_roots
from service.rules.texts import LANGUAGE_KEY, TemplateProblem, check_template, render
from service.yamlsource import Problem, YamlSource, load_model, read_model, read_yaml, validate

REASONS_FILE = "override-reasons.yaml"
PARAMS_PREFIX = "params."
TEST_SUFFIX = ".test.yaml"
SUGGESTION_PARAMS: dict[str, tuple[str, ...]] = {  # optional whole-day parameters a suggestion reads
    "small_pack": ("small_pack_days",),  # without it: the days left within the course's guideline limit
    "taper_plan": (),
    "referral": (),
    "reconsider_start": (),
}


@dataclass(frozen=True, eq=False)
class LoadedRule:
    rule: Rule
    condition: Condition
    params: dict[str, Any]
    enabled: bool
    file: str

    @property
    def id(self) -> str:
        return self.rule.id

    @cached_property
    def reads(self) -> ReadTree:
        """The fact names the condition reads: only those are handed to CEL."""
        return read_tree(self.condition.paths())

    @cached_property
    def draft_classes(self) -> frozenset[str] | None:
        """The draft classes the rule declares it can fire on (`fires_on`, `params.` names filled in from
        the parameters in force); None when it declares none: it may fire on any draft."""
        if self.rule.fires_on is None:
            return None
        classes: set[str] = set()
        for name in self.rule.fires_on:
            if not name.startswith(PARAMS_PREFIX):
                classes.add(name)
                continue
            value = self.params.get(name.removeprefix(PARAMS_PREFIX))
            if not isinstance(value, list):
                return None  # a deployment override made it something else: assume any draft
            classes.update(str(item) for item in value)
        return frozenset(classes)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[LoadedRule, ...]
    reasons: OverrideReasonFile
    directory: str
    fingerprint: str
    files: tuple[str, ...] = field(default=())
    _draft_classes: dict[str, frozenset[str] | None] = field(default_factory=dict, compare=False, repr=False)

    def rule(self, rule_id: str) -> LoadedRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def draft_classes(self, hook: str) -> frozenset[str] | None:
        """The draft classes on which some rule in service for `hook` can fire: the union of what the
        rules declare; None when one of them declares nothing (then any draft may make it fire)."""
        if hook not in self._draft_classes:
            union: set[str] = set()
            for rule in self.rules:
                if rule.enabled and hook in rule.rule.hooks:
                    if rule.draft_classes is None:
                        self._draft_classes[hook] = None
                        break
                    union |= rule.draft_classes
            else:
                self._draft_classes[hook] = frozenset(union)
        return self._draft_classes[hook]


def _visible(directory: Path, pattern: str) -> list[Path]:
    """Files under the directory matching the pattern, leaving out hidden files and folders.

    A Kubernetes ConfigMap volume keeps the real files in a hidden timestamped folder
    (`..2026_12_06_10_00_00.123/`, reached through the `..data` symlink) beside one visible symlink per
    key: walking into the hidden folder would read every rule twice.
    """
    return sorted(
        path for path in directory.rglob(pattern)
        if not any(part.startswith(".") for part in path.relative_to(directory).parts)
    )


def rule_files(directory: Path) -> list[Path]:
    return [p for p in _visible(directory, "*.yaml") if p.name != REASONS_FILE and not p.name.endswith(TEST_SUFFIX)]


def rule_test_files(directory: Path) -> list[Path]:
    return _visible(directory, f"*{TEST_SUFFIX}")


def _fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:12]


def _load_reasons(directory: Path) -> tuple[OverrideReasonFile | None, list[Problem]]:
    path = directory / REASONS_FILE
    if not path.is_file():
        return None, [Problem(str(path), None, None, "missing: the override reasons every rule refers to")]
    return load_model(path, OverrideReasonFile)


def _template_texts(rule: Rule) -> list[tuple[tuple[str | int, ...], str]]:
    """(location in the file, template) for every text of a rule's card."""
    texts: list[tuple[tuple[str | int, ...], str]] = []
    card = rule.card
    named = [("summary", card.summary), ("detail", card.detail)] + [
        (("links", i, "label"), link.label) for i, link in enumerate(card.links)
    ]
    for where, text in named:
        if text is None:
            continue
        for language in LANGUAGES:
            value = getattr(text, language)
            if value:
                place = where if isinstance(where, tuple) else (where,)
                texts.append((("card", *place, language), value))
    return texts


def _check_fires_on(rule: Rule, at: tuple[str | int, ...], source: YamlSource, knowledge: Knowledge) -> list[Problem]:
    """Each declared draft class is `bzra`, a co-medication class, or a list parameter of those."""
    known = {BZRA_CLASS, *knowledge.comedication_classes}
    problems = []
    for index, name in enumerate(rule.fires_on or []):
        where = (*at, "fires_on", index)
        if name.startswith(PARAMS_PREFIX):
            parameter = rule.parameters.get(name.removeprefix(PARAMS_PREFIX))
            if parameter is None or not isinstance(parameter.value, list):
                problems.append(source.problem(where, f"rule {rule.id}: fires_on names '{name}', which is not a list parameter"))
                continue
            unknown = [str(item) for item in parameter.value if item not in known]
        else:
            unknown = [name] if name not in known else []
        if unknown:
            choices = ", ".join(sorted(known))
            problems.append(source.problem(where, f"rule {rule.id}: fires_on: unknown draft class {', '.join(unknown)} (known: {choices})"))
    return problems


def check_rule(
    rule: Rule, at: tuple[str | int, ...], source: YamlSource, knowledge: Knowledge, reasons: OverrideReasonFile | None
) -> tuple[Condition | None, list[Problem]]:
    """Everything the schema cannot check about one rule."""
    problems: list[Problem] = []
    condition = None
    try:
        condition = Condition.compile(rule.when)
    except ExpressionError as error:
        problems.append(source.problem((*at, "when"), f"rule {rule.id}: CEL error: {error}"))
    params = set(rule.parameters)
    roots = fact_roots()
    if condition is not None:
        for path in condition.paths():
            if path[0] not in roots:
                problems.append(source.problem((*at, "when"), f"rule {rule.id}: unknown name '{path[0]}' in when"))
                continue
            message = check_path(path, params, knowledge)
            if message:
                problems.append(source.problem((*at, "when"), f"rule {rule.id}: {message}"))
    for kind in rule.suggestions:
        for name in SUGGESTION_PARAMS[kind]:
            value = rule.parameters[name].value if name in rule.parameters else None
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                problems.append(
                    source.problem((*at, "parameters", name), f"rule {rule.id}: suggestion {kind} needs '{name}' as whole days above 0")
                )
    problems += _check_fires_on(rule, at, source, knowledge)
    if reasons is not None:
        for index, code in enumerate(rule.override_reasons):
            if code not in reasons.reasons:
                problems.append(
                    source.problem((*at, "override_reasons", index), f"rule {rule.id}: unknown override reason '{code}' (see {REASONS_FILE})")
                )
    sample = evaluation_context(facts_data(sample_facts(knowledge)), {name: p.value for name, p in rule.parameters.items()})
    for where, text in _template_texts(rule):
        context = {**sample, LANGUAGE_KEY: where[-1]}
        try:
            unknown = check_template(text) - set(context)
            if unknown:
                problems.append(source.problem((*at, *where), f"rule {rule.id}: unknown name(s) in text: {', '.join(sorted(unknown))}"))
            else:
                render(text, context)
        except TemplateProblem as error:
            problems.append(source.problem((*at, *where), f"rule {rule.id}: {error}"))
    return condition, problems


def _load_overrides(path: Path | None) -> tuple[Overrides, YamlSource | None, list[Problem]]:
    if path is None:
        return Overrides(), None, []
    source, problems = read_yaml(path)
    if source is None:
        return Overrides(), None, problems
    overrides, problems = validate(source, Overrides, source.data or {})
    return overrides or Overrides(), source, problems


def load_rule_set(
    directory: Path, knowledge: Knowledge, overrides_path: Path | None = None
) -> tuple[RuleSet | None, list[Problem]]:
    directory = Path(directory)
    if not directory.is_dir():
        return None, [Problem(str(directory), None, None, "rules directory not found")]
    reasons, problems = _load_reasons(directory)
    overrides, overrides_source, override_problems = _load_overrides(overrides_path)
    problems += override_problems
    loaded: list[LoadedRule] = []
    first_seen: dict[str, str] = {}
    files = rule_files(directory)
    for path in files:
        source, rule_file, file_problems = read_model(path, RuleFile)
        problems += file_problems
        if source is None or rule_file is None:
            continue
        for index, rule in enumerate(rule_file.rules):
            at = ("rules", index)
            if rule.id in first_seen:
                problems.append(source.problem((*at, "id"), f"duplicate rule id '{rule.id}' (also in {first_seen[rule.id]})"))
                continue
            first_seen[rule.id] = str(path)
            condition, rule_problems = check_rule(rule, at, source, knowledge, reasons)
            problems += rule_problems
            if condition is None:
                continue
            override = overrides.rules.get(rule.id)
            params = {name: p.value for name, p in rule.parameters.items()}
            if override is not None:
                for name, value in override.parameters.items():
                    if name not in params and overrides_source is not None:
                        problems.append(overrides_source.problem(("rules", rule.id, "parameters", name), f"rule {rule.id} has no parameter '{name}'"))
                    params[name] = value
            enabled = override.enabled if override is not None and override.enabled is not None else rule.enabled
            loaded.append(LoadedRule(rule, condition, params, enabled, str(path)))
    if overrides_source is not None:
        for rule_id in overrides.rules:
            if rule_id not in first_seen:
                problems.append(overrides_source.problem(("rules", rule_id), f"no rule with id '{rule_id}' to override"))
    if not files:
        problems.append(Problem(str(directory), None, None, "no rule files (*.yaml) found"))
    if problems or reasons is None:
        return None, problems
    watched = files + [directory / REASONS_FILE] + ([overrides_path] if overrides_path else [])
    return RuleSet(tuple(loaded), reasons, str(directory), _fingerprint(watched), tuple(str(f) for f in files)), []
