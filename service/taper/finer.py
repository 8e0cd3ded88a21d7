"""What the finer forms add to a plan: strip pouches and orders (NL), magistral prescriptions (BE).

Tapering strips: within a step the daily pouches go down from the previous step's dose to the step's
own, so each step starts at `first_mg`; the order form asks for the first and last pouch of each
28-day strip. Magistral capsules: one Belgian prescription ("R/ ... S/ ...") per step, as the
RIZIV/INAMI programme asks, in Dutch, French and English.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from service.taper.forms import ceil_significant
from service.taper.model import MagistralPrescription, StripOrder, TaperStep
from service.taper.schedule import Planned
from service.taper.wording import fmt_date, fmt_number

__all__ = ["magistral_prescriptions", "strip_orders", "with_pouches"]


def with_pouches(planned: list[Planned], start_mg: float) -> list[Planned]:
    """Strip steps with their first pouch: the dose the step comes down from."""
    out, previous = [], start_mg
    for step in planned:
        out.append(replace(step, first_mg=previous) if step.kind == "reduce" else step)
        previous = step.week.average
    return out


def _dose_on(steps: tuple[TaperStep, ...], day) -> float:
    """The pouch of one day: a straight line from the step's first pouch down to its own dose."""
    for step in steps:
        if step.kind != "stop" and step.start <= day <= step.end:
            if step.first_mg is None:
                return step.dose_mg
            progress = ((day - step.start).days + 1) / step.days
            return step.first_mg + (step.dose_mg - step.first_mg) * progress
    return 0.0


def strip_orders(steps: tuple[TaperStep, ...], strip_days: int, digits: int) -> tuple[StripOrder, ...]:
    """The strips to order, `strip_days` each from the first day, with their first and last pouch."""
    taking = [step for step in steps if step.kind != "stop"]
    if not taking:
        return ()
    orders, day, number = [], taking[0].start, 1
    last_day = taking[-1].end
    while day <= last_day:
        end = min(day + timedelta(days=strip_days - 1), last_day)
        first = ceil_significant(_dose_on(steps, day), digits)
        last = ceil_significant(_dose_on(steps, end), digits)
        orders.append(StripOrder(number=number, start=day, end=end, first_mg=first, last_mg=last))
        day, number = end + timedelta(days=1), number + 1
    return tuple(orders)


_R = {
    "nl": (
        "R/ Magistrale capsules {drug} {mg} mg (afbouwprogramma benzodiazepines, RIZIV), te bereiden uit de "
        "specialiteit die de patiënt gebruikt (geen vorm met gereguleerde afgifte); stap {step} van {steps}\n"
        "   d.t.d. {count} capsules\n"
        "S/ 1 capsule per dag, op het gebruikelijke innamemoment, gedurende {days} dagen "
        "(van {start} tot en met {end})"
    ),
    "fr": (
        "R/ Gélules magistrales de {drug} {mg} mg (programme de sevrage aux benzodiazépines, INAMI), à préparer "
        "à partir de la spécialité utilisée par le patient (pas de forme à libération prolongée) ; palier {step} "
        "sur {steps}\n"
        "   d.t.d. {count} gélules\n"
        "S/ 1 gélule par jour, au moment habituel de la prise, pendant {days} jours (du {start} au {end})"
    ),
    "en": (
        "R/ Magistral capsules of {drug} {mg} mg (RIZIV/INAMI benzodiazepine taper programme), made from the "
        "specialty the patient uses (not a modified-release form); step {step} of {steps}\n"
        "   d.t.d. {count} capsules\n"
        "S/ 1 capsule a day at the usual time, for {days} days ({start} to {end})"
    ),
}


def magistral_prescriptions(steps: tuple[TaperStep, ...], names: dict[str, str]) -> tuple[MagistralPrescription, ...]:
    """One prescription per step of capsules (one capsule a day), in nl, fr and en."""
    taking = [step for step in steps if step.kind != "stop"]
    out = []
    for step in taking:
        capsule = step.daily_mg
        texts = tuple(
            (
                language,
                template.format(
                    drug=names.get(language) or names["en"],
                    mg=fmt_number(capsule, language),
                    step=step.number,
                    steps=len(taking),
                    count=step.days,
                    days=step.days,
                    start=fmt_date(step.start, language),
                    end=fmt_date(step.end, language),
                ),
            )
            for language, template in _R.items()
        )
        out.append(MagistralPrescription(step=step.number, capsule_mg=capsule, capsules=step.days, texts=texts))
    return tuple(out)
