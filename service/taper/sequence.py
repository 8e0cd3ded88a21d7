"""The reduction sequence: the planned doses of a protocol's pace, each fitted to the form.

Four published step rules: a fraction of the current dose every interval (deprescribing.org, ASAM),
mg bands of diazepam that shrink as the dose falls (CKS), fixed fractions of the starting dose
(NHG/LUMC), and a fixed number of steps of fixed length (RIZIV/INAMI). A planned dose the form cannot
make is rounded up (Novadic-Kentron), so a step is never larger than planned when a smaller one
exists; where the protocol allows, lower-dose days and planned drug-free days make the steps the
tablets cannot. Every sequence ends when the protocol's last dose is reached or nothing smaller can
be made; the stop follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from service.taper.context import PlanContext
from service.taper.errors import TaperError
from service.taper.fitting import Week, fit_between, next_below
from service.taper.forms import EPS, DoseMaker
from service.taper.protocol import BandsRule, FixedStepsRule, FractionOfCurrentRule, FractionOfStartRule
from service.taper.schedule import Planned

__all__ = ["reductions"]

Target = tuple[float, int]  # (planned mg a day, days)


def _fraction_of_current(ctx: PlanContext, rule: FractionOfCurrentRule, reference: float) -> Callable[[Week], Target | None]:
    near_end = ctx.protocols.limits.near_end_fraction_of_start * reference

    def next_target(current: Week) -> Target | None:
        if current.average <= rule.stop_at_fraction_of_start * reference + EPS:
            return None
        fraction = rule.near_end_fraction if current.average <= near_end + EPS else rule.fraction
        return current.average * (1 - fraction), rule.interval_days

    return next_target


def _bands(ctx: PlanContext, rule: BandsRule, drug: str, reference: float) -> Callable[[Week], Target | None]:
    equivalent = ctx.eq10(drug)
    if equivalent is None:
        raise TaperError("protocol", "protocol_needs_equivalent", protocol=ctx.protocol.label.model_dump(),
                         table=ctx.request.table, drug=ctx.names(drug))
    per_de = ctx.from_de(drug, 1.0) or 1.0  # mg of the drug equal to 1 mg diazepam
    last = min(rule.stop_at_de_mg, ctx.protocols.limits.last_dose_max_fraction_of_start * reference / per_de)

    def next_target(current: Week) -> Target | None:
        de = current.average / per_de
        if de <= last + EPS:
            return None
        band = rule.band(de)
        target_de = max(de - band.step_de_mg, band.above_de_mg, 0.0)
        return target_de * per_de, band.interval_days

    return next_target


def _walk(ctx: PlanContext, start: Week, drug: str, form: DoseMaker, next_target: Callable[[Week], Target | None]) -> Iterator[Planned]:
    """Fit each planned dose to the form; a step the form cannot make smaller is taken as the next one down.

    A daily dose whose step is a little larger than planned (`daily_dose_within_step_factor`, never
    beyond the cap) is preferred to a week of two doses: 9 to 8 mg rather than 9 mg on one day and 8
    mg on six.
    """
    current, low_end = start, ctx.protocol.low_end
    cap = ctx.protocols.limits.max_step_fraction_of_current
    while (target := next_target(current)) is not None:
        mg, days = target
        if ctx.protocol.follows_cap and not _excused(ctx, current.average, current.average - mg, start.average, form):
            mg = max(mg, current.average * (1 - cap))
        planned = 1 - mg / current.average
        floor = current.average * (1 - min(cap, ctx.protocols.limits.daily_dose_within_step_factor * planned))
        week = fit_between(mg, current, form, low_end, floor) or next_below(current, form, low_end)
        if week is None:
            return
        yield Planned("reduce", week, days, drug, form)
        current = week


def _excused(ctx: PlanContext, current: float, cut: float, reference: float, form: DoseMaker) -> bool:
    """A step above the cap is kept only near the end and no larger than the smallest unit (as CKS does)."""
    unit = form.smallest if form.discrete else 0.0
    near_end = current <= ctx.protocols.limits.near_end_fraction_of_start * reference + EPS or current <= unit + EPS
    return near_end and cut <= unit + EPS


def _fixed_fractions(ctx: PlanContext, fractions: list[float], days: int, start: Week, reference: float,
                     drug: str, form: DoseMaker) -> Iterator[Planned]:
    """One step per fraction of the start, rounded up; a fraction that rounds to no lower dose is left out."""
    current, low_end = start, ctx.protocol.low_end
    for fraction in fractions:
        week = fit_between(fraction * reference, current, form, low_end)
        if week is not None:
            yield Planned("reduce", week, days, drug, form)
            current = week


def reductions(ctx: PlanContext, start: Week, drug: str, form: DoseMaker, switched: bool) -> list[Planned]:
    """The planned steps from the start week (after any switch) to the last dose before the stop."""
    rule, reference = ctx.rule, start.average
    if isinstance(rule, FractionOfCurrentRule):
        steps = _walk(ctx, start, drug, form, _fraction_of_current(ctx, rule, reference))
    elif isinstance(rule, BandsRule):
        steps = _walk(ctx, start, drug, form, _bands(ctx, rule, drug, reference))
    elif isinstance(rule, FractionOfStartRule):
        steps = _fixed_fractions(ctx, rule.fractions, rule.interval_days, start, reference, drug, form)
    else:
        steps = _fixed_steps(ctx, rule, start, drug, form, switched)
    planned = []
    for step in steps:
        planned.append(step)
        if len(planned) > ctx.protocols.limits.max_steps:
            raise TaperError("dose", "too_many_steps", max=ctx.protocols.limits.max_steps)
    return planned


def _fixed_steps(ctx: PlanContext, rule: FixedStepsRule, start: Week, drug: str, form: DoseMaker,
                 switched: bool) -> Iterator[Planned]:
    """The programme's steps: the first at the start dose (the switch, or capsules at the same dose)."""
    first = form.at_or_above(start.average) or start.average
    yield Planned("switch" if switched else "stabilise", Week(first), rule.days_per_step, drug, form)
    percents = rule.percents()
    ratio = percents[1] / percents[0]  # equal fractions of the current dose (the project's reading)
    current, low_end = Week(first), ctx.protocol.low_end
    for _ in percents[1:]:
        week = fit_between(current.average * ratio, current, form, low_end)
        if week is None:
            return
        yield Planned("reduce", week, rule.days_per_step, drug, form)
        current = week
