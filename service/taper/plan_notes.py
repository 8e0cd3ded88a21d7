"""The notes and sources of a finished plan: its protocol and pace, how the forms shaped the steps
(lower-dose days, drug-free days, steps larger than the cap), holds, the market and its products."""

from __future__ import annotations

from service.taper.context import PlanContext
from service.taper.fitting import Week
from service.taper.forms import EPS, TabletForm
from service.taper.handout_texts import LABELS, PACE_NAMES
from service.taper.model import TaperStep
from service.taper.protocol import BandsRule, FixedStepsRule, FractionOfCurrentRule
from service.taper.route import Route
from service.taper.wording import LANGUAGES

__all__ = ["large_steps", "schedule_notes", "sources_of"]


def _pct(fraction: float) -> float:
    return round(fraction * 100, 1)


def _protocol_note(ctx: PlanContext) -> None:
    rule, label = ctx.rule, ctx.protocol.label.model_dump()
    pace = PACE_NAMES[ctx.request.pace]
    if isinstance(rule, FractionOfCurrentRule):
        ctx.note("protocol_fraction_of_current", protocol=label, pace=pace, pct=_pct(rule.fraction), days=rule.interval_days,
                 near_pct=_pct(rule.near_end_fraction), last_pct=_pct(rule.stop_at_fraction_of_start))
    elif isinstance(rule, BandsRule):
        days = "/".join(dict.fromkeys(str(band.interval_days) for band in rule.bands))
        ctx.note("protocol_bands", protocol=label, pace=pace, days=days)
    elif isinstance(rule, FixedStepsRule):
        ctx.note("protocol_fixed_steps", protocol=label, pace=pace, steps=rule.steps, days=rule.days_per_step,
                 first_pct=rule.first_percent, last_pct=rule.last_percent)
    else:
        fractions = {lang: "/".join(f"{_pct(f):g}".replace(".", "," if lang != "en" else ".") for f in rule.fractions)
                     for lang in LANGUAGES}
        ctx.note("protocol_fraction_of_start", protocol=label, pace=pace, fractions=fractions, days=rule.interval_days)


def _smallest_unit(ctx: PlanContext, drug: str) -> float:
    form = ctx.form(drug)
    return form.smallest if form.discrete else 0.0


def large_steps(ctx: PlanContext, steps: tuple[TaperStep, ...], start: Week) -> list[int]:
    """Reductions above the cap that are not excused as one smallest unit near the end."""
    limits, previous, reference = ctx.protocols.limits, start.average, start.average
    found = []
    for step in steps:
        if step.kind == "reduce":
            cut = previous - step.dose_mg
            unit = _smallest_unit(ctx, step.drug)
            near_end = previous <= limits.near_end_fraction_of_start * reference + EPS or previous <= unit + EPS
            if cut > limits.max_step_fraction_of_current * previous + EPS and not (near_end and cut <= unit + EPS):
                found.append(step.number)
        if step.kind not in ("stop", "cross"):
            previous = step.dose_mg
    return found


def _steps_text(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers))


def _form_notes(ctx: PlanContext, steps: tuple[TaperStep, ...]) -> None:
    mixed = [s.number for s in steps if len([i for i in s.intakes if i.drug == s.drug]) > 1]
    free = [s.number for s in steps if s.free_days]
    if mixed:
        ctx.note("mixed_days", steps=_steps_text(mixed))
    if free:
        ctx.note("drug_free_days", steps=_steps_text(free))
    if ctx.request.form == "magistral":
        ctx.note("magistral")
    if ctx.request.form == "strips":
        ctx.note("strips")


def _market_notes(ctx: PlanContext, drugs: list[str]) -> None:
    products: dict[str, list[str]] = {language: [] for language in LANGUAGES}
    for drug in dict.fromkeys(drugs):
        form = ctx.form(drug, "tablets") if ctx.request.form in ("tablets", "magistral") else ctx.form(drug)
        if isinstance(form, TabletForm):
            for language in LANGUAGES:
                products[language] += form.product_names(language)
            if form.unconfirmed:
                ctx.note("unconfirmed", drug=ctx.names(drug), market=ctx.country())
    if products["en"]:
        ctx.note("market", market=ctx.country(), products={k: LABELS[k]["semicolon"].join(dict.fromkeys(v)) for k, v in products.items()})


def schedule_notes(ctx: PlanContext, route: Route, steps: tuple[TaperStep, ...], start: Week, phase_steps: int) -> None:
    request, target = ctx.request, ctx.protocols.switch.to
    _protocol_note(ctx)
    drug = ctx.knowledge.drugs[request.drug]
    short = drug.half_life is not None and drug.half_life.cls in ctx.protocols.switch.recommend_for_half_life
    if not route.switched and request.drug != target and short and request.switch != "none":
        ctx.note("recommend_switch", drug=ctx.names(request.drug), target=ctx.names(target))
    if drug.has_edge_case("epilepsy_use_no_switch"):
        ctx.note("epilepsy", drug=ctx.names(request.drug))
    first = next((s for s in steps if s.kind == "reduce"), None)
    form = ctx.form(route.taper_drug(ctx))
    if not route.switched and first is not None and form.at_or_above(start.average) != start.average:
        ctx.note("start_not_achievable", dose=request.daily_dose_mg, first=round(first.dose_mg, 2))
    _form_notes(ctx, steps)
    above = large_steps(ctx, steps, start)
    if above:
        code = "large_steps" if ctx.protocol.follows_cap else "cap_not_followed"
        ctx.note(code, steps=_steps_text(above), max=_pct(ctx.protocols.limits.max_step_fraction_of_current))
    held = [s.number for s in steps if s.kind == "hold"]
    if held:
        ctx.note("holds", steps=_steps_text(held))
    _market_notes(ctx, [request.drug, *(d for d, _ in request.also_taking), route.taper_drug(ctx)]
                  if route.switched and route.phase == "cross_taper" else [route.taper_drug(ctx)])


def sources_of(ctx: PlanContext, route: Route, steps: tuple[TaperStep, ...]) -> tuple[str, ...]:
    protocols, protocol = ctx.protocols, ctx.protocol
    ids = [*protocol.sources, *protocols.limits.sources]
    if route.switched:
        ids += protocols.switch.sources
        if route.phase == "cross_taper":
            ids += protocols.switch.cross_taper.sources
    if any(len([i for i in s.intakes if i.drug == s.drug]) > 1 for s in steps):
        ids += protocols.low_end.mixed_days.sources
    if any(s.free_days for s in steps):
        ids += protocols.low_end.drug_free_days.sources
    if ctx.request.form != "tablets":
        ids += protocols.forms[ctx.request.form].sources
    citations = [protocols.citation(i) for i in dict.fromkeys(ids)]
    if route.switched:
        table = ctx.knowledge.equivalence_tables.get(ctx.request.table)
        if table is not None:
            title = f"{table.author}. {table.title}" if table.author else table.title
            citations.append(f"{title}. {table.url}" if table.url else title)
    tags = [tag for drug in {s.drug for s in steps if s.kind != "stop"} for p in ctx.market.products_for(drug)[0] for tag in p.sources]
    for tag in dict.fromkeys(tags):
        source = ctx.market.sources[tag]
        citations.append(f"{source.title}. {source.url}" if source.url else source.title)
    return tuple(citations)
