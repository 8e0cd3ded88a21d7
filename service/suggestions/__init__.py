"""Suggestions the prescriber can accept in one click: small pack, taper plan, referral, not starting.

`Suggestions.for_call` gives the rules engine, for one hook call, a function that builds the
suggestion of a kind from the facts and the draft order, or None when it cannot be built or does not
fit (for example when the dose is unknown): a card then simply offers fewer actions.

Which suggestion fits the patient is decided here and in the builders, once, whatever rule asks
for it; `kinds.KINDS` says when each kind is built and what it reads (the rule reference prints it).
"""

from __future__ import annotations

from service.facts.model import Facts
from service.fhir.record import PatientRecord
from service.knowledge.models import Knowledge
from service.rules.cards import BuiltSuggestion, SuggestionFactory
from service.rules.context import evaluation_context, facts_data
from service.rules.loader import LoadedRule
from service.rules.texts import LANGUAGE_KEY, fit_summary, render
from service.settings import Settings
from service.suggestions.reconsider import reconsider_suggestion
from service.suggestions.referral import referral_suggestion
from service.suggestions.small_pack import small_pack_suggestion
from service.suggestions.taper import taper_suggestion
from service.suggestions.kinds import SMALL_PACK_DAYS


def taper_fits(facts: Facts) -> bool:
    """A taper plan fits physical dependence (Pottie 2018; ASAM 2025), not a new or short course."""
    history = facts.history
    return history.dependence_likely and bool(history.current_bzras) and not history.ongoing_taper and not facts.exempt


def rule_summary(rule: LoadedRule, facts: Facts, language: str) -> str:
    """The rule's card summary in the card's language: the reason a referral gives."""
    context = evaluation_context(facts_data(facts), rule.params) | {LANGUAGE_KEY: language}
    return fit_summary(render(rule.rule.card.summary.for_language(language), context))


def small_pack_days(rule: LoadedRule, facts: Facts) -> int:
    """The rule's `small_pack_days`, else the days the course may still last within its guideline limit."""
    if SMALL_PACK_DAYS in rule.params:
        return int(rule.params[SMALL_PACK_DAYS])
    return facts.course.days_left_within_limit


class Suggestions:
    def __init__(self, knowledge: Knowledge, settings: Settings):
        self.knowledge = knowledge
        self.settings = settings

    def for_call(self, record: PatientRecord, base_url: str | None) -> SuggestionFactory:
        base = (self.settings.public_base_url or base_url or "").rstrip("/")

        def build(kind: str, rule: LoadedRule, facts: Facts, language: str) -> BuiltSuggestion | None:
            draft = facts.draft
            if kind == "small_pack":
                # The draft's JSON as sent (validated by parse_draft_orders): dumping the parsed model
                # again would cost more than the rest of the suggestion.
                order_json = record.draft_json.get(draft.reference) if draft is not None else None
                if order_json is None or draft is None or not draft.is_bzra:
                    return None
                days = small_pack_days(rule, facts)
                return small_pack_suggestion(order_json, draft, days, self.knowledge, self.settings.market, language)
            if kind == "referral":
                return referral_suggestion(record.patient_id, rule_summary(rule, facts, language), facts.today, self.settings, language)
            if kind == "taper_plan":
                if not taper_fits(facts):
                    return None
                return taper_suggestion(facts, record, self.knowledge, self.settings, base, language)
            if kind == "reconsider_start":
                return reconsider_suggestion(facts, record, self.knowledge, language)
            return None

        return build
