"""Generated plans held against the published reference cases (taper-references.md section 10).

Every figure comes from the knowledge data (`protocols.yaml`, `reference_cases` and each protocol's
`published` block), with its source, never from this file: plan lengths, the largest step before the
stop, the last dose, the switch phase. Each case is made in every market it applies to, at each pace
it names. `test_the_closing_note_table` prints the plans beside the published figures (run with -s).
"""

from __future__ import annotations

from datetime import date

import pytest

from service.knowledge.loader import load_knowledge
from service.taper.context import PlanContext
from service.taper.markets import load_market
from service.taper.plan import TaperRequest, make_plan
from service.taper.protocol import ReferenceCase, load_protocols

KNOWLEDGE = load_knowledge()
PROTOCOLS = load_protocols()
LIMITS = PROTOCOLS.limits
START = date(2026, 12, 1)
EPS = 1e-4


def _runs() -> list[tuple[ReferenceCase, str, str]]:
    runs = []
    for case in PROTOCOLS.reference_cases:
        markets = case.markets or PROTOCOLS.protocol(case.protocol).markets or ["BE", "NL", "US"]
        runs += [(case, market, pace) for market in markets for pace in case.paces]
    return runs


def _request(case: ReferenceCase, market: str, pace: str) -> TaperRequest:
    forms = PROTOCOLS.protocol(case.protocol).forms
    return TaperRequest(
        drug=case.drug, daily_dose_mg=case.dose_mg, protocol=case.protocol, pace=pace, market=market,
        form=forms[0] if forms else "tablets", table=case.table or "ashton", start=START,
    )


def _smallest_unit(request: TaperRequest, drug: str) -> float:
    ctx = PlanContext(request, KNOWLEDGE, PROTOCOLS, load_market(request.market, KNOWLEDGE))
    ctx.tablets(request.drug, request.daily_dose_mg)
    form = ctx.form(drug)
    return form.smallest if form.discrete else 0.0


def _figures(plan, request: TaperRequest) -> dict[str, float]:
    """Length, largest step before the stop (in % of the dose before it, and in diazepam mg), last dose."""
    taking = [s for s in plan.steps if s.kind != "stop"]
    first = next(s for s in taking if s.kind in ("switch", "stabilise", "reduce"))
    reference = first.dose_mg if first.kind != "reduce" else plan.start_dose_mg
    unit = _smallest_unit(request, plan.taper_drug)
    previous, largest, largest_excused, largest_de, first_cut = reference, 0.0, 0.0, 0.0, None
    per_de = (first.de_mg or first.dose_mg) / first.dose_mg if first.dose_mg else 1.0
    for step in taking:
        if step.kind == "reduce":
            cut = previous - step.dose_mg
            near_end = previous <= LIMITS.near_end_fraction_of_start * reference + EPS or previous <= unit + EPS
            fraction = cut / previous
            largest = max(largest, fraction)
            if not (near_end and cut <= unit + EPS):
                largest_excused = max(largest_excused, fraction)
            largest_de = max(largest_de, cut * per_de)
            first_cut = fraction if first_cut is None else first_cut
        if step.kind != "cross":
            previous = step.dose_mg
    last = taking[-1].dose_mg
    return {
        "days": plan.total_days,
        "weeks": plan.total_days / 7,
        "reduction_weeks": sum(s.days for s in plan.steps if s.kind == "reduce") / 7,
        "largest_step": largest,
        "largest_step_beyond_unit": largest_excused,
        "largest_step_de": largest_de,
        "first_step": first_cut or 0.0,
        "last": last,
        "last_de": last * per_de,
        "last_fraction": last / reference,
        "reference": reference,
        "unit": unit,
    }


