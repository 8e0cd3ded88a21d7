"""Build the `Facts` of one hook call from a `PatientRecord`: pure, no HTTP, no YAML.

The history is summarised in `history.py` (episodes, what is in use and at what dose, dependence, a
taper under way); here it meets the draft orders: the total dose with the draft, co-medication,
recorded conditions and exemptions, the length of the course, and what could not be checked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from cachetools import LRUCache

from service.facts.course import course
from service.facts.dates import age_on
from service.facts.exemptions import applying_exemptions
from service.facts.history import UNKNOWN_BZRA, HistoryOptions, HistoryUse, history_uses, in_use, running_episode, summarise_history
from service.facts.identify import classify_condition
from service.facts.medication import dose_resource
from service.facts.model import Facts, HistoryFacts, OrderFacts, PatientFacts
from service.facts.ongoing_taper import steps_go_down
from service.facts.steps import dosage_steps
from service.facts.supply import order_supply
from service.facts.unknown import Unknown
from service.facts.units import to_float
from service.fhir.history_cache import SecondSight
from service.fhir.record import PatientRecord, draft_reference
from service.knowledge.models import Knowledge

INACTIVE_CLINICAL = {"inactive", "remission", "resolved"}
NOT_TRUE_VERIFICATION = {"refuted", "entered-in-error"}


@dataclass(frozen=True)
class FactOptions:
    today: date
    equivalence_table: str = "ashton"
    gap_days: int = 14
    year_days: int = 365
    recent_days: int = 90


def _code(concept: Any) -> str | None:
    for coding in (concept.coding if concept is not None else None) or []:
        if coding.code:
            return coding.code
    return None


def condition_is_active(condition: Any) -> bool:
    if _code(condition.verificationStatus) in NOT_TRUE_VERIFICATION:
        return False
    clinical = _code(condition.clinicalStatus)
    if clinical is None:
        return condition.abatementDateTime is None and condition.abatementPeriod is None
    return clinical not in INACTIVE_CLINICAL


def _reason_groups(order: Any, record: PatientRecord, knowledge: Knowledge) -> list[str]:
    groups: list[str] = []
    concepts = list(order.reasonCode or [])
    by_id = {c.id: c for c in record.conditions if c.id}
    for ref in order.reasonReference or []:
        target = by_id.get((ref.reference or "").split("/")[-1])
        if target is not None:
            concepts.append(target.code)
    for concept in concepts:
        groups.extend(g for g in classify_condition(concept, knowledge).groups if g not in groups)
    return groups


def order_facts(order: Any, record: PatientRecord, knowledge: Knowledge, options: FactOptions) -> OrderFacts:
    dosed = dose_resource(order, record.medications, knowledge, options.equivalence_table)
    identity, dose = dosed.identity, dosed.dose
    supply = order_supply(order.dispenseRequest, dose.units_per_day)
    request = order.dispenseRequest
    quantity = to_float(request.quantity.value) if request is not None and request.quantity is not None else None
    repeats = int(to_float(request.numberOfRepeatsAllowed) or 0) if request is not None else 0
    drug = knowledge.drug(identity.bzra) if identity.bzra else None
    reasons = _reason_groups(order, record, knowledge)
    dose_how = dose.derivation if dose.known else f"unknown: {dose.unknown_reason or dose.derivation}"
    if dosed.de_mg_per_day is not None:
        dose_how += f"; {dosed.de_derivation}"
    return OrderFacts(
        reference=draft_reference(order),
        medication=dosed.name,
        drug=identity.bzra,
        is_bzra=identity.is_bzra,
        matched_by=identity.matched_by or "not recognised",
        classes=list(identity.comedication_classes),
        half_life_class=drug.half_life.cls if drug is not None and drug.half_life is not None else None,
        strength_mg=identity.strength_mg if identity.strength_per == "unit" else None,
        mg_per_day=dose.mg_per_day,
        max_mg_per_day=dose.max_mg_per_day,
        de_mg_per_day=dosed.de_mg_per_day,
        dose_known=dose.known,
        as_needed=dose.as_needed,
        dose_derivation=dose_how,
        units_per_day=dose.units_per_day,
        quantity=quantity,
        repeats=repeats,
        days_supply=supply.days,
        days_supply_known=supply.days is not None,
        supply_derivation=supply.derivation,
        reasons=reasons,
        for_insomnia="insomnia" in reasons,
        for_anxiety="anxiety" in reasons,
        is_taper_plan=steps_go_down(dosage_steps(order.dosageInstruction or [], dosed.identity.strength_mg if dosed.identity.strength_per == "unit" else None)),
    )


def _total_de(history: HistoryFacts, drafts: list[OrderFacts]) -> tuple[float | None, bool, str]:
    """Sum of DE over distinct BZRAs: the draft's dose replaces the history's for the same drug."""
    parts: dict[str, tuple[float | None, str]] = {u.drug: (u.de_mg_per_day, "in use") for u in history.current_bzras}
    for order in drafts:
        if order.is_bzra:
            drug = order.drug or UNKNOWN_BZRA
            parts[drug] = (order.de_mg_per_day, "draft order")
    if not parts:
        return 0.0, True, "no BZRA in use or ordered"
    known = {d: v for d, (v, _) in parts.items() if v is not None}
    unknown = sorted(d for d, (v, _) in parts.items() if v is None)
    total = sum(known.values()) if known else None
    terms = " + ".join(f"{d} {v:.1f} ({parts[d][1]})" for d, v in sorted(known.items()))
    how = f"{terms} = {total:.1f} mg/day diazepam-equivalent" if known else "no dose could be derived"
    if unknown:
        how += "; dose unknown for: " + ", ".join(unknown)
    return total, not unknown, how


def _comedication(
    uses: list[HistoryUse], drafts: list[OrderFacts], knowledge: Knowledge, options: FactOptions
) -> tuple[dict[str, bool], dict[str, list[str]]]:
    sources: dict[str, list[str]] = {class_id: [] for class_id in knowledge.comedication_classes}
    for use in uses:
        if in_use(use, options.today, options.gap_days):
            for class_id in use.dosed.identity.comedication_classes:
                sources.setdefault(class_id, []).append(use.exposure.reference)
    for order in drafts:
        for class_id in order.classes:
            sources.setdefault(class_id, []).append(f"{order.reference} (draft)")
    return {class_id: bool(refs) for class_id, refs in sources.items()}, {k: v for k, v in sources.items() if v}


def _condition_evidence(record: PatientRecord, knowledge: Knowledge) -> dict[str, list[str]]:
    """Condition group -> the active Conditions that put the patient in it."""
    evidence: dict[str, list[str]] = defaultdict(list)
    for condition in record.conditions:
        if condition_is_active(condition):
            for group in classify_condition(condition.code, knowledge).groups:
                evidence[group].append(f"Condition/{condition.id or '?'}")
    return evidence


def _exemption_evidence(
    record: PatientRecord, conditions: dict[str, list[str]], drafts: list[OrderFacts], uses: list[HistoryUse], knowledge: Knowledge, options: FactOptions
) -> dict[str, list[str]]:
    """Condition group -> what shows it: a Condition, or the reason of a draft or of a BZRA order in use."""
    evidence = {group: list(refs) for group, refs in conditions.items()}
    for order in drafts:
        for group in order.reasons:
            evidence.setdefault(group, []).append(f"reason of {order.reference} (draft)")
    for use in uses:
        if use.kind == "MedicationRequest" and use.dosed.identity.is_bzra and in_use(use, options.today, options.gap_days):
            for group in _reason_groups(use.resource, record, knowledge):
                evidence.setdefault(group, []).append(f"reason of {use.exposure.reference}")
    return evidence


def _not_checked(record: PatientRecord) -> list[str]:
    return sorted({f"{i.not_checked}: {i.problem}" for i in record.issues if i.not_checked})


def _unknown(record: PatientRecord, patient: PatientFacts, drafts: list[OrderFacts], history: HistoryFacts, names: dict[str, dict[str, str]]) -> list[Unknown]:
    notes = []
    if not patient.age_known and record.patient is not None:
        notes.append(Unknown(what="age"))
    for order in drafts:
        subject = {"en": f"{order.medication} ({order.reference})"}
        if order.is_bzra and not order.dose_known:
            notes.append(Unknown(what="dose", subject=subject, detail=order.dose_derivation))
        if order.is_bzra and order.dose_known and order.de_mg_per_day is None:
            notes.append(Unknown(what="equivalence", subject={"en": order.medication}))
    for use in history.current_bzras:
        if use.de_mg_per_day is None:
            notes.append(Unknown(what="current_dose", subject=names.get(use.drug) or {"en": use.drug}, detail=use.derivation))
    return notes


def _drug_names(drugs: set[str], knowledge: Knowledge) -> dict[str, dict[str, str]]:
    """Names per language of the BZRAs a card may name (ids as the English fallback)."""
    names = {}
    for drug_id in sorted(drugs):
        drug = knowledge.drug(drug_id)
        if drug is not None:
            names[drug_id] = {language: getattr(drug.display, language) or drug.display.en for language in ("en", "nl", "fr")}
    return names


def _patient(record: PatientRecord, today: date) -> PatientFacts:
    birth = record.patient.birthDate if record.patient is not None else None
    age = age_on(birth, today)
    return PatientFacts(age=age, age_known=age is not None, gender=record.patient.gender if record.patient else None)


@dataclass(frozen=True)
class HistorySummary:
    """What the facts take from the history alone, whatever is ordered: the same for the same history,
    so it can be kept between calls by the history's content (`HistorySummaries`)."""

    uses: list[HistoryUse]
    history: HistoryFacts
    condition_evidence: dict[str, list[str]]


