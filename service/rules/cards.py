"""Turn fired rules into few, clear CDS Hooks cards: one per group, most severe first.

Rules that share `card.group` become one card: the most severe rule leads (indicator, summary,
source, detail and links), each other rule adds one line (its summary) and its source as a link,
and suggestions and override reasons are joined.
No suggestion appears twice in one answer: the most severe card that carries it offers it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cds_hooks import Card, Coding, Link, Source, Suggestion
from service.facts.model import Facts
from service.memo import Memo
from service.rules.context import evaluation_context
from service.rules.loader import LoadedRule
from service.rules.models import SEVERITY, OverrideReasonFile
from service.rules.texts import LANGUAGE_KEY, fit_summary, render

CONFLICTING_SUGGESTIONS = {"small_pack", "taper_plan", "reconsider_start"}  # each changes or removes the draft order


@dataclass(frozen=True)
class BuiltSuggestion:
    """A suggestion, plus what it adds to its card (e.g. the taper table, a link to the handout)."""

    suggestion: Suggestion
    detail: str | None = None
    links: tuple[Link, ...] = ()


SuggestionFactory = Callable[[str, LoadedRule, Facts, str], BuiltSuggestion | None]


def no_suggestions(kind: str, rule: LoadedRule, facts: Facts, language: str) -> BuiltSuggestion | None:
    return None


def _render(text: Any, context: dict[str, Any], language: str) -> str | None:
    return render(text.for_language(language), {**context, LANGUAGE_KEY: language}) if text is not None else None


def _group_key(rule: LoadedRule) -> str:
    return rule.rule.card.group or rule.id


def selection_behavior(kinds: list[str]) -> str:
    """Pick one when the suggestions change the same order in different ways; else any."""
    return "at-most-one" if len(CONFLICTING_SUGGESTIONS & set(kinds)) > 1 else "any"


def _detail(group: list[LoadedRule], contexts: dict[str, dict[str, Any]], language: str) -> str | None:
    """Short enough to read while prescribing: the lead rule's detail in full (the card's summary is
    its heading), then each other finding as one line, its own summary."""
    lead = group[0]
    sections = [_render(lead.rule.card.detail, contexts[lead.id], language) or ""]
    others = [_render(rule.rule.card.summary, contexts[rule.id], language) for rule in group[1:]]
    sections.append("\n".join(f"- {line}" for line in others if line))
    return "\n\n".join(section for section in sections if section) or None


def _add_link(links: list[Link], link: Link) -> None:
    if all(existing.url != link.url for existing in links):
        links.append(link)


def _links(group: list[LoadedRule], contexts: dict[str, dict[str, Any]], language: str) -> list[Link]:
    """The lead rule's links; each other finding, shown as one line, brings its source as one link
    (unless it is the card's own source)."""
    lead = group[0]
    links: list[Link] = []
    for link in lead.rule.card.links:
        label = _render(link.label, contexts[lead.id], language) or link.url
        _add_link(links, Link(label=label, url=link.url, type=link.type))
    for rule in group[1:]:
        source = rule.rule.card.source
        if source.url and source.url != lead.rule.card.source.url:
            _add_link(links, Link(label=source.label, url=source.url, type="absolute"))
    return links


ReasonCodings = tuple[tuple[str | None, str, str], ...]  # (system, code, display)
_REASONS: Memo[tuple[OverrideReasonFile, ReasonCodings]] = Memo(1024)


def _reasons(group: list[LoadedRule], reasons: OverrideReasonFile, language: str) -> ReasonCodings:
    """The group's override reasons, each once, in the rules' order: the same for every patient, so
    worked out once per group of loaded rules, reason file and language. Rules are kept by identity
    (a reload loads new ones); the reason file is checked to be the very one (its id alone could be
    reused once it is gone)."""

    def codings() -> tuple[OverrideReasonFile, ReasonCodings]:
        codes: list[str] = []
        for rule in group:
            codes.extend(code for code in rule.rule.override_reasons if code not in codes)
        return reasons, tuple((reasons.system, code, reasons.reasons[code].display.for_language(language)) for code in codes)

    key = (tuple(group), id(reasons), language)
    kept, found = _REASONS.get(key, codings)
    return found if kept is reasons else codings()[1]


def _card(
    group: list[LoadedRule],
    facts: Facts,
    data: dict[str, Any],
    reasons: OverrideReasonFile,
    language: str,
    suggest: SuggestionFactory,
    offered: set[str],
) -> Card:
    """One card for a group of rules; `offered`: suggestion kinds earlier cards carry (none twice)."""
    lead = group[0]
    contexts = {r.id: evaluation_context(data, r.params) for r in group}
    summary = _render(lead.rule.card.summary, contexts[lead.id], language) or lead.rule.title
    detail = _detail(group, contexts, language)
    links = _links(group, contexts, language)
    kinds: list[str] = []
    suggestions: list[Suggestion] = []
    for rule in group:
        for kind in rule.rule.suggestions:
            built = None if kind in offered else suggest(kind, rule, facts, language)
            if built is None:
                continue
            kinds.append(kind)
            offered.add(kind)
            suggestions.append(built.suggestion)
            if built.detail:
                detail = f"{detail}\n\n{built.detail}" if detail else built.detail
            for link in built.links:
                _add_link(links, link)
    return Card(
        uuid=str(uuid.uuid4()),
        summary=fit_summary(summary),
        indicator=max((r.rule.card.indicator for r in group), key=SEVERITY.__getitem__),
        detail=detail,
        source=Source(label=lead.rule.card.source.label, url=lead.rule.card.source.url),
        suggestions=suggestions or None,
        selectionBehavior=selection_behavior(kinds) if suggestions else None,
        overrideReasons=[Coding(system=system, code=code, display=display) for system, code, display in _reasons(group, reasons, language)]
        or None,
        links=links or None,
        extension={"bzra-cds.rules": [{"id": r.id, "version": r.rule.version} for r in group]},
    )


def merge_cards(
    fired: list[LoadedRule],
    facts: Facts,
    data: dict[str, Any],
    reasons: OverrideReasonFile,
    language: str,
    suggest: SuggestionFactory,
) -> tuple[list[Card], dict[str, list[str]]]:
    """One card per `card.group` (a rule without one is its own group), most severe card first.
    Within a group the rules are ordered by severity, then by the highest `card.priority`; the first
    leads.

    Also returns each card's rule ids (card uuid → ids)."""
    groups: dict[str, list[LoadedRule]] = {}
    for rule in sorted(fired, key=lambda r: (-SEVERITY[r.rule.card.indicator], -r.rule.card.priority)):
        groups.setdefault(_group_key(rule), []).append(rule)
    offered: set[str] = set()  # a suggestion is offered once per answer, on the most severe card that carries it
    built = [(_card(group, facts, data, reasons, language, suggest, offered), group) for group in groups.values()]
    built.sort(key=lambda pair: -SEVERITY[pair[0].indicator])
    return [card for card, _ in built], {card.uuid: [r.id for r in group] for card, group in built}
