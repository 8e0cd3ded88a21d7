"""The taper plan generator: from what a patient takes now to a dated plan to stop, after a protocol.

Pure: it reads the knowledge (drugs, equivalences), one market's products and the protocols file
(every clinical number, with its source) and returns an immutable `TaperPlan`. `make_plan` runs the
stages in order, each in a module of its own:

1. check the input against the protocol, the market and the form (`_context`);
2. choose the route and plan the switch, if any (`route`);
3. build the reduction sequence, each planned dose fitted to the form (`sequence`, `fitting`);
4. add what the finer forms need (`finer`), then the holds, and date the steps (`schedule`);
5. write the notes and sources (`_notes`, `_sources`).
"""

from __future__ import annotations

from service.knowledge.models import Knowledge
from service.taper.context import PlanContext
from service.taper.errors import TaperError
from service.taper.finer import magistral_prescriptions, strip_orders, with_pouches
from service.taper.fitting import Week
from service.taper.inputs import TaperRequest, parse_dose, resolve_drug
from service.taper.markets import load_market
from service.taper.model import DrugLabel, Intake, PlanNote, TaperPlan, TaperStep
from service.taper.plan_notes import schedule_notes, sources_of
from service.taper.protocol import ProtocolSet, load_protocols
from service.taper.route import Route, choose_route, switch_phase
from service.taper.schedule import Planned, add_holds, date_steps
from service.taper.sequence import reductions

__all__ = [
    "DrugLabel",
    "Intake",
    "PlanNote",
    "TaperError",
    "TaperPlan",
    "TaperRequest",
    "TaperStep",
    "make_plan",
    "parse_dose",
    "resolve_drug",
]


def _context(request: TaperRequest, knowledge: Knowledge, protocols: ProtocolSet) -> PlanContext:
    """Check that the protocol, market, form, drug and dose fit together; the context every stage reads."""
    ctx = PlanContext(request, knowledge, protocols, load_market(request.market, knowledge))
    ctx.tablets(request.drug, request.daily_dose_mg)  # decides which products make the dose taken now
    protocol, form_rule = ctx.protocol, protocols.forms[request.form]
    labels = protocol.label.model_dump()
    if protocol.markets and request.market not in protocol.markets:
        raise TaperError("protocol", "protocol_market", protocol=labels, markets=", ".join(protocol.markets), market=ctx.country())
    if protocol.forms and request.form not in protocol.forms:
        raise TaperError("form", "protocol_form", protocol=labels, forms=ctx.form_label(protocol.forms[0]))
    if form_rule.markets and request.market not in form_rule.markets:
        raise TaperError("form", "form_market", form=ctx.form_label(request.form), market=ctx.country(), markets=", ".join(form_rule.markets))
    drug = knowledge.drugs[request.drug]
    if drug.has_edge_case("procedural_sedation_only"):
        raise TaperError("drug", "drug_procedural", drug=ctx.names(request.drug))
    total_de = sum(ctx.de(d, mg) or 0.0 for d, mg in ((request.drug, request.daily_dose_mg), *request.also_taking))
    if total_de > protocols.limits.max_daily_de_mg:
        raise TaperError("dose", "dose_implausible", dose=request.daily_dose_mg, drug=ctx.names(request.drug),
                         de=round(total_de, 1), limit=protocols.limits.max_daily_de_mg)
    return ctx


def _start(ctx: PlanContext, route: Route) -> tuple[list[Planned], Week]:
    """The switch phase (if any) and the week the reductions start from."""
    if route.switched:
        return switch_phase(ctx, route)
    request, form = ctx.request, ctx.form(ctx.request.drug)
    if form.discrete and request.daily_dose_mg < form.smallest - 1e-9:
        raise TaperError("dose", "dose_below_forms", dose=request.daily_dose_mg, drug=ctx.names(request.drug),
                         market=ctx.country(), form=ctx.form_label(request.form), smallest=form.smallest)
    return [], Week(request.daily_dose_mg)


def make_plan(request: TaperRequest, knowledge: Knowledge, protocols: ProtocolSet | None = None) -> TaperPlan:
    """A dated taper plan for the request; `TaperError` (with the field at fault) when there is none."""
    protocols = protocols or load_protocols()
    ctx = _context(request, knowledge, protocols)
    route = choose_route(ctx)
    phase, start = _start(ctx, route)
    taper_drug = route.taper_drug(ctx)
    form = ctx.form(taper_drug)
    ctx.label(request.drug, ctx.tablets(request.drug))
    ctx.label(taper_drug, form)
    planned = phase + reductions(ctx, start, taper_drug, form, route.switched)
    if not any(step.kind == "reduce" for step in planned):
        raise TaperError("dose", "no_steps", dose=request.daily_dose_mg, drug=ctx.names(request.drug), form=ctx.form_label(request.form),
                         market=ctx.country(), protocol=ctx.protocol.label.model_dump())
    if request.form == "strips":
        planned = with_pouches(planned, start.average)
    holds = ctx.protocol.holds
    held = add_holds(planned, request.holds, holds.days if holds else None, holds.max if holds else None,
                     ctx.protocol.label.model_dump())
    steps = date_steps(held, request.start, lambda drug, mg: ctx.de(drug, mg))
    schedule_notes(ctx, route, steps, start, len(phase))
    strips = protocols.forms["strips"]
    return TaperPlan(
        drug=request.drug,
        start_dose_mg=request.daily_dose_mg,
        taper_drug=taper_drug,
        switched=route.switched,
        pace=request.pace,
        steps=steps,
        total_days=sum(step.days for step in steps),
        end=steps[-1].start,
        notes=tuple(ctx.notes),
        sources=sources_of(ctx, route, steps),
        labels=tuple(ctx.labels.values()),
        table=request.table,
        interval_days=_interval(held),
        protocol=request.protocol,
        protocol_label=tuple(ctx.protocol.label.model_dump(exclude_none=True).items()),
        form=request.form,
        market=request.market,
        market_country=tuple(ctx.country().items()),
        switch_reason=route.reason,
        switch_phase=route.phase,
        also_taking=request.also_taking,
        strips=strip_orders(steps, ctx.market.finer_forms.tapering_strips.strip_days, strips.significant_digits or 2)
        if request.form == "strips" and ctx.market.finer_forms.tapering_strips else (),
        prescriptions=magistral_prescriptions(steps, ctx.names(taper_drug)) if request.form == "magistral" else (),
    )


def _interval(planned: list[Planned]) -> int:
    """The most common length of a reduction step (what a hold adds, unless the protocol says otherwise)."""
    days = [step.days for step in planned if step.kind == "reduce"]
    return max(set(days), key=days.count) if days else 0
