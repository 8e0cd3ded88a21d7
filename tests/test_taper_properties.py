"""Property tests of the taper generator over every plannable BZRA, a range of doses, paces, markets,
switches and holds: every plan is takeable with the marketed tablets, never goes up, ends at 0 mg, and
its dates are contiguous."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.knowledge.loader import load_knowledge
from service.taper.plan import TaperError, TaperRequest, make_plan
from service.taper.protocol import load_protocol

KNOWLEDGE = load_knowledge()
PROTOCOL = load_protocol()
SWITCH_TO = PROTOCOL.switch.to
UNPLANNABLE = {"remimazolam", "tetrazepam", "etizolam"}  # IV only; withdrawn; never marketed here
PLANNABLE = sorted(set(KNOWLEDGE.drugs) - UNPLANNABLE)
MARKETS = [(), ("NL",), ("US",)]
TABLES = ["ashton", "denmark", "novadic_nl"]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _usable(drug_id: str, markets: tuple[str, ...]) -> list:
    """The strengths a plan may use: oral unit forms, not modified release, in the markets."""
    forms = PROTOCOL.dose_units.forms
    return [
        s
        for s in KNOWLEDGE.drugs[drug_id].strengths
        if s.form in forms
        and KNOWLEDGE.dose_forms[s.form].route == "oral"
        and not s.modified_release
        and (not markets or set(markets) & set(s.markets))
    ]


def _reference_dose(drug_id: str, table: str) -> float:
    eq = KNOWLEDGE.eq10(drug_id, table)
    return eq[1].value if eq else 10.0


@st.composite
def requests(draw):
    drug = draw(st.sampled_from(PLANNABLE))
    table = draw(st.sampled_from(TABLES))
    # 0.05 to 8 times the dose equal to 10 mg diazepam: 0.5 to 80 mg diazepam-equivalent
    dose = round(draw(st.floats(0.05, 8.0)) * _reference_dose(drug, table), 3)
    dose = max(dose, 0.001)
    return (
        TaperRequest(
            drug=drug,
            daily_dose_mg=dose,
            pace=draw(st.sampled_from(sorted(PROTOCOL.paces))),
            switch_to_diazepam=draw(st.booleans()),
            start=draw(st.dates(date(2025, 1, 1), date(2030, 12, 31))),
            markets=draw(st.sampled_from(MARKETS)),
        ),
        table,
    )


def _check_tablets(step, markets) -> None:
    usable = _usable(step.drug, markets)
    total = Fraction(0)
    for strength, count in step.tablets:
        matching = [s for s in usable if s.mg == strength]
        assert matching, f"{step.drug} {strength} mg is not a usable marketed strength in {markets or 'any market'}"
        assert count > 0
        if count != int(count):
            assert count * 2 == int(count * 2), "only halves"
            assert any(s.scored is True and s.form == "tablet" for s in matching), f"{strength} mg is not scored"
        total += Fraction(str(strength)) * Fraction(str(count))
    assert abs(float(total) - step.dose_mg) < 1e-6, (step.tablets, step.dose_mg)


def _check_plan(plan, request: TaperRequest, table: str) -> None:
    steps = plan.steps
    pace = PROTOCOL.paces[request.pace]
    # shape: optional switch first, reductions and holds, one stop at the end
    assert steps[-1].kind == "stop" and steps[-1].dose_mg == 0 and steps[-1].tablets == ()
    assert [s.kind for s in steps].count("stop") == 1
    assert all(s.kind in ("reduce", "hold") for s in steps[1:-1])
    assert steps[0].kind in ("switch", "reduce", "stop")
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    # dates: contiguous from the start; stop is a 0-day marker on the first day without the drug
    assert steps[0].start == request.start
    for before, after in pairwise(steps):
        assert after.start == before.end + timedelta(days=1)
    for step in steps[:-1]:
        assert step.days == (step.end - step.start).days + 1 > 0
    assert steps[-1].days == 0 and steps[-1].start == steps[-1].end == plan.end
    assert plan.total_days == sum(s.days for s in steps)
    # drug: the request's, or the switch target
    assert plan.taper_drug in (plan.drug, SWITCH_TO)
    assert all(s.drug == plan.taper_drug for s in steps)
    if request.switch_to_diazepam and plan.drug != SWITCH_TO:
        assert plan.switched
    # doses: positive until the stop, never up, each reduction strictly lower
    previous = plan.start_dose_mg if not plan.switched else steps[0].dose_mg
    for step in steps[:-1]:
        assert step.dose_mg > 0
        _check_tablets(step, request.markets)
        if step.kind == "reduce":
            assert step.dose_mg < previous
            # never more than the pace allows, unless the tablets allow no smaller step
            allowed = previous * (1 - max(pace.reduce_fraction, pace.near_end.reduce_fraction))
            if step.dose_mg < allowed - 1e-9:
                assert not any(
                    _makeable(plan, step.drug, request.markets, d) for d in _grid_between(step.dose_mg, previous)
                ), f"a smaller step than {previous} -> {step.dose_mg} was possible"
            assert step.days == pace.interval_days
        elif step.kind == "hold":
            assert step.dose_mg == previous and step.days == pace.interval_days
        previous = step.dose_mg
    # the switch: diazepam dose = the equivalent rounded up to the tablets, held to stabilise
    if plan.switched:
        first = steps[0]
        assert first.kind == "switch" and first.days == PROTOCOL.switch.stabilise_days
        eq = KNOWLEDGE.eq10(plan.drug, table)
        assert eq is not None
        equivalent = plan.start_dose_mg * 10 / eq[1].value
        smallest = min(s.mg / (2 if s.scored else 1) for s in _usable(SWITCH_TO, request.markets))
        assert equivalent - 1e-6 <= first.dose_mg <= equivalent + smallest + 1e-6
        assert first.de_mg is not None and abs(first.de_mg - first.dose_mg) < 1e-6


def _grid_between(low: float, high: float) -> list[float]:
    step = 0.0625
    count = int((high - low) / step)
    return [low + step * i for i in range(1, count + 1) if low + step * i < high - 1e-9][:400]


def _makeable(plan, drug: str, markets, dose: float) -> bool:
    from service.taper.tablets import tablet_set

    units = PROTOCOL.dose_units
    tabs = tablet_set(drug, KNOWLEDGE.drugs[drug], KNOWLEDGE, forms=units.forms, split_forms=units.split_forms,
                      split_parts=units.split_parts, markets=markets)
    return tabs.achievable(dose)


@SETTINGS
@given(requests())
def test_every_plan_is_takeable_and_never_goes_up(case):
    request, table = case
    try:
        plan = make_plan(request, KNOWLEDGE, table)
    except TaperError as error:
        # The only refusals for a plannable drug: a dose below the smallest unit the tablets allow, or
        # a switch the chosen table cannot convert (no equivalent in it or its fallbacks).
        no_equivalent = KNOWLEDGE.eq10(request.drug, table) is None
        assert (error.field == "dose" and "too small to taper" in error.message) or (
            no_equivalent and error.field in ("drug", "switch_to") and "equivalen" in error.message
        ), error.message
        return
    _check_plan(plan, request, table)


@SETTINGS
@given(requests(), st.data())
def test_holds_only_add_intervals(case, data):
    request, table = case
    try:
        base = make_plan(request, KNOWLEDGE, table)
    except TaperError:
        return
    count = len(base.steps) - 1
    if count == 0:
        return
    holds = tuple(data.draw(st.lists(st.integers(1, count), max_size=3)))
    held = make_plan(
        TaperRequest(request.drug, request.daily_dose_mg, request.pace, request.switch_to_diazepam, request.start,
                     holds, request.markets),
        KNOWLEDGE,
        table,
    )
    _check_plan(held, request, table)
    interval = PROTOCOL.paces[request.pace].interval_days
    assert held.total_days == base.total_days + len(holds) * interval
    assert [s.dose_mg for s in held.steps if s.kind != "hold"] == [s.dose_mg for s in base.steps]


@pytest.mark.parametrize("drug", PLANNABLE)
def test_each_plannable_drug_at_a_usual_dose(drug):
    for markets in MARKETS:
        request = TaperRequest(drug, 2 * _reference_dose(drug, "ashton"), start=date(2026, 12, 1), markets=markets)
        sold_there = any(not markets or set(markets) & set(s.markets) for s in KNOWLEDGE.drugs[drug].strengths)
        if not sold_there and KNOWLEDGE.eq10(drug, "ashton") is None:
            with pytest.raises(TaperError, match=f"no marketed oral strengths in {markets[0]}"):
                make_plan(request, KNOWLEDGE, "ashton")
            continue
        plan = make_plan(request, KNOWLEDGE, "ashton")
        _check_plan(plan, request, "ashton")


@pytest.mark.parametrize("drug", sorted(UNPLANNABLE))
def test_unplannable_drugs_are_refused_with_a_reason(drug):
    with pytest.raises(TaperError) as caught:
        make_plan(TaperRequest(drug, 10, start=date(2026, 12, 1)), KNOWLEDGE)
    assert caught.value.field == "drug" and len(caught.value.message) > 30