def summarise_record(record: PatientRecord, knowledge: Knowledge, options: FactOptions) -> HistorySummary:
    history_options = HistoryOptions(options.today, options.equivalence_table, options.gap_days, options.year_days, options.recent_days)
    uses = history_uses(record, knowledge, history_options)
    return HistorySummary(uses, summarise_history(uses, knowledge, history_options), dict(_condition_evidence(record, knowledge)))


class HistorySummaries:
    """History summaries by content: the record's `history_key` plus everything else they depend on
    (the order date, the options, the knowledge). Bounded by the number of history resources held;
    kept from the second time a content is seen (`history_cache.SecondSight` says why)."""

    def __init__(self, max_resources: int):
        self._max = max_resources
        self._entries: LRUCache[tuple[Any, ...], HistorySummary] = LRUCache(maxsize=max(max_resources, 1), getsizeof=_resource_count)
        self._seen = SecondSight(max_resources)

    @staticmethod
    def key(record: PatientRecord, knowledge: Knowledge, options: FactOptions) -> tuple[Any, ...] | None:
        history_key = record.history_key
        return None if history_key is None else (history_key, id(knowledge), options)

    def summary(self, record: PatientRecord, knowledge: Knowledge, options: FactOptions) -> HistorySummary:
        key = self.key(record, knowledge, options) if self._max > 0 else None
        found = self._entries.get(key) if key is not None else None
        if found is None:
            found = summarise_record(record, knowledge, options)
            if key is not None and _resource_count(found) <= self._max and self._seen.again(repr(key)):
                self._entries[key] = found
        return found


