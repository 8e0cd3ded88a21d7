"""Taper plan generator: worked examples per protocol and market, switches, finer forms, renderings
(text, Markdown, JSON, FHIR, HTML) in three languages, errors, and the protocol file's loader."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from service.knowledge.loader import load_knowledge
from service.taper.errors import ERRORS, TaperError
from service.taper.inputs import PlanDefaults, PlanInput, parse_dose, resolve_drug, to_request
from service.taper.note_texts import NOTES
from service.taper.plan import TaperRequest, make_plan
from service.taper.protocol import PROTOCOL_FILE, TaperProtocolError, load_protocols, read_protocols
from service.taper.render import (
    plan_handout_html,
    plan_json,
    plan_markdown,
    plan_medication_request,
    plan_medication_requests,
    plan_text,
)
from tests.support.paths import ROOT

START = date(2026, 12, 1)
PROTOCOLS = load_protocols()


@pytest.fixture(scope="module")
def kn():
    return load_knowledge()


def plan_for(kn, drug, dose, **kw):
    kw.setdefault("market", "BE")
    return make_plan(TaperRequest(drug, dose, start=kw.pop("start", START), **kw), kn)


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


def test_input_model_fills_the_defaults_and_checks_every_field(kn):
    defaults = PlanDefaults(protocol="cks_ashton", pace="slow", market="NL", language="fr", table="denmark")
    request = to_request(PlanInput(drug="Temesta", dose="2,5 mg/dag", holds=["2"]), defaults, kn, PROTOCOLS, START)
    assert (request.drug, request.daily_dose_mg, request.protocol, request.pace, request.market, request.table) == (
        "lorazepam", 2.5, "cks_ashton", "slow", "NL", "denmark"
    )
    assert request.form == "tablets" and request.holds == (2,) and request.start == START
    riziv = to_request(PlanInput(drug="lormetazepam", dose=2, protocol="riziv_inami"), PlanDefaults(), kn, PROTOCOLS, START)
    assert riziv.form == "magistral" and riziv.market == "BE"
    for wrong, field in [
        ({"protocol": "fast"}, "protocol"), ({"pace": "quick"}, "pace"), ({"form": "pills"}, "form"),
        ({"market": "XX"}, "market"), ({"switch_to": "oxazepam"}, "switch_to"), ({"start": "1/12/2026"}, "start"),
        ({"holds": ["x"]}, "holds"), ({"table": "nope"}, "table"), ({"language": "de"}, "language"),
        ({"drug": ""}, "drug"), ({"dose": ""}, "dose"),
    ]:
        with pytest.raises(TaperError) as caught:
            to_request(PlanInput(**{"drug": "lorazepam", "dose": "3", **wrong}), PlanDefaults(), kn, PROTOCOLS, START)
        assert caught.value.field == field, wrong


def test_input_model_round_trips_through_a_query_string(kn):
    wanted = PlanInput(drug="lorazepam", dose="2", protocol="nhg_lumc", holds=[2, 2], also_taking=[{"drug": "zolpidem", "dose": 10.0}],
                       market="NL", start=START)
    again = PlanInput.from_query(wanted.query())
    assert to_request(again, PlanDefaults(), kn, PROTOCOLS, START) == to_request(wanted, PlanDefaults(), kn, PROTOCOLS, START)


@pytest.mark.parametrize(
    ("text", "mg"),
    [("3mg/day", 3), ("0,5 mg/d", 0.5), ("500 µg/day", 0.5), ("2.5mg", 2.5), ("1 g per day", 1000), ("10", 10), (4.0, 4)],
)
def test_parse_dose(text, mg):
    assert parse_dose(text) == pytest.approx(mg)


@pytest.mark.parametrize("text", ["", "abc", "-3 mg", "0 mg", "3 mg/week", float("nan"), 0.0, True])
def test_parse_dose_rejects(text):
    with pytest.raises(TaperError) as caught:
        parse_dose(text)
    assert caught.value.field == "dose"


@pytest.mark.parametrize(("text", "drug_id"), [("Temesta", "lorazepam"), ("zolpidem", "zolpidem"), ("ZOPICLON", "zopiclone")])
def test_resolve_drug(kn, text, drug_id):
    assert resolve_drug(text, kn) == drug_id


def test_every_error_and_note_text_exists_in_three_languages():
    for table in (ERRORS, NOTES):
        for code, texts in table.items():
            assert set(texts) == {"en", "nl", "fr"}, code
            placeholders = {language: set(re.findall(r"\{(\w+)\}", text)) for language, text in texts.items()}
            assert placeholders["nl"] == placeholders["en"] == placeholders["fr"], code


# ---- renderings ------------------------------------------------------------------------------------


def test_text_and_markdown_in_three_languages(kn):
    plan = plan_for(kn, "lorazepam", 3, protocol="cks_ashton")
    text = plan_text(plan, "en")
    assert text.startswith("Taper plan: lorazepam 3 mg a day, switch to diazepam (protocol: NICE CKS after Ashton")
    assert "products marketed in Belgium" in text and "Sources:" in text and "lorazepam 2 mg (2 × 1 mg) + diazepam 10 mg" in text
    nl = plan_markdown(plan, "nl")
    assert "| Stap | Wat | Van | Tot en met | Gemiddeld per dag | Wat wordt ingenomen |" in nl and "producten in de handel in België" in nl
    assert "0,29 mg" in nl or "0,29" in nl  # decimal comma
    fr = plan_text(plan, "fr")
    assert "Schéma de diminution : lorazépam 3 mg par jour, relais par diazépam" in fr and "commercialisés en Belgique" in fr
    assert re.search(r"\d\.\d", fr.split("Sources")[0].replace("1.6", "")) is None  # no decimal point in French numbers


def test_json_states_each_step_with_its_average_intakes_and_drug_free_days(kn):
    data = plan_json(plan_for(kn, "zolpidem", 10), "nl")
    step = data["steps"][1]
    assert step["dose_mg"] == pytest.approx(7.1429) and step["free_days_per_week"] == 2
    assert step["intakes"] == [{"drug": "zolpidem", "mg": 10.0, "days_per_week": 5, "form": "tablet",
                                "units": [{"strength": 10.0, "count": 1.0}]}]
    assert "2 dagen per week zonder middel" in step["taken"]
    assert data["protocol"] == "deprescribing_org" and data["market"] == "BE" and data["market_name"] == "België"


def test_fhir_for_a_direct_taper_with_a_mixed_week_and_drug_free_days(kn):
    plan = plan_for(kn, "zolpidem", 10, market="NL")
    resource = plan_medication_request(plan, "Patient/7", "fr")
    parsed = MedicationRequest.model_validate(resource)
    first = [d for d in parsed.dosageInstruction if d.sequence == 1]
    assert sorted((d.timing.repeat.frequency, d.timing.repeat.periodUnit, d.doseAndRate[0].doseQuantity.value) for d in first) == [
        (3, "wk", 5.0), (4, "wk", 10.0)
    ]
    free = next(d for d in parsed.dosageInstruction if d.sequence == 4)
    assert free.timing.repeat.frequency == 6 and free.timing.repeat.periodUnit == "wk"
    assert parsed.dosageInstruction[-1].text.startswith("Arrêt du traitement par zolpidem")
    assert all("Step" not in d.text for d in parsed.dosageInstruction)  # French, not English
    assert resource["note"] and all(note["text"] for note in resource["note"])


def test_fhir_cross_taper_orders_both_drugs_in_one_group(kn):
    plan = plan_for(kn, "lorazepam", 3, protocol="cks_ashton")
    old, new = plan_medication_requests(plan, "Patient/7", "nl")
    for resource in (old, new):
        MedicationRequest.model_validate(resource)
    assert old["groupIdentifier"] == new["groupIdentifier"]
    assert old["medicationCodeableConcept"]["coding"][0]["code"] == "N05BA06" and new["medicationCodeableConcept"]["coding"][0]["code"] == "N05BA01"
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in old["dosageInstruction"] if "doseAndRate" in d] == [2.0]
    assert old["dosageInstruction"][-1]["text"].startswith("Stop lorazepam vanaf")
    assert new["dosageInstruction"][0]["sequence"] == 1 and new["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 10
    assert plan_medication_requests(plan, "Patient/7", "nl")[0]["groupIdentifier"] == old["groupIdentifier"]  # stable


def test_fhir_switch_day_names_the_drug_stopped(kn):
    plan = plan_for(kn, "oxazepam", 30, protocol="nhg_lumc", market="NL")
    [resource] = plan_medication_requests(plan, None, "en")
    MedicationRequest.model_validate(resource)
    assert "stop oxazepam 30 mg and take instead: 15 mg" in resource["dosageInstruction"][0]["text"]


def test_fhir_magistral_capsules_are_a_contained_compounded_medication(kn):
    plan = plan_for(kn, "lormetazepam", 2, protocol="riziv_inami", form="magistral")
    resource = plan_medication_request(plan, "Patient/7", "fr")
    parsed = MedicationRequest.model_validate(resource)
    assert parsed.medicationReference.reference == "#magistral" and "medicationCodeableConcept" not in resource
    [medication] = resource["contained"]
    assert medication["resourceType"] == "Medication" and medication["code"]["text"].startswith("R/ Gélules magistrales")
    assert medication["code"]["text"].count("R/ ") == 10 and "S/ 1 gélule par jour" in medication["code"]["text"]
    assert medication["ingredient"][0]["itemCodeableConcept"]["coding"][0]["code"] == "N05CD06"


class _Tags(HTMLParser):
    VOID = {"meta", "br", "link", "img", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(tag)

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


def test_handout_html_escapes_everything_and_explains_the_plan(kn):
    plan = plan_for(kn, "lorazepam", 2, protocol="nhg_lumc", table="novadic_nl")
    evil = '<script>alert("x")</script>'
    page = plan_handout_html(plan, "en", [(f"GP {evil}", "+32 9 123 45 67"), ("Bad", "javascript:alert(1)")], made_on=START)
    tags = _Tags()
    tags.feed(page)
    assert not tags.problems and not tags.stack and "<script>" not in page and "&lt;script&gt;" in page
    assert '<a href="tel:+3291234567">' in page and 'href="javascript' not in page
    text = " ".join(tags.text)
    for phrase in ("Your schedule", "First you change to diazepam", "stop lorazepam 2 mg", "for 7 days", "products marketed in Belgium"):
        assert phrase in text, phrase
    assert page.count("<tr>") + page.count('<tr class="stop">') == len(plan.steps) + 1
    for word in ("abuse", "addict", "misuse"):
        assert word not in page.lower()


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("nl", ("Uw schema", "Stop niet plots", "1 tablet van 10 mg, op 5 dagen per week", "2 dagen per week zonder middel")),
        ("fr", ("Votre calendrier", "N'arrêtez pas brusquement", "1 comprimé de 10 mg, 5 jours par semaine", "2 jours par semaine sans médicament")),
    ],
)
def test_handout_in_dutch_and_french_with_drug_free_days(kn, language, phrases):
    page = html.unescape(plan_handout_html(plan_for(kn, "zolpidem", 10), language, made_on=START))
    for phrase in phrases:
        assert phrase in page, phrase


# ---- the protocol file -------------------------------------------------------------------------------


def test_protocols_cite_their_originals_and_offer_both_paces():
    titles = " ".join(s.title for s in PROTOCOLS.sources.values())
    for original in ("Can Fam Physician 2018;64(5):339-51", "Clinical Knowledge Summaries", "Richtlijn Benzodiazepinen dosisreductie",
                     "RIZIV/INAMI", "Joint Clinical Practice Guideline on Benzodiazepine Tapering"):
        assert original in titles, original
    assert set(PROTOCOLS.protocols) >= {"deprescribing_org", "cks_ashton", "nhg_lumc", "riziv_inami"}
    for protocol_id, protocol in PROTOCOLS.protocols.items():
        assert set(protocol.paces) == {"standard", "slow"}, protocol_id
        assert protocol.percent_of in ("current", "start", "bands"), protocol_id  # the reading of "25 %" is stated


def test_protocol_errors_name_file_and_line(tmp_path: Path):
    text = PROTOCOL_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "protocols.yaml"
    broken.write_text(text.replace("fraction: 0.25", "fraction: 1.5", 1), encoding="utf-8")
    with pytest.raises(TaperProtocolError) as caught:
        read_protocols(broken)
    line = next(i for i, l in enumerate(broken.read_text().splitlines(), 1) if "fraction: 1.5" in l)
    assert re.search(rf"protocols\.yaml:{line}:\d+: .*fraction", str(caught.value))
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(text.replace("sources: [POTTIE_2018, POTTIE_2018_T2]", "sources: [NOBODY]", 1), encoding="utf-8")
    with pytest.raises(TaperProtocolError) as caught:
        read_protocols(unknown)
    assert "unknown source 'NOBODY'" in str(caught.value)
    one_pace = tmp_path / "one_pace.yaml"
    one_pace.write_text(re.sub(r"\n      slow:\n        rule: fraction_of_current\n        fraction: 0.10\n.*?note: \"10% of the current dose every 4 weeks.\"",
                               "", text, flags=re.S), encoding="utf-8")
    with pytest.raises(TaperProtocolError, match="both paces"):
        read_protocols(one_pace)


def test_no_clinical_numbers_in_the_generator():
    """Fractions, intervals and thresholds come from the data files, not from code."""
    folder = ROOT / "service" / "taper"
    for name in ("plan.py", "sequence.py", "route.py", "fitting.py", "schedule.py", "plan_notes.py"):
        source = (folder / name).read_text(encoding="utf-8")
        code = "\n".join(line.split("#")[0] for line in source.splitlines() if not line.strip().startswith(('"', "'")))
        for literal in ("0.25", "0.125", "0.1", "14", "12.5", "25", "20", "10", "28"):
            assert not re.search(rf"(?<![\w.\[]){re.escape(literal)}(?![\w.])", code), (name, literal)
