"""The medication history summarised: episodes, what is in use now and at what dose, dependence, a taper.

Every resource is read the same way (identify → daily dose → diazepam-equivalent → dates of use).
"In use now" allows for a renewal that comes a little late: an order or a dispense whose supply ran
out at most `gap_days` before the order date still counts, the same tolerance that keeps an episode
running. The dose in use is the dose on the order date: the step of a written plan in force today,
or the latest order or dispense whose dose is known.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import msgspec

from service.facts.dependence import dependence
from service.facts.episodes import Interval, continuous_days, days_in_window, merge
from service.facts.exposure import Exposure, dispense_exposure, request_exposure, statement_exposure
from service.facts.medication import DosedMedication, diazepam_equivalent, dose_identified, dosages_of, identify_resource
from service.facts.model import DrugUse, EpisodeFacts, HistoryFacts, TaperSeen
from service.facts.ongoing_taper import DosePoint, WrittenPlan, plan_taper, series_taper
from service.facts.steps import dispensed_mg_per_day, dosage_steps, step_on
from service.fhir.record import PatientRecord
from service.fhir.references import resolve_medication
from service.knowledge.models import Knowledge

CLASS_EPISODE = "bzra"
UNKNOWN_BZRA = "unidentified BZRA"
PLAN_IN_FORCE = {"active", "on-hold"}  # a stopped, completed or cancelled plan is not followed any more


@dataclass(frozen=True)
class HistoryOptions:
    today: date
    equivalence_table: str
    gap_days: int
    year_days: int
    recent_days: int


class HistoryUse(msgspec.Struct, frozen=True, gc=False):
    """One history resource, read: what it is, its dose, when it was taken, and the resource itself.

    Kept in cached history summaries; it holds no cycle, so the garbage collector need not trace it."""

    resource: Any
    exposure: Exposure
    dosed: DosedMedication
    steps: tuple[Any, ...]  # sequential dosage steps (a written plan), else ()

    @property
    def kind(self) -> str:
        return str(self.resource.get_resource_type())

    @property
    def strength_mg(self) -> float | None:
        identity = self.dosed.identity
        return identity.strength_mg if identity.strength_per == "unit" else None


def _exposure(resource: Any, dosed: DosedMedication, today: date) -> Exposure | None:
    kind = resource.get_resource_type()
    if kind == "MedicationStatement":
        return statement_exposure(resource, today)
    if kind == "MedicationRequest":
        return request_exposure(resource, dosed.dose.units_per_day, today)
    return dispense_exposure(resource, dosed.dose.units_per_day, today)


def history_uses(record: PatientRecord, knowledge: Knowledge, options: HistoryOptions) -> list[HistoryUse]:
    uses = []
    for resource in (*record.medication_statements, *record.medication_requests, *record.medication_dispenses):
        medication = resolve_medication(resource, record.medications)
        identity = identify_resource(resource, medication, knowledge)
        if not identity.recognised:
            continue
        dosed = dose_identified(resource, medication, identity, knowledge, options.equivalence_table)
        exposure = _exposure(resource, dosed, options.today)
        if exposure is not None:
            per_unit = identity.strength_mg if identity.strength_per == "unit" else None
            uses.append(HistoryUse(resource, exposure, dosed, tuple(dosage_steps(dosages_of(resource), per_unit))))
    return uses


def in_use(use: HistoryUse, today: date, gap_days: int) -> bool:
    """Taken on the order date, or an active order or a dispense whose supply ran out within the gap."""
    if use.exposure.current:
        return True
    interval = use.exposure.interval
    if interval is None or use.kind == "MedicationStatement":
        return False  # a statement's end date is an assertion, not an estimate
    if use.kind == "MedicationRequest" and use.resource.status != "active":
        return False
    return interval.end >= today - timedelta(days=gap_days)


def dose_on(use: HistoryUse, day: date) -> tuple[float | None, str]:
    """mg/day on `day`: a plan's step in force, the dosage, or a dispense's quantity over its days."""
    if use.steps:
        found = step_on(use.steps, day)
        if found is not None and found[1].mg_per_day is not None:
            index, step = found
            return step.mg_per_day, f"step {index + 1} of {len(use.steps)} of a stepped dosage, in force on {day}: {step.mg_per_day:g} mg/day"
    if use.dosed.dose.known:
        return use.dosed.dose.mg_per_day, use.dosed.dose.derivation
    if use.kind == "MedicationDispense":
        mg, how = dispensed_mg_per_day(use.resource, use.strength_mg)
        if mg is not None:
            return mg, how
    return None, use.dosed.dose.derivation


def _current_drug_use(drug: str, uses: list[HistoryUse], knowledge: Knowledge, options: HistoryOptions) -> DrugUse:
    """The dose in use now: a written plan's step in force, else the most recent source with a known dose."""

    def precedence(use: HistoryUse) -> tuple[bool, date]:
        in_plan = bool(use.steps) and step_on(use.steps, options.today) is not None
        return in_plan, use.exposure.interval.start if use.exposure.interval else date.min

    ordered = sorted(uses, key=precedence, reverse=True)
    sources = [u.exposure.reference for u in ordered]
    for use in ordered:
        mg, how = dose_on(use, options.today)
        if mg is not None:
            ingredient = drug if drug != UNKNOWN_BZRA else None
            de, de_how = diazepam_equivalent(ingredient, mg, knowledge, options.equivalence_table)
            derivation = f"{use.exposure.reference}: {how}; {de_how}"
            return DrugUse(drug=drug, mg_per_day=mg, de_mg_per_day=de, sources=sources, derivation=derivation)
    return DrugUse(drug=drug, mg_per_day=None, de_mg_per_day=None, sources=sources, derivation="daily dose unknown in every current source")


