"""Evaluate a `RuleSet` on the facts of one hook call: which rules fire, which do not, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cds_hooks import Card
from service.facts.model import Facts
from service.rules.cards import SuggestionFactory, merge_cards, no_suggestions
from service.rules.context import evaluation_context, facts_data, project
from service.rules.expressions import lookup
from service.rules.loader import LoadedRule, RuleSet

Status = Literal["fired", "not fired", "skipped", "not evaluated"]


@dataclass(frozen=True)
class RuleOutcome:
    rule: LoadedRule
    status: Status
    reason: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    outcomes: list[RuleOutcome]
    cards: list[Card]
    card_rules: dict[str, list[str]]  # card uuid -> ids of the rules merged into it

    @property
    def fired(self) -> list[str]:
        return [o.rule.id for o in self.outcomes if o.status == "fired"]

    def not_evaluated(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.status == "not evaluated"]


def evaluate_rule(rule: LoadedRule, data: dict[str, Any], hook: str, skip: set[str] | None = None) -> RuleOutcome:
    if not rule.enabled:
        return RuleOutcome(rule, "skipped", "disabled in this deployment")
    if hook not in rule.rule.hooks:
        return RuleOutcome(rule, "skipped", f"not used for the {hook} hook")
    if skip and rule.id in skip:
        return RuleOutcome(rule, "skipped", "suppressed for this patient after an override")
    context = evaluation_context(project(data, rule.reads), rule.params)
    values = {".".join(path): lookup(context, path) for path in rule.condition.paths()}
    result, problem = rule.condition.evaluate(context)
    if problem is not None:
        return RuleOutcome(rule, "not evaluated", problem, values)
    return RuleOutcome(rule, "fired" if result else "not fired", f"when is {str(result).lower()}", values)


def evaluate(
    rules: RuleSet,
    facts: Facts,
    hook: str,
    language: str,
    suggest: SuggestionFactory = no_suggestions,
    skip: set[str] | None = None,
) -> Evaluation:
    data = facts_data(facts)
    outcomes = [evaluate_rule(rule, data, hook, skip) for rule in rules.rules]
    fired = [o.rule for o in outcomes if o.status == "fired"]
    cards, card_rules = merge_cards(fired, facts, data, rules.reasons, language, suggest)
    return Evaluation(outcomes, cards, card_rules)


def skipped_evaluation(rules: RuleSet, reason: str) -> Evaluation:
    """Every rule skipped for one reason (e.g. none can fire on the draft orders): no card, and the
    audit trail records that no rule was evaluated."""
    return Evaluation([RuleOutcome(rule, "skipped", reason) for rule in rules.rules], [], {})