@pytest.mark.parametrize(("case", "market", "pace"), _runs(), ids=lambda v: getattr(v, "id", v))
def test_plans_hold_to_the_published_figures(case: ReferenceCase, market: str, pace: str) -> None:
    request = _request(case, market, pace)
    plan = make_plan(request, KNOWLEDGE)
    got = _figures(plan, request)
    where = f"{case.id} ({market}, {pace}): {got}"
    if case.weeks:
        assert case.weeks[0] <= got["weeks"] <= case.weeks[1], where
    if case.weeks_of_reduction:
        assert case.weeks_of_reduction[0] <= got["reduction_weeks"] <= case.weeks_of_reduction[1], where
    if case.days_to_stop:
        assert case.days_to_stop[0] <= got["days"] <= case.days_to_stop[1], where
    if case.max_non_final_step_de_mg is not None:
        assert got["largest_step_de"] <= case.max_non_final_step_de_mg + EPS, where
    if case.max_non_final_step_fraction is not None:
        assert got["largest_step_beyond_unit"] <= case.max_non_final_step_fraction + EPS, where
    if case.last_dose_max_de_mg is not None:
        assert got["last_de"] <= case.last_dose_max_de_mg + EPS or got["last"] <= got["unit"] + EPS, where
    if case.last_dose_max_fraction_of_start is not None:  # or as small as the forms allow
        assert got["last_fraction"] <= case.last_dose_max_fraction_of_start + EPS or got["last"] <= got["unit"] + EPS, where
    if case.first_step_fraction is not None:
        assert case.first_step_fraction[0] < got["first_step"] <= case.first_step_fraction[1] + EPS, where
    if case.interval_days is not None:
        assert all(case.interval_days[0] <= s.days <= case.interval_days[1] for s in plan.reductions), where
    if case.cross_taper_steps is not None:
        assert plan.switch_phase == "cross_taper", where
        assert sum(1 for s in plan.steps if s.kind in ("cross", "switch")) == case.cross_taper_steps, where


@pytest.mark.parametrize("protocol_id", sorted(PROTOCOLS.protocols))
def test_each_protocol_publishes_its_figures_and_plans_fall_inside_them(protocol_id: str) -> None:
    protocol = PROTOCOLS.protocol(protocol_id)
    published = protocol.published
    assert published.sources
    for length in published.lengths:
        drug, dose = length.drug or "lormetazepam", length.dose_mg or 2.0
        paces = [length.pace] if length.pace else ["standard", "slow"]
        for pace in paces:
            markets = protocol.markets or ["BE", "NL", "US"]
            for market in markets:
                form = protocol.forms[0] if protocol.forms else "tablets"
                plan = make_plan(TaperRequest(drug, dose, protocol=protocol_id, pace=pace, market=market, form=form, start=START,
                                              table="novadic_nl" if protocol_id == "nhg_lumc" else "ashton"), KNOWLEDGE)
                if length.weeks:
                    assert length.weeks[0] * 7 <= plan.total_days <= length.weeks[1] * 7, (protocol_id, pace, market)
                if length.days_to_stop:
                    assert length.days_to_stop[0] <= plan.total_days <= length.days_to_stop[1], (protocol_id, pace, market)
    if published.interval_days:
        for pace, rule in protocol.paces.items():
            days = [getattr(rule, "interval_days", None) or getattr(rule, "days_per_step", None)]
            days += [band.interval_days for band in getattr(rule, "bands", [])]
            assert all(published.interval_days[0] <= d <= published.interval_days[1] for d in days if d), (protocol_id, pace)
    for band in published.band_steps_de_mg:
        for rule in protocol.paces.values():
            step = rule.band(band.above_de_mg + 0.5).step_de_mg  # type: ignore[union-attr]
            assert band.low <= step <= band.high, (protocol_id, band)
    if published.fractions_of_start:
        assert all(rule.fractions == published.fractions_of_start for rule in protocol.paces.values())  # type: ignore[union-attr]


def test_the_closing_note_table() -> None:
    """Diazepam 40 mg, lorazepam 3 mg via diazepam, zolpidem 10 mg and oxazepam 30 mg under each protocol."""
    cases = [("diazepam", 40, "auto"), ("lorazepam", 3, "diazepam"), ("zolpidem", 10, "auto"), ("oxazepam", 30, "auto")]
    lines = []
    for drug, dose, switch in cases:
        for protocol_id, protocol in PROTOCOLS.protocols.items():
            market = (protocol.markets or ["BE"])[0]
            form = protocol.forms[0] if protocol.forms else "tablets"
            for pace in ("standard", "slow"):
                request = TaperRequest(drug, dose, protocol=protocol_id, pace=pace, market=market, form=form, switch=switch,
                                       start=START, table="novadic_nl" if protocol_id == "nhg_lumc" else "ashton")
                plan = make_plan(request, KNOWLEDGE)
                got = _figures(plan, request)
                steps = len(plan.steps) - 1
                lines.append(
                    f"{drug} {dose} mg | {protocol_id} {pace} ({market}) | {steps} steps | {got['weeks']:.1f} wk | "
                    f"largest step {got['largest_step'] * 100:.0f}% ({got['largest_step_beyond_unit'] * 100:.0f}% beyond a unit) | "
                    f"last {got['last']:.3g} mg ({got['last_fraction'] * 100:.1f}% of {got['reference']:.3g} mg {plan.taper_drug})"
                )
                assert plan.steps[-1].kind == "stop" and steps >= 3
    print("\n" + "\n".join(lines))  # shown with `pytest -s`
