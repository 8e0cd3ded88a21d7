"""Property tests of the taper generator over every protocol, pace, market, form, drug and a range of
doses, with and without a switch. Each plan must:

- be takeable: every intake is made of the market's own units (equal parts only where the source says
  so), a liquid in 0.1 ml, capsules and pouches at two significant digits;
- never go up, end at a stop, keep contiguous dates;
- state its average daily dose, its intakes and its drug-free days, which agree with each other;
- take off no more than 25 % of the current dose at a step, except steps no larger than the smallest
  unit near the end (for the protocols that follow ASAM's cap; NHG/LUMC follows its published fractions);
- use drug-free days only at the lowest dose the tablets make;
- end with a last dose of at most 12.5 % of the start, or as small as the forms allow;
- name every switch; and be strictly longer at the slow pace than at the standard pace.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from service.knowledge.loader import load_knowledge
from service.taper.errors import TaperError
from service.taper.forms import TabletForm
from service.taper.markets import load_market
from service.taper.plan import TaperRequest, make_plan
from service.taper.protocol import FractionOfStartRule, load_protocols

KNOWLEDGE = load_knowledge()
PROTOCOLS = load_protocols()
LIMITS = PROTOCOLS.limits
MARKETS = {code: load_market(code, KNOWLEDGE) for code in ("BE", "NL", "US")}
EPS = 1e-4  # doses are stated to 4 decimals
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
# Errors a valid-looking request may still get, each a clear reason: the dose is below what the forms
# make, no equivalence to switch with, or a drug with no product and no equivalence.
EXPECTED = {"dose_below_forms", "switch_no_equivalent", "protocol_needs_equivalent", "drug_no_products", "dose_implausible",
            "form_drug", "no_steps"}


def _solid(market: str, drug: str) -> list:
    return [p for p in MARKETS[market].products if p.drug == drug and p.is_solid and not p.modified_release and p.status != "withdrawn"]


def _has_liquid(market: str, drug: str) -> bool:
    return bool(MARKETS[market].products_for(drug, solid=False)[0])


def _reference_mg(drug: str) -> float:
    eq = KNOWLEDGE.eq10(drug, "ashton")
    return eq[1].value if eq else 2.0


@st.composite
def requests(draw):
    market = draw(st.sampled_from(sorted(MARKETS)))
    protocol = draw(st.sampled_from(sorted(PROTOCOLS.protocols)))
    rule = PROTOCOLS.protocol(protocol)
    assume(not rule.markets or market in rule.markets)
    drugs = sorted({p.drug for p in MARKETS[market].products if p.status != "withdrawn"} | {"triazolam", "lorazepam"})
    drug = draw(st.sampled_from(drugs))
    forms = ["tablets"]
    if market == "BE":
        forms.append("magistral")
    if MARKETS[market].strips_for(drug):
        forms.append("strips")
    if _has_liquid(market, drug):
        forms.append("liquid")
    form = rule.forms[0] if rule.forms else draw(st.sampled_from(forms))
    dose = round(draw(st.floats(0.1, 6.0)) * _reference_mg(drug), 3)
    return TaperRequest(
        drug=drug,
        daily_dose_mg=max(dose, 0.01),
        protocol=protocol,
        pace="standard",
        form=form,
        switch=draw(st.sampled_from(["auto", "auto", "diazepam", "none"])),
        start=draw(st.dates(date(2025, 1, 1), date(2030, 12, 31))),
        market=market,
        table=draw(st.sampled_from(["ashton", "ashton", "novadic_nl", "denmark"])),
    )


def _plan(request: TaperRequest):
    try:
        return make_plan(request, KNOWLEDGE)
    except TaperError as error:
        assert error.reason in EXPECTED, (request, error.reason, error.message)
        assert all(error.text(language) for language in ("en", "nl", "fr"))
        return None


def _check_units(intake, market: str, form_kind: str) -> None:
    total = Fraction(0)
    for strength, count in intake.units:
        if form_kind in ("magistral", "strips"):
            digits = len(f"{strength:.6g}".replace(".", "").replace("-", "").lstrip("0").rstrip("0"))
            assert digits <= PROTOCOLS.forms[form_kind].significant_digits and count == 1, intake
        elif intake.form == "oral_liquid":
            assert abs(count * 10 - round(count * 10)) < 1e-6, intake  # 0.1 ml steps
        else:
            products = [p for p in _solid(market, intake.drug) if p.mg == strength]
            assert products, f"{intake.drug} {strength} mg is not a product of {market}"
            parts = max(p.equal_parts for p in products)
            assert (Fraction(str(count)) * parts).denominator == 1, f"{count} x {strength} mg: not in equal parts of {parts}"
        total += Fraction(str(strength)) * Fraction(str(count))
    assert abs(float(total) - intake.mg) < 1e-4, intake


def _check_shape(plan, request: TaperRequest) -> None:
    steps = plan.steps
    assert steps[-1].kind == "stop" and steps[-1].dose_mg == 0 and steps[-1].intakes == ()
    assert [s.kind for s in steps].count("stop") == 1
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    assert steps[0].start == request.start
    for before, after in pairwise(steps):
        assert after.start == before.end + timedelta(days=1)
    for step in steps[:-1]:
        assert step.days == (step.end - step.start).days + 1 > 0
    assert plan.total_days == sum(s.days for s in steps) and plan.end == steps[-1].start


def _check_week(step, form) -> None:
    """The stated average, intakes and drug-free days agree, and drug-free days are at the low end only."""
    own = [i for i in step.intakes if i.drug == step.drug]
    assert own and all(1 <= i.days_per_week <= 7 for i in step.intakes)
    days = sum(i.days_per_week for i in own)
    assert days + step.free_days == 7
    assert math.isclose(step.dose_mg, sum(i.mg * i.days_per_week / 7 for i in own), abs_tol=1e-3)
    if step.free_days:
        assert isinstance(form, TabletForm) or form.discrete
        assert math.isclose(step.daily_mg, form.smallest, abs_tol=1e-9), "drug-free days only at the lowest dose"


def _check_doses(plan, request: TaperRequest, ctx_forms) -> None:
    protocol = PROTOCOLS.protocol(request.protocol)
    taking = [s for s in plan.steps if s.kind != "stop"]
    start = next(s for s in taking if s.kind not in ("cross",)) if plan.switched else None
    reference = start.dose_mg if start is not None else plan.start_dose_mg
    previous = reference
    form = ctx_forms(plan.taper_drug)
    for step in taking:
        for intake in step.intakes:
            _check_units(intake, request.market, request.form if intake.drug == plan.taper_drug else "tablets")
        if step.kind == "cross":
            continue
        _check_week(step, form)
        if step.kind == "reduce":
            cut = previous - step.dose_mg
            assert cut > EPS / 2, "never up, each reduction lower (at the stated precision, 4 decimals)"
            if protocol.follows_cap:
                unit = form.smallest if form.discrete else 0.0
                near_end = previous <= LIMITS.near_end_fraction_of_start * reference + EPS or previous <= unit + EPS
                assert cut <= LIMITS.max_step_fraction_of_current * previous + EPS or (near_end and cut <= unit + EPS), (
                    f"step {step.number}: {previous} -> {step.dose_mg}"
                )
        previous = step.dose_mg
    last = taking[-1].dose_mg
    smallest = form.smallest / (7 if protocol.low_end.drug_free_days else 1) if form.discrete else 0.0
    rule = protocol.paces[request.pace]
    if isinstance(rule, FractionOfStartRule):
        bound = form.at_or_above(rule.fractions[-1] * reference) or last
    else:
        bound = max(LIMITS.last_dose_max_fraction_of_start * reference, smallest)
    assert last <= bound + EPS, f"last dose {last} from {reference} (forms: {smallest}): {request!r}"


def _check_switch(plan, request: TaperRequest) -> None:
    codes = [n.code for n in plan.notes]
    if plan.taper_drug != plan.drug:
        assert plan.switched and any(code.startswith("switch_") for code in codes)
        assert plan.steps[0].kind in ("cross", "switch")
    else:
        assert not any(s.kind in ("cross", "switch") for s in plan.steps)
        assert all(i.drug == plan.drug for s in plan.steps for i in s.intakes)
    if request.switch == "none":
        assert not plan.switched or plan.switch_reason == "no_products"


def _forms_of(request: TaperRequest):
    from service.taper.context import PlanContext

    ctx = PlanContext(request, KNOWLEDGE, PROTOCOLS, MARKETS[request.market])
    ctx.tablets(request.drug, request.daily_dose_mg)
    return lambda drug: ctx.form(drug)


@SETTINGS
@given(requests())
def test_every_plan_is_takeable_gentle_named_and_ends_low(request):
    plan = _plan(request)
    assume(plan is not None)
    _check_shape(plan, request)
    _check_switch(plan, request)
    _check_doses(plan, request, _forms_of(request))
    assert plan.market == request.market and plan.protocol == request.protocol


@SETTINGS
@given(requests())
def test_slow_is_always_slower_than_standard(request):
    standard = _plan(request)
    assume(standard is not None)
    slow = make_plan(TaperRequest(**{**request.__dict__, "pace": "slow"}), KNOWLEDGE)
    assert slow.total_days > standard.total_days, (request, standard.total_days, slow.total_days)
    _check_doses(slow, TaperRequest(**{**request.__dict__, "pace": "slow"}), _forms_of(request))


@settings(max_examples=60, deadline=None)
@given(requests(), st.lists(st.integers(1, 6), max_size=2))
def test_holds_add_their_days_and_keep_the_dose(request, holds):
    base = _plan(request)
    assume(base is not None and (not holds or max(holds) < len(base.steps)))
    held = make_plan(TaperRequest(**{**request.__dict__, "holds": tuple(sorted(holds))}), KNOWLEDGE)
    added = [s for s in held.steps if s.kind == "hold"]
    assert len(added) == len(holds)
    assert held.total_days == base.total_days + sum(s.days for s in added)
    for step in added:
        before = held.steps[step.number - 2]
        assert step.dose_mg == before.dose_mg and step.intakes == before.intakes


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted({p.drug for p in MARKETS["BE"].products if p.is_solid})), st.floats(0.3, 3.0),
       st.sampled_from(["standard", "slow"]))
def test_the_riziv_programme_stays_within_its_published_days(drug, factor, pace):
    published = PROTOCOLS.protocol("riziv_inami").published.lengths[0].days_to_stop
    holds = PROTOCOLS.protocol("riziv_inami").holds
    assert published is not None and holds is not None
    request = TaperRequest(drug=drug, daily_dose_mg=round(factor * _reference_mg(drug), 3), protocol="riziv_inami",
                           pace=pace, form="magistral", market="BE", start=date(2026, 12, 1), holds=tuple(range(1, holds.max + 1)))
    plan = _plan(request)
    assume(plan is not None)
    assert published[0] <= plan.total_days <= published[1]
