"""Suggestions the prescriber can accept in one click: small pack, taper plan, referral.

`suggestion_factory` gives the rules engine one function that builds the suggestion of a kind for
the facts at hand, or None when it cannot be built (for example when the dose is unknown).
"""

from __future__ import annotations

from cds_hooks import Suggestion
from service.facts.model import Facts
from service.knowledge.models import Knowledge
from service.rules.cards import SuggestionFactory
from service.rules.loader import LoadedRule
from service.settings import Settings


def suggestion_factory(knowledge: Knowledge, settings: Settings) -> SuggestionFactory:
    def build(kind: str, rule: LoadedRule, facts: Facts, language: str) -> Suggestion | None:
        return None

    return build
