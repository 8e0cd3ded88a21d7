"""Evaluate a `RuleSet` on the facts of one hook call: which rules fire, which do not, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
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
    context: dict[str, Any] | None = field(default=None, repr=False, compare=False)  # what the condition read

    @cached_property
    def values(self) -> dict[str, Any]:
        """Each name the condition reads and its value, for `explain`: worked out only when asked for,
        as most calls never ask."""
        if self.context is None:
            return {}
        return {".".join(path): lookup(self.context, path) for path in self.rule.condition.paths()}


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
        return _suppressed(rule)
    context = evaluation_context(project(data, rule.reads), rule.params)
    result, problem = rule.condition.evaluate(context)
    if problem is not None:
        return RuleOutcome(rule, "not evaluated", problem, context)
    return RuleOutcome(rule, "fired" if result else "not fired", f"when is {str(result).lower()}", context)


def _suppressed(rule: LoadedRule) -> RuleOutcome:
    return RuleOutcome(rule, "skipped", "suppressed for this patient after an override")


@dataclass(frozen=True)
class Decision:
    """The conditions of a rule set evaluated on one call's facts, before suppressions: which rules
    would fire. Only when some would is it worth asking which are suppressed for the patient."""

    rules: RuleSet
    data: dict[str, Any]
    outcomes: list[RuleOutcome]

    @property
    def fires(self) -> bool:
        return any(o.status == "fired" for o in self.outcomes)

    def without(self, skip: set[str] | None) -> list[RuleOutcome]:
        """The outcomes with the rules in `skip` skipped, as `evaluate_rule` skips them."""
        if not skip:
            return self.outcomes
        return [_suppressed(o.rule) if o.rule.id in skip and o.status != "skipped" else o for o in self.outcomes]


def decide(rules: RuleSet, facts: Facts, hook: str) -> Decision:
    data = facts_data(facts)
    return Decision(rules, data, [evaluate_rule(rule, data, hook) for rule in rules.rules])


def evaluate(
    rules: RuleSet,
    facts: Facts,
    hook: str,
    language: str,
    suggest: SuggestionFactory = no_suggestions,
    skip: set[str] | None = None,
    decision: Decision | None = None,
) -> Evaluation:
    """The rules' outcomes and the merged cards; `decision`: the conditions, when already evaluated."""
    decision = decision if decision is not None and decision.rules is rules else decide(rules, facts, hook)
    outcomes = decision.without(skip)
    fired = [o.rule for o in outcomes if o.status == "fired"]
    cards, card_rules = merge_cards(fired, facts, decision.data, rules.reasons, language, suggest)
    return Evaluation(outcomes, cards, card_rules)

def skipped_evaluation(rules: RuleSet, reason: str) -> Evaluation:
    """Every rule skipped for one reason (e.g. none can fire on the draft orders): no card, and the
    audit trail records that no rule was evaluated."""
    return Evaluation([RuleOutcome(rule, "skipped", reason) for rule in rules.rules], [], {})
