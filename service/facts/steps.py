"""The dose on a given day: the step of a written plan that covers it, or what a dispense implies.

`daily_dose` reports the first step of a stepped dosage (it has no date to go by). A taper plan is
one MedicationRequest whose dosage entries are sequential steps, each with its `boundsPeriod` (the
shape this service writes, and EHRs' own taper orders): on a given day the patient takes the step
that covers it. A dispense without dosage instructions still says how much was handed over for how
many days, which is the average daily dose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.facts.dates import as_date
from service.facts.dose import daily_dose
from service.facts.timing import duration_in_days
from service.facts.units import UnitProblem, classify_unit, to_float


@dataclass(frozen=True)
class Step:
    sequence: int
    start: date | None
    end: date | None
    mg_per_day: float | None


def _bounds(entries: Sequence[Any]) -> tuple[date | None, date | None]:
    starts, ends = [], []
    for entry in entries:
        repeat = entry.timing.repeat if entry.timing is not None else None
        period = repeat.boundsPeriod if repeat is not None else None
        if period is not None:
            starts.append(as_date(period.start))
            ends.append(as_date(period.end, end=True))
    known_starts = [d for d in starts if d is not None]
    known_ends = [d for d in ends if d is not None]
    return (min(known_starts) if known_starts else None, max(known_ends) if known_ends else None)


def dosage_steps(dosages: Sequence[Any], strength_mg: float | None) -> list[Step]:
    """Sequential steps (entries grouped by `sequence`), in order; [] unless there are two or more."""
    groups: dict[int, list[Any]] = {}
    for entry in dosages:
        if entry is not None and entry.sequence is not None:
            groups.setdefault(entry.sequence, []).append(entry)
    if len(groups) < 2:
        return []
    steps = []
    for sequence in sorted(groups):
        start, end = _bounds(groups[sequence])
        steps.append(Step(sequence, start, end, daily_dose(groups[sequence], strength_mg).mg_per_day))
    return steps


def step_on(steps: Sequence[Step], day: date) -> tuple[int, Step] | None:
    """(index, step) in force on `day`: the step whose bounds hold it, else the last one begun by then."""
    begun = [(i, s) for i, s in enumerate(steps) if s.start is not None and s.start <= day]
    for index, step in begun:
        if step.end is None or day <= step.end:
            return index, step
    return begun[-1] if begun else None


def dispensed_mg_per_day(dispense: Any, strength_mg: float | None) -> tuple[float | None, str]:
    """Quantity handed over ÷ days supply, in mg a day: the average dose a dispense implies."""
    quantity = dispense.quantity
    days = duration_in_days(dispense.daysSupply)
    amount = to_float(quantity.value) if quantity is not None else None
    if amount is None or not days:
        return None, "no quantity and days supply to derive a dose from"
    unit = classify_unit(quantity.system, quantity.code, quantity.unit)
    if isinstance(unit, UnitProblem) or unit.kind == "volume":
        return None, f"dispensed quantity in a unit that gives no mg ({quantity.unit or quantity.code})"
    if unit.kind == "count":
        if strength_mg is None:
            return None, "dispensed in units, strength unknown"
        mg = amount * unit.factor * strength_mg / days
        return mg, f"dispensed {amount:g} × {strength_mg:g} mg over {days:g} days = {mg:g} mg/day"
    mg = amount * unit.factor / days
    return mg, f"dispensed {amount:g} {quantity.unit or 'mg'} over {days:g} days = {mg:g} mg/day"
