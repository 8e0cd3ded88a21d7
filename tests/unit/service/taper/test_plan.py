"""Taper plan generator: worked examples per protocol and market, switches, finer forms, holds and errors.
Its renderings, inputs and protocol file are tested beside it (test_render, test_fhir, test_handout,
test_inputs, test_protocol)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from service.taper.errors import TaperError
from service.taper.plan import TaperRequest, make_plan
from tests.support.paths import ROOT
from tests.support.taper_support import START, plan_for


def averages(plan):
    return [round(s.dose_mg, 3) for s in plan.steps]


def kinds(plan):
    return [s.kind for s in plan.steps]


def codes(plan):
    return [n.code for n in plan.notes]


# ---- worked examples -----------------------------------------------------------------------------


def test_zolpidem_10_in_belgium_uses_drug_free_nights_not_a_halving(kn):
    # Belgium has only the unscored Stilnoct 10 mg: no smaller nightly dose exists, so the plan takes
    # one more drug-free night a week every 2 weeks (Belleville 2007, Morin 2004), never 10 -> 5 -> 0.
    plan = plan_for(kn, "zolpidem", 10)
    assert not plan.switched and plan.taper_drug == "zolpidem"
    assert [s.free_days for s in plan.reductions] == [1, 2, 3, 4, 5, 6]
    assert all(s.daily_mg == 10 for s in plan.reductions)
    assert averages(plan)[:2] == [8.571, 7.143] and plan.total_days == 6 * 14
    assert "drug_free_days" in codes(plan) and "switch_requested" not in codes(plan)


def test_zolpidem_10_in_the_netherlands_mixes_10_and_5_mg_nights_first(kn):
    plan = plan_for(kn, "zolpidem", 10, market="NL")
    first = plan.steps[0]
    assert {(i.mg, i.days_per_week) for i in first.intakes} == {(10.0, 4), (5.0, 3)}
    assert plan.steps[2].intakes[0].mg == 5 and plan.steps[2].free_days == 0  # then 5 mg every night
    assert "mixed_days" in codes(plan) and "drug_free_days" in codes(plan)


def test_diazepam_40_after_cks_takes_its_bands_inside_the_published_weeks(kn):
    for market in ("BE", "NL", "US"):
        standard = plan_for(kn, "diazepam", 40, protocol="cks_ashton", market=market)
        slow = plan_for(kn, "diazepam", 40, protocol="cks_ashton", market=market, pace="slow")
        assert averages(standard)[:6] == [36, 32, 28, 24, 20, 18]  # 4 mg steps above 20 mg, then 2 mg
        assert 30 * 7 <= standard.total_days < slow.total_days <= 60 * 7, market


def test_lorazepam_3_after_cks_cross_tapers_to_diazepam_and_names_it(kn):
    plan = plan_for(kn, "lorazepam", 3, protocol="cks_ashton")
    assert plan.switched and plan.switch_reason == "listed" and plan.switch_phase == "cross_taper"
    cross, switch = plan.steps[0], plan.steps[1]
    assert cross.kind == "cross" and {i.drug for i in cross.intakes} == {"lorazepam", "diazepam"}
    assert cross.de_mg == pytest.approx(30)  # lorazepam 2 mg + diazepam 10 mg = 30 mg diazepam-equivalent
    assert switch.kind == "switch" and {i.drug for i in switch.intakes} == {"diazepam"} and switch.dose_mg == 30
    assert cross.days + switch.days == 14  # ASAM: over 1-2 weeks
    assert "cross_taper" in codes(plan) and "switch_listed" in codes(plan)


def test_nhg_via_diazepam_switch_day_then_weekly_fractions_of_the_start(kn):
    plan = plan_for(kn, "lorazepam", 2, protocol="nhg_lumc", market="NL", table="novadic_nl")
    assert kinds(plan) == ["switch", "reduce", "reduce", "reduce", "reduce", "stop"]
    assert averages(plan) == [10, 8, 5, 4, 2, 0]  # 75/50/25/12.5% of 10 mg, rounded up to 2/5/10 mg tablets
    assert plan.steps[0].days == 7 and plan.total_days == 35  # stop on day 36, as Novadic-Kentron prints
    assert "cap_not_followed" in codes(plan)  # the published steps halve the dose; the plan says so


def test_riziv_programme_plan_in_magistral_capsules(kn):
    plan = plan_for(kn, "lormetazepam", 2, protocol="riziv_inami", form="magistral")
    assert kinds(plan) == ["stabilise"] + ["reduce"] * 9 + ["stop"]
    assert all(s.days == 20 for s in plan.steps[:-1]) and plan.total_days == 200
    assert averages(plan)[:4] == [2, 1.55, 1.21, 0.937]  # -22.6% a step, rounded up to 3 significant digits
    assert 0.2 <= plan.steps[-2].dose_mg <= 0.2 * 1.1  # 10% of the start
    assert [p.step for p in plan.prescriptions] == list(range(1, 11))
    nl = plan.prescriptions[1].text("nl")
    assert nl.startswith("R/ Magistrale capsules lormetazepam 1,55 mg") and "d.t.d. 20 capsules" in nl and "S/ 1 capsule per dag" in nl
    assert plan.prescriptions[1].text("fr").startswith("R/ Gélules magistrales de lormétazépam 1,55 mg")
    slow = plan_for(kn, "lormetazepam", 2, protocol="riziv_inami", form="magistral", pace="slow")
    assert slow.total_days == 300


def test_riziv_allows_two_stabilisation_periods_of_30_days(kn):
    plan = plan_for(kn, "lormetazepam", 2, protocol="riziv_inami", form="magistral", holds=(3, 5))
    held = [s for s in plan.steps if s.kind == "hold"]
    assert [s.days for s in held] == [30, 30] and plan.total_days == 260
    with pytest.raises(TaperError) as caught:
        plan_for(kn, "lormetazepam", 2, protocol="riziv_inami", form="magistral", holds=(1, 2, 3))
    assert caught.value.field == "holds" and caught.value.reason == "hold_too_many"


def test_dutch_tapering_strips_go_down_day_by_day_and_give_the_order(kn):
    plan = plan_for(kn, "zopiclone", 7.5, market="NL", form="strips")
    reductions = plan.reductions
    assert reductions[0].first_mg == 7.5 and reductions[0].daily_mg == 5.63
    assert all(b.first_mg == a.dose_mg for a, b in zip(reductions, reductions[1:], strict=False))
    assert plan.strips and all(s.end - s.start <= timedelta(days=27) for s in plan.strips)
    assert plan.strips[0].first_mg <= 7.5 and plan.strips[-1].last_mg == plan.steps[-2].daily_mg


def test_an_oral_solution_measured_in_tenths_of_a_ml(kn):
    plan = plan_for(kn, "lorazepam", 2, market="NL", form="liquid")
    for step in plan.steps[:-1]:
        for intake in step.intakes:
            (concentration, ml), = intake.units
            assert concentration == 1 and round(ml * 10, 6) == int(round(ml * 10)) and intake.form == "oral_liquid"


def test_several_bzras_are_switched_together_on_one_day(kn):
    plan = plan_for(kn, "lorazepam", 2, also_taking=(("zolpidem", 10.0),))
    assert plan.switched and plan.switch_reason == "several" and plan.switch_phase == "switch_day"
    assert plan.steps[0].kind == "switch" and plan.steps[0].dose_mg == 25  # 20 + 5 mg diazepam-equivalent
    assert "switch_several" in codes(plan)


def test_zolpidem_is_never_switched_by_default_and_named_when_asked(kn):
    for protocol in ("deprescribing_org", "cks_ashton", "asam_2025"):
        assert not plan_for(kn, "zolpidem", 5, protocol=protocol).switched, protocol
    asked = plan_for(kn, "zolpidem", 10, switch="diazepam")
    assert asked.switched and asked.switch_reason == "requested" and asked.steps[0].kind in ("cross", "switch")
    assert plan_for(kn, "lorazepam", 3, protocol="cks_ashton", switch="none").switched is False


def test_no_product_in_the_market_switches_on_day_1_and_says_why(kn):
    plan = plan_for(kn, "triazolam", 0.25)  # no triazolam listed in Belgium
    assert plan.switched and plan.switch_reason == "no_products" and plan.steps[0].kind == "switch"
    assert "switch_no_products" in codes(plan)


def test_holds_repeat_the_dose_and_shift_the_dates(kn):
    base = plan_for(kn, "lorazepam", 3)
    held = plan_for(kn, "lorazepam", 3, holds=(2, 2))
    assert kinds(held)[:4] == ["reduce", "reduce", "hold", "hold"]
    assert held.steps[2].dose_mg == held.steps[1].dose_mg and held.total_days == base.total_days + 28


# ---- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "field", "code"),
    [
        ({"drug": "remimazolam", "daily_dose_mg": 5}, "drug", "drug_procedural"),
        ({"drug": "lorazepam", "daily_dose_mg": 1_000_000}, "dose", "dose_implausible"),
        ({"drug": "lorazepam", "daily_dose_mg": 0.25}, "dose", "dose_below_forms"),
        ({"drug": "lorazepam", "daily_dose_mg": 3, "protocol": "riziv_inami", "form": "magistral", "market": "NL"}, "protocol", "protocol_market"),
        ({"drug": "lorazepam", "daily_dose_mg": 3, "protocol": "riziv_inami", "form": "tablets"}, "form", "protocol_form"),
        ({"drug": "lorazepam", "daily_dose_mg": 3, "form": "strips"}, "form", "form_market"),
        ({"drug": "lorazepam", "daily_dose_mg": 3, "form": "strips", "market": "NL"}, "form", "form_drug"),
        ({"drug": "ethyl_loflazepate", "daily_dose_mg": 2, "switch": "diazepam"}, "switch_to", "switch_no_equivalent"),
        ({"drug": "ethyl_loflazepate", "daily_dose_mg": 2, "protocol": "cks_ashton"}, "protocol", "protocol_needs_equivalent"),
        ({"drug": "lorazepam", "daily_dose_mg": 3, "holds": (40,)}, "holds", "hold_beyond"),
        ({"drug": "lorazepam", "daily_dose_mg": 2, "also_taking": (("zolpidem", 10.0),), "switch": "none"}, "switch_to", "switch_needed_for_several"),
    ],
)
def test_errors_name_the_field_in_three_languages(kn, kw, field, code):
    kw.setdefault("market", "BE")
    with pytest.raises(TaperError) as caught:
        make_plan(TaperRequest(start=START, **kw), kn)
    error = caught.value
    assert (error.field, error.reason) == (field, code)
    texts = {language: error.text(language) for language in ("en", "nl", "fr")}
    assert len(set(texts.values())) == 3 and all("{" not in text for text in texts.values()), texts


def test_an_absurd_dosage_is_refused_with_a_reason(kn):
    # issue 17: 1,000,000 units per 0.0001 s is 8.64e11 a day
    with pytest.raises(TaperError) as caught:
        plan_for(kn, "diazepam", 8.64e11)
    assert caught.value.field == "dose" and "not a plausible daily dose" in caught.value.message


# ---- the generator's code ----------------------------------------------------------------------------


def test_no_clinical_numbers_in_the_generator():
    """Fractions, intervals and thresholds come from the data files, not from code."""
    folder = ROOT / "service" / "taper"
    for name in ("plan.py", "sequence.py", "route.py", "fitting.py", "schedule.py", "plan_notes.py"):
        source = (folder / name).read_text(encoding="utf-8")
        code = "\n".join(line.split("#")[0] for line in source.splitlines() if not line.strip().startswith(('"', "'")))
        for literal in ("0.25", "0.125", "0.1", "14", "12.5", "25", "20", "10", "28"):
            assert not re.search(rf"(?<![\w.\[]){re.escape(literal)}(?![\w.])", code), (name, literal)