def _resource_count(summary: HistorySummary) -> int:
    return max(len(summary.uses), 1)


def build_facts(
    record: PatientRecord, hook: str, knowledge: Knowledge, options: FactOptions, summary: HistorySummary | None = None
) -> Facts:
    """The facts of one call; `summary`: the history's part, when already known (else worked out here)."""
    drafts = [order_facts(o, record, knowledge, options) for o in record.draft_orders]
    focus_ids = {draft_reference(o) for o in record.focus_orders}
    focus = [d for d in drafts if d.reference in focus_ids] or drafts
    draft = next((d for d in focus if d.is_bzra), focus[0] if focus else None)
    summary = summary or summarise_record(record, knowledge, options)
    uses, history, condition_evidence = summary.uses, summary.history, summary.condition_evidence
    total, total_known, total_how = _total_de(history, drafts)
    comedication, comedication_sources = _comedication(uses, drafts, knowledge, options)
    exemption_evidence = _exemption_evidence(record, condition_evidence, drafts, uses, knowledge, options)
    exemptions, exemption_how = applying_exemptions(exemption_evidence, knowledge)
    patient = _patient(record, options.today)
    current = sorted({u.drug for u in history.current_bzras} | {d.drug or UNKNOWN_BZRA for d in drafts if d.is_bzra})
    drug_names = _drug_names(set(current) | ({history.taper.drug} if history.taper else set()), knowledge)
    limits = knowledge.use_thresholds.course_limits
    return Facts(
        today=options.today,
        hook=hook,
        equivalence_table=options.equivalence_table,
        gap_days=options.gap_days,
        patient=patient,
        draft=draft,
        has_draft_bzra=any(d.is_bzra for d in focus),
        draft_starts_bzra=draft is not None and draft.is_bzra and (draft.drug or UNKNOWN_BZRA) not in {u.drug for u in history.current_bzras},
        tapering=history.ongoing_taper or (draft is not None and draft.is_taper_plan),
        drafts=drafts,
        draft_classes=sorted({c for d in drafts for c in d.classes}),
        history=history,
        current_bzras=current,
        drug_names=drug_names,
        distinct_bzra_count=len(current),
        total_bzra_de_mg_per_day=total,
        total_de_known=total_known,
        total_de_derivation=total_how,
        comedication=comedication,
        comedication_sources=comedication_sources,
        conditions={group_id: bool(condition_evidence.get(group_id)) for group_id in knowledge.condition_groups},
        exemptions=exemptions,
        exempt=bool(exemptions),
        exemption_derivation=exemption_how,
        course=course(draft, history.bzra_continuous_days, running_episode(history), options.today, limits),
        not_checked=_not_checked(record),
        unknown=_unknown(record, patient, drafts, history, drug_names),
    )
