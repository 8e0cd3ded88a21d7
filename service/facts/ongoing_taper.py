"""A taper already under way: a written plan whose steps go down, or doses going down over time.

Someone who is tapering needs encouragement and the next step, not the advice to start a taper.
Two kinds of evidence, per BZRA:

* a written plan: one order whose sequential dosage steps go down (never up), still in progress
  today (a step covers today, or the last one ended within the gap tolerance);
* recent orders and dispenses whose daily doses, oldest first, go down at least `min_reductions`
  times without ever going up, within `window_days`, and the drug is still in use.

The figures come from `use_thresholds.ongoing_taper` in the knowledge data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from service.facts.model import TaperSeen
from service.facts.steps import Step, step_on
from service.knowledge.models import TaperRecognition

TOLERANCE_MG = 1e-6


@dataclass(frozen=True)
class DosePoint:
    """One order or dispense of a BZRA: when, how much a day, and which resource says so."""

    day: date
    mg_per_day: float
    source: str


@dataclass(frozen=True)
class WrittenPlan:
    source: str
    steps: list[Step]


def _mg(value: float) -> str:
    return f"{value:g}"


def steps_go_down(steps: Sequence[Step]) -> bool:
    """Two or more steps, every dose known, never up, and lower at the end than at the start."""
    doses = [s.mg_per_day for s in steps]
    if len(doses) < 2 or any(d is None for d in doses):
        return False
    known = [float(d) for d in doses if d is not None]
    return all(b <= a + TOLERANCE_MG for a, b in zip(known, known[1:])) and known[-1] < known[0] - TOLERANCE_MG


def plan_taper(drug: str, plan: WrittenPlan, today: date, gap_days: int) -> TaperSeen | None:
    """The plan as a taper under way, if its steps go down and it is in progress today."""
    if not steps_go_down(plan.steps):
        return None
    known = [float(s.mg_per_day or 0.0) for s in plan.steps]
    found = step_on(plan.steps, today)
    last_end = plan.steps[-1].end or plan.steps[-1].start
    if found is None or last_end is None or last_end < today - timedelta(days=gap_days):
        return None
    index, step = found
    following = plan.steps[index + 1] if index + 1 < len(plan.steps) else None
    steps = " → ".join(_mg(d) for d in known)
    how = f"{plan.source}: a written plan with {len(known)} steps going down ({steps} mg/day); step {index + 1} is in force on {today}"
    if following is not None:
        how += f"; the next step is {_mg(following.mg_per_day or 0)} mg/day from {following.start or 'a date not given'}"
    return TaperSeen(
        drug=drug,
        evidence="written plan",
        doses_mg=known,
        current_mg=step.mg_per_day,
        next_mg=following.mg_per_day if following else None,
        next_start=following.start if following else None,
        sources=[plan.source],
        derivation=how,
    )


def _by_day(points: Sequence[DosePoint]) -> list[DosePoint]:
    """One point a day (the lowest: a dispense and its order on one day describe one dose), in order."""
    days: dict[date, DosePoint] = {}
    for point in points:
        kept = days.get(point.day)
        if kept is None or point.mg_per_day < kept.mg_per_day:
            days[point.day] = point
    return [days[d] for d in sorted(days)]


def series_taper(drug: str, points: Sequence[DosePoint], today: date, rule: TaperRecognition) -> TaperSeen | None:
    """Doses going down at least `min_reductions` times, never up, within the window."""
    since = today - timedelta(days=rule.window_days)
    recent = _by_day([p for p in points if since <= p.day <= today])
    changes: list[DosePoint] = []
    for point in recent:
        if changes and abs(point.mg_per_day - changes[-1].mg_per_day) <= TOLERANCE_MG:
            continue
        if changes and point.mg_per_day > changes[-1].mg_per_day:
            return None  # the dose went up: not (or no longer) a taper
        changes.append(point)
    reductions = len(changes) - 1
    if reductions < rule.min_reductions:
        return None
    doses = [p.mg_per_day for p in changes]
    seen = "; ".join(f"{p.day} {_mg(p.mg_per_day)} mg/day ({p.source})" for p in changes)
    return TaperSeen(
        drug=drug,
        evidence="doses going down",
        doses_mg=doses,
        current_mg=doses[-1],
        next_mg=None,
        next_start=None,
        sources=[p.source for p in changes],
        derivation=(
            f"{reductions} reductions in a row, none upwards, in the last {rule.window_days} days "
            f"(at least {rule.min_reductions} needed): {seen}"
        ),
    )
