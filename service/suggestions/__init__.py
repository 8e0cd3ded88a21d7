"""Suggestions the prescriber can accept in one click: small pack, taper plan, referral.

`Suggestions.for_call` gives the rules engine, for one hook call, a function that builds the
suggestion of a kind from the facts and the draft order, or None when it cannot be built (for
example when the dose is unknown): a card then simply offers fewer actions.
"""

from __future__ import annotations

from service.facts.model import Facts
from service.fhir.record import PatientRecord
from service.knowledge.models import Knowledge
from service.rules.cards import BuiltSuggestion, SuggestionFactory
from service.rules.loader import LoadedRule
from service.settings import Settings
from service.suggestions.referral import referral_suggestion
from service.suggestions.small_pack import small_pack_suggestion
from service.suggestions.taper import taper_suggestion


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
                days = int(rule.params["small_pack_days"])
                return small_pack_suggestion(order_json, draft, days, self.knowledge, self.settings.market, language)
            if kind == "referral":
                return referral_suggestion(record.patient_id, rule.rule.title, facts.today, self.settings, language)
            if kind == "taper_plan":
                return taper_suggestion(facts, record, self.knowledge, self.settings, base, language)
            return None

        return build
