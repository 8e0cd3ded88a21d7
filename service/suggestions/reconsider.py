"""Reconsider the start: a `delete` of a draft BZRA order that would start a new BZRA.

Next to an opioid or another BZRA, the safest course is often not to start (CDC 2022, Rec. 11;
STOPP/START v3, A3). Offered only when the ordered BZRA is not in use per the history: stopping a
drug someone is used to is a taper, never one click.
"""

from __future__ import annotations

from cds_hooks import Action, Suggestion
from service.facts.model import Facts
from service.fhir.record import PatientRecord
from service.knowledge.models import Knowledge
from service.rules.cards import BuiltSuggestion

LABELS = {
    "label": {
        "en": "Do not start {drug} now: remove this draft order",
        "nl": "Nu geen {drug} starten: verwijder dit conceptvoorschrift",
        "fr": "Ne pas débuter de traitement par {drug} maintenant : retirer ce projet de prescription",
    },
    "description": {
        "en": "Removes the draft order for {drug}; nothing is prescribed.",
        "nl": "Verwijdert het conceptvoorschrift voor {drug}; er wordt niets voorgeschreven.",
        "fr": "Retire ce projet de prescription ({drug}) ; rien n'est prescrit.",
    },
}


def _text(key: str, language: str, drug: str) -> str:
    return (LABELS[key].get(language) or LABELS[key]["en"]).format(drug=drug)


def reconsider_suggestion(facts: Facts, record: PatientRecord, knowledge: Knowledge, language: str) -> BuiltSuggestion | None:
    """None unless the draft starts a BZRA the patient does not take now (`draft_starts_bzra`)."""
    draft = facts.draft
    if draft is None or not facts.draft_starts_bzra:
        return None
    known = knowledge.drug(draft.drug) if draft.drug else None
    name = (getattr(known.display, language, None) or known.display.en) if known is not None else draft.medication
    return BuiltSuggestion(
        Suggestion(
            label=_text("label", language, name),
            actions=[Action(type="delete", description=_text("description", language, name), resourceId=record.as_sent(draft.reference))],
        )
    )
