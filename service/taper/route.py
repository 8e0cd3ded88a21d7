"""Choosing the route (taper the drug in use, or switch to diazepam first) and planning the switch phase.

A switch happens only when the protocol or the prescriber asks, or when the market has no product of
the drug in use; it is then named in the plan's notes and steps. The switch phase follows the
protocol: a cross-taper over two weeks (ASAM 2025, NHS Scotland: half of the dose replaced, then all
of it), or a switch on one day followed by a stabilisation period (NHG/LUMC one week, Vissers/Voshaar
two weeks). Several drugs in use are switched together on one day.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.taper.context import PlanContext
from service.taper.errors import TaperError
from service.taper.fitting import Week
from service.taper.forms import DoseMaker
from service.taper.protocol import FixedStepsRule, FractionOfStartRule
from service.taper.schedule import Planned
from service.taper.wording import LANGUAGES, fmt_number

__all__ = ["Route", "choose_route", "switch_phase"]


@dataclass(frozen=True)
class Route:
    """Whether the plan switches (and why, and how), and which drug it then tapers."""

    switched: bool
    reason: str | None = None  # requested | protocol | listed | no_products | several
    phase: str | None = None  # cross_taper | switch_day

    def taper_drug(self, ctx: PlanContext) -> str:
        return ctx.protocols.switch.to if self.switched else ctx.request.drug


def choose_route(ctx: PlanContext) -> Route:
    request, target = ctx.request, ctx.protocols.switch.to
    policy = ctx.protocol.switch
    if request.also_taking:
        if request.switch == "none":
            raise TaperError("switch_to", "switch_needed_for_several")
        return Route(True, "several", "switch_day")
    if request.drug == target:
        if request.switch == "diazepam":
            ctx.note("already_target", drug=ctx.names(target))
        return Route(False)
    wanted = {"diazepam": "requested", "none": None}.get(request.switch)
    if request.switch == "auto":
        listed = policy.default == "listed" and request.drug in policy.listed
        wanted = "protocol" if policy.default == "always" else "listed" if listed else None
    if not ctx.has_form(request.drug):
        if request.switch == "none" or request.form != "tablets":
            ctx.form(request.drug)  # raises: the market has no such form of the drug
            raise TaperError("drug", "drug_no_products", drug=ctx.names(request.drug), market=ctx.country())
        return Route(True, "no_products", "switch_day")
    return Route(True, wanted, policy.phase) if wanted else Route(False)


def _equivalent(ctx: PlanContext, drug: str) -> float:
    """10 mg diazepam's worth of the drug; `TaperError` when the table has no figure."""
    found = ctx.eq10(drug)
    if found is None:
        code = "drug_no_products" if drug == ctx.request.drug and not ctx.has_form(drug) else "switch_no_equivalent"
        raise TaperError("switch_to", code, drug=ctx.names(drug), table=ctx.request.table, market=ctx.country())
    if found[0] != ctx.request.table:
        ctx.note("table_fallback", drug=ctx.names(drug), table=ctx.request.table, used=found[0])
    return found[1]


def _converted(ctx: PlanContext, drugs: tuple[tuple[str, float], ...], target_form: DoseMaker) -> float:
    """The diazepam dose for the drugs, rounded up to what the form makes; notes say how."""
    total = 0.0
    for drug, mg in drugs:
        equivalent = _equivalent(ctx, drug)
        de = ctx.de(drug, mg) or 0.0
        total += de
        ctx.note("conversion", drug=ctx.names(drug), dose=mg, de=round(de, 2), table=ctx.request.table, eq10=equivalent)
    dose = target_form.at_or_above(total)
    if dose is None:
        raise TaperError("dose", "dose_not_positive", value=f"{total:g}")
    return dose


def switch_phase(ctx: PlanContext, route: Route) -> tuple[list[Planned], Week]:
    """The switch phase's steps and the diazepam week the reductions start from."""
    target = ctx.protocols.switch.to
    target_form = ctx.form(target)
    ctx.label(target, target_form)
    drugs = ((ctx.request.drug, ctx.request.daily_dose_mg), *ctx.request.also_taking)
    dose = _converted(ctx, drugs, target_form)
    ctx.note(f"switch_{route.reason}", drug=ctx.names(ctx.request.drug), target=ctx.names(target), dose=dose,
             market=ctx.country(), drugs=_listed(ctx, drugs))
    if route.phase == "cross_taper":
        return _cross_taper(ctx, dose, target_form), Week(dose)
    rule = ctx.rule
    if isinstance(rule, FixedStepsRule):
        return [], Week(dose)  # the programme's first step, at the converted dose, is the switch
    days = rule.stabilise_days if isinstance(rule, FractionOfStartRule) else ctx.protocols.switch.stabilise_days
    ctx.note("stabilise", target=ctx.names(target), target_dose=dose, days=days)
    return [Planned("switch", Week(dose), days, target, target_form)], Week(dose)


def _listed(ctx: PlanContext, drugs: tuple[tuple[str, float], ...]) -> dict[str, str]:
    return {
        language: ", ".join(f"{ctx.names(d)[language]} {fmt_number(mg, language)} mg" for d, mg in drugs)
        for language in LANGUAGES
    }


def _cross_taper(ctx: PlanContext, dose: float, target_form: DoseMaker) -> list[Planned]:
    """Half of the daily dose replaced by diazepam, then all of it (one step a week)."""
    old, old_mg = ctx.request.drug, ctx.request.daily_dose_mg
    old_form = ctx.tablets(old)
    ctx.label(old, old_form)
    _equivalent(ctx, old)
    steps, kept_before = [], old_mg
    for cross in ctx.protocols.switch.cross_taper.steps:
        kept = 0.0 if cross.replaced_fraction >= 1 else (old_form.at_or_above(old_mg * (1 - cross.replaced_fraction)) or old_mg)
        if 0 < kept and kept >= kept_before - 1e-9:
            continue  # the tablets cannot keep less of the old drug: this week would change nothing
        new = dose if kept == 0 else target_form.at_or_above(ctx.de(old, old_mg - kept) or 0.0) or dose
        also = ((old, kept, old_form),) if kept > 0 else ()
        steps.append(Planned("cross" if kept > 0 else "switch", Week(new), cross.days, ctx.protocols.switch.to, target_form, also))
        kept_before = kept
    ctx.note("cross_taper", drug=ctx.names(old), target=ctx.names(ctx.protocols.switch.to), weeks=len(steps))
    return steps