def history_total(current: list[DrugUse]) -> tuple[float | None, bool, str]:
    """Sum of DE over the BZRAs in use per the history (the draft not counted)."""
    if not current:
        return 0.0, True, "no BZRA in use per the history"
    known = [u for u in current if u.de_mg_per_day is not None]
    unknown = [u.drug for u in current if u.de_mg_per_day is None]
    total = sum(u.de_mg_per_day or 0.0 for u in known) if known else None
    terms = " + ".join(f"{u.drug} {u.de_mg_per_day:.1f}" for u in known)
    how = f"{terms} = {total:.1f} mg/day diazepam-equivalent" if known else "no dose could be derived"
    if unknown:
        how += "; dose unknown for: " + ", ".join(sorted(unknown))
    return total, not unknown, how


def _dose_points(uses: list[HistoryUse], today: date) -> list[DosePoint]:
    points = []
    for use in uses:
        if use.kind == "MedicationStatement" or use.exposure.interval is None or use.steps:
            continue
        day = use.exposure.interval.start
        mg, _ = dose_on(use, day)
        if mg is not None and day <= today:
            points.append(DosePoint(day, mg, use.exposure.reference))
    return points


def _ongoing_taper(by_drug: dict[str, list[HistoryUse]], current: set[str], knowledge: Knowledge, options: HistoryOptions) -> TaperSeen | None:
    """A written plan in progress first (it knows the next step), else doses going down."""
    rule = knowledge.use_thresholds.ongoing_taper
    for drug in sorted(current):
        for use in by_drug.get(drug, []):
            if use.steps and use.resource.status in PLAN_IN_FORCE:
                seen = plan_taper(drug, WrittenPlan(use.exposure.reference, use.steps), options.today, options.gap_days)
                if seen is not None:
                    return seen
    for drug in sorted(current):
        seen = series_taper(drug, _dose_points(by_drug.get(drug, []), options.today), options.today, rule)
        if seen is not None:
            return seen
    return None


def _episodes(by_drug: dict[str, list[HistoryUse]], gap: int) -> dict[str, list[Interval]]:
    return {drug: merge([u.exposure.interval for u in drug_uses if u.exposure.interval], gap) for drug, drug_uses in by_drug.items()}


def summarise_history(uses: list[HistoryUse], knowledge: Knowledge, options: HistoryOptions) -> HistoryFacts:
    by_drug: dict[str, list[HistoryUse]] = defaultdict(list)
    for use in uses:
        if use.dosed.identity.is_bzra:
            by_drug[use.dosed.identity.bzra or UNKNOWN_BZRA].append(use)
    today, gap = options.today, options.gap_days
    episodes = _episodes(by_drug, gap)
    class_episodes = merge([i for eps in episodes.values() for i in eps], gap)
    year = Interval(today - timedelta(days=options.year_days), today - timedelta(days=1))
    recent = Interval(today - timedelta(days=options.recent_days), today)
    in_use_by_drug = {drug: [u for u in drug_uses if in_use(u, today, gap)] for drug, drug_uses in sorted(by_drug.items())}
    current = [_current_drug_use(drug, found, knowledge, options) for drug, found in in_use_by_drug.items() if found]
    total, total_known, total_how = history_total(current)
    class_days = continuous_days(class_episodes, today, gap)
    all_intervals = [u.exposure.interval for drug_uses in by_drug.values() for u in drug_uses if u.exposure.interval]
    depends = dependence(all_intervals, class_days, today, knowledge.use_thresholds.dependence)
    taper = _ongoing_taper(by_drug, {u.drug for u in current}, knowledge, options)
    listed = [
        EpisodeFacts(drug=drug, start=e.start, end=e.end, days=e.days) for drug, eps in sorted(episodes.items()) for e in eps
    ] + [EpisodeFacts(drug=CLASS_EPISODE, start=e.start, end=e.end, days=e.days) for e in class_episodes]
    return HistoryFacts(
        bzra_continuous_days=class_days,
        bzra_days_last_12_months=days_in_window(class_episodes, year),
        distinct_bzra_last_90_days=sum(1 for eps in episodes.values() if days_in_window(eps, recent) > 0),
        continuous_days_by_drug={drug: continuous_days(eps, today, gap) for drug, eps in sorted(episodes.items())},
        current_bzras=current,
        total_de_mg_per_day=total,
        total_de_known=total_known,
        total_de_derivation=total_how,
        dependence_likely=depends.likely,
        use_days_per_week=depends.days_per_week,
        dependence_derivation=depends.derivation,
        ongoing_taper=taper is not None,
        taper=taper,
        episodes=listed,
        exposures=[f"{u.exposure.reference} ({u.dosed.name}): {u.exposure.derivation}" for u in uses],
    )


def running_episode(history: HistoryFacts) -> Interval | None:
    """The class episode still running on the order date (it may end after it), if any."""
    if history.bzra_continuous_days <= 0:
        return None
    running = [e for e in history.episodes if e.drug == CLASS_EPISODE]
    return Interval(running[-1].start, running[-1].end) if running else None
