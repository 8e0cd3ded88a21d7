"""From planned weeks to dated steps: holds, dates, and what is taken on which days.

Holds repeat a step's dose for one more period after the step numbers the patient chose; the numbers
refer to the plan without holds (the plan the patient saw), and a number given twice holds twice.
Dates are contiguous: each step starts the day after the previous one ends, `days` counts both ends.
The `stop` step is a marker on the first day without the drug (start == end, 0 days), so
`total_days` (the sum of step days) is the number of days the patient still takes a BZRA.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from service.taper.errors import TaperError
from service.taper.fitting import DAYS, Week
from service.taper.forms import DoseMaker
from service.taper.model import Intake, StepKind, TaperStep

__all__ = ["Planned", "add_holds", "date_steps"]


@dataclass(frozen=True)
class Planned:
    """A step before it has dates: its kind, its week of doses, how long, and what else is taken."""

    kind: StepKind
    week: Week
    days: int
    drug: str
    form: DoseMaker
    also: tuple[tuple[str, float, DoseMaker], ...] = ()
    first_mg: float | None = None


def add_holds(planned: list[Planned], holds: tuple[int, ...], hold_days: int | None, max_holds: int | None,
              protocol: dict[str, str]) -> list[Planned]:
    """The plan with a held copy of each chosen step after it (`hold_days` long, else the step's own)."""
    if max_holds is not None and len(holds) > max_holds:
        raise TaperError("holds", "hold_too_many", protocol=protocol, max=max_holds)
    if holds and holds[-1] > len(planned):
        raise TaperError("holds", "hold_beyond", step=holds[-1], last=len(planned))
    out: list[Planned] = []
    for number, step in enumerate(planned, start=1):
        out.append(step)
        for _ in range(holds.count(number)):
            out.append(replace(step, kind="hold", days=hold_days or step.days, first_mg=None))
    return out


def _unit_form(form: DoseMaker, strength: float) -> str:
    return "magistral_capsule" if form.kind == "magistral" else form.unit_form(strength)


def _intake(drug: str, mg: float, days: int, form: DoseMaker) -> Intake:
    units = form.units(mg)
    kind = _unit_form(form, units[0][0]) if units else "tablet"
    return Intake(drug=drug, mg=round(mg, 6), days_per_week=days, units=units, form=kind)


def _intakes(step: Planned) -> tuple[Intake, ...]:
    week = step.week
    intakes = [_intake(drug, mg, DAYS, form) for drug, mg, form in step.also]
    intakes.append(_intake(step.drug, week.high_mg, DAYS - week.low_days, step.form))
    if week.low_days and week.low_mg > 0:
        intakes.append(_intake(step.drug, week.low_mg, week.low_days, step.form))
    return tuple(intakes)


def date_steps(planned: list[Planned], start: date, de_of) -> tuple[TaperStep, ...]:
    """Number and date the steps, and add the stop marker; `de_of(drug, mg)` gives diazepam-equivalents."""
    steps: list[TaperStep] = []
    day = start
    for number, step in enumerate(planned, start=1):
        end = day + timedelta(days=step.days - 1)
        parts = [de_of(step.drug, step.week.average), *(de_of(d, mg) for d, mg, _ in step.also)]
        known = [part for part in parts if part is not None]  # one unknown equivalent: the sum is unknown
        steps.append(
            TaperStep(
                number=number,
                kind=step.kind,
                start=day,
                end=end,
                days=step.days,
                drug=step.drug,
                dose_mg=round(step.week.average, 4),
                intakes=_intakes(step),
                free_days=step.week.free_days,
                de_mg=round(sum(known), 4) if len(known) == len(parts) else None,
                first_mg=step.first_mg,
            )
        )
        day = end + timedelta(days=1)
    last_drug = planned[-1].drug if planned else ""
    steps.append(
        TaperStep(number=len(steps) + 1, kind="stop", start=day, end=day, days=0, drug=last_drug, dose_mg=0.0,
                  intakes=(), free_days=0, de_mg=0.0)
    )
    return tuple(steps)
