"""Taper plan generator: worked examples, renderings (text, Markdown, JSON, FHIR, HTML), errors, data."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from service.knowledge.loader import load_knowledge
from service.taper.plan import (
    TaperError,
    TaperRequest,
    make_plan,
    parse_dose,
    resolve_drug,
)
from service.taper.protocol import (
    PROTOCOL_FILE,
    TaperProtocolError,
    load_protocol,
    read_protocol,
)
from service.taper.render import (
    plan_handout_html,
    plan_json,
    plan_markdown,
    plan_medication_request,
    plan_text,
)
from service.taper.tablets import tablet_set

START = date(2026, 12, 1)


@pytest.fixture(scope="module")
def kn():
    return load_knowledge()


@pytest.fixture(scope="module")
def protocol():
    return load_protocol()


def plan_for(kn, drug, dose, **kw):
    table = kw.pop("table", "ashton")
    return make_plan(TaperRequest(drug, dose, start=kw.pop("start", START), **kw), kn, table)


def doses(plan):
    return [s.dose_mg for s in plan.steps]


def kinds(plan):
    return [s.kind for s in plan.steps]


# ---- worked examples ------------------------------------------------------------------------------


def test_lorazepam_3mg_standard(kn):
    # All markets: halves of the scored 1 and 2.5 mg tablets make 0.25 mg units, so 25% steps fit exactly
    # until 1.5 mg; then the near-end rule and the tablets give 1.25, 1 and 0.5 mg.
    plan = plan_for(kn, "lorazepam", 3)
    assert doses(plan) == [2.25, 1.75, 1.5, 1.25, 1.0, 0.5, 0.0]
    assert plan.steps[0].tablets == ((2.5, 0.5), (1.0, 1.0))
    assert plan.total_days == 6 * 14


def test_lorazepam_3mg_standard_us(kn, protocol):
    plan = plan_for(kn, "lorazepam", 3, markets=("US",))
    assert not plan.switched and plan.taper_drug == "lorazepam"
    # 25% of the current dose, rounded up to what 0.5 mg units allow: 3 -> 2.25 => 2.5 -> 1.875 => 2 -> 1.5
    assert doses(plan) == [2.5, 2.0, 1.5, 1.0, 0.5, 0.0]
    assert kinds(plan) == ["reduce"] * 5 + ["stop"]
    assert all(s.days == protocol.paces["standard"].interval_days for s in plan.steps[:-1])
    assert plan.steps[0].start == START and plan.steps[0].end == START + timedelta(days=13)
    assert plan.total_days == 70 and plan.end == START + timedelta(days=70)
    assert plan.steps[-1].start == plan.steps[-1].end == plan.end and plan.steps[-1].days == 0
    assert plan.steps[0].tablets == ((2.0, 1.0), (0.5, 1.0))  # no 2.5 mg tablet in the US
    assert plan.steps[0].de_mg == 25.0  # Ashton: 1 mg lorazepam = 10 mg diazepam
    assert any("Pottie" in s for s in plan.sources)


def test_lorazepam_nl_uses_half_tablets_of_the_scored_1mg(kn):
    plan = plan_for(kn, "lorazepam", 1, markets=("NL",))
    assert doses(plan) == [0.5, 0.0]
    assert plan.steps[0].tablets == ((1.0, 0.5),)


def test_diazepam_20mg_slow(kn, protocol):
    plan = plan_for(kn, "diazepam", 20, pace="slow")
    pace = protocol.paces["slow"]
    assert plan.pace == "slow" and not plan.switched
    assert doses(plan)[:4] == [18.0, 17.0, 16.0, 15.0]  # 10% of the current dose, rounded up to whole mg
    assert doses(plan)[-5:] == [4.0, 3.0, 2.0, 1.0, 0.0]  # near the end: 1 mg (half a 2 mg tablet) steps
    assert plan.steps[-2].tablets == ((2.0, 0.5),)
    assert all(s.days == pace.interval_days for s in plan.steps[:-1])
    # CKS: 20 mg diazepam takes 20 to 40 weeks
    assert 20 * 7 <= plan.total_days <= 40 * 7


def test_zolpidem_10mg(kn):
    plan = plan_for(kn, "zolpidem", 10)
    assert not plan.switched
    # 7.5 mg cannot be made (5 mg tablets, halves of the scored 10 mg): the smallest step the tablets allow
    assert doses(plan) == [5.0, 0.0]
    assert plan.steps[0].tablets == ((5.0, 1.0),)
    assert any(n.code == "large_steps" for n in plan.notes)
    assert any(n.code == "recommend_switch" for n in plan.notes)  # short-acting: a switch is suggested, not forced


def test_zolpidem_in_nl_only(kn):
    plan = plan_for(kn, "zolpidem", 10, markets=("NL",))
    assert doses(plan) == [5.0, 0.0]
    assert plan.steps[0].tablets == ((10.0, 0.5),)


def test_alprazolam_switch_to_diazepam(kn, protocol):
    plan = plan_for(kn, "alprazolam", 1.5, switch_to_diazepam=True)
    assert plan.switched and plan.taper_drug == "diazepam" and plan.drug == "alprazolam"
    first = plan.steps[0]
    assert first.kind == "switch" and first.dose_mg == 30.0 and first.de_mg == 30.0  # Ashton 0.5 mg = 10 mg
    assert first.days == protocol.switch.stabilise_days
    assert plan.steps[1].kind == "reduce" and plan.steps[1].start == first.end + timedelta(days=1)
    assert plan.steps[1].dose_mg < 30
    assert all(s.drug == "diazepam" for s in plan.steps)
    assert doses(plan)[-2:] == [1.0, 0.0]
    codes = [n.code for n in plan.notes]
    assert "switch_requested" in codes and "conversion" in codes and "stabilise" in codes
    assert any("30 mg diazepam-equivalent" in n for n in plan.notes)
    assert any("Ashton" in s for s in plan.sources)


def test_switch_rounds_the_conversion_up(kn):
    plan = plan_for(kn, "lorazepam", 2.25, switch_to_diazepam=True)  # 22.5 mg DE
    assert plan.steps[0].dose_mg == 23.0


def test_other_equivalence_table(kn):
    plan = plan_for(kn, "lorazepam", 2, switch_to_diazepam=True, table="denmark")  # DK: 2 mg = 10 mg
    assert plan.steps[0].dose_mg == 10.0


def test_auto_switch_without_strengths(kn):
    plan = plan_for(kn, "clotiazepam", 10)
    assert plan.switched and plan.steps[0].kind == "switch"
    codes = [n.code for n in plan.notes]
    assert "switch_no_strengths" in codes and "table_fallback" in codes


def test_auto_switch_when_no_smaller_dose(kn):
    plan = plan_for(kn, "lorazepam", 0.5, markets=("US",))  # 0.5 mg is the smallest US tablet, unscored
    assert plan.switched and plan.steps[0].dose_mg == 5.0
    assert any(n.code == "switch_no_smaller_dose" for n in plan.notes)


def test_diazepam_with_switch_requested_is_tapered_directly(kn):
    plan = plan_for(kn, "diazepam", 10, switch_to_diazepam=True)
    assert not plan.switched and plan.steps[0].kind == "reduce"
    assert any(n.code == "already_target" for n in plan.notes)


def test_holds_repeat_the_dose_and_shift_the_dates(kn):
    base = plan_for(kn, "lorazepam", 3, markets=("US",))
    held = plan_for(kn, "lorazepam", 3, holds=(2, 2, 4), markets=("US",))
    assert kinds(held) == ["reduce", "reduce", "hold", "hold", "reduce", "reduce", "hold", "reduce", "stop"]
    assert held.steps[2].dose_mg == held.steps[1].dose_mg == 2.0
    assert held.total_days == base.total_days + 3 * 14
    assert any(n.code == "holds" for n in held.notes)


def test_epilepsy_note_for_clonazepam(kn):
    plan = plan_for(kn, "clonazepam", 2)
    assert any(n.code == "epilepsy" for n in plan.notes)


def test_every_bzra_but_the_unplannable_gets_a_plan(kn):
    unplannable = {}
    for drug_id in kn.drugs:
        eq = kn.eq10(drug_id, "ashton")
        dose = 2 * eq[1].value if eq else 10.0  # twice the dose equal to 10 mg diazepam
        try:
            plan_for(kn, drug_id, dose)
        except TaperError as error:
            unplannable[drug_id] = error.field
    assert unplannable == {"remimazolam": "drug", "tetrazepam": "drug", "etizolam": "drug"}


# ---- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "dose", "kw", "field", "words"),
    [
        ("lorazepan", 3, {}, "drug", "did you mean lorazepam"),
        ("gabapentin", 300, {}, "drug", "unknown drug"),
        ("remimazolam", 10, {}, "drug", "procedural sedation"),
        ("etizolam", 2, {}, "drug", "no marketed oral strengths"),
        ("clotiazepam", 10, {"table": "denmark"}, "drug", "denmark equivalence table"),
        ("lorazepam", 0, {}, "dose", "more than 0"),
        ("lorazepam", -1, {}, "dose", "more than 0"),
        ("lorazepam", float("nan"), {}, "dose", "more than 0"),
        ("lorazepam", 0.25, {"markets": ("US",)}, "dose", "too small to taper with the marketed strengths"),
        ("triazolam", 0.01, {"switch_to_diazepam": True}, "dose", "too small to taper"),
        ("lorazepam", 3, {"pace": "fast"}, "pace", "unknown pace"),
        ("lorazepam", 3, {"holds": (7,)}, "holds", "steps 1 to 6"),
        ("lorazepam", 3, {"holds": (0,)}, "holds", "step number"),
        ("lorazepam", 3, {"markets": ("BE",)}, "market", "no marketed oral strengths"),
        ("lorazepam", 3, {"markets": ("nl",)}, "market", "two-letter"),
    ],
)
def test_errors_name_the_field(kn, drug, dose, kw, field, words):
    with pytest.raises(TaperError) as caught:
        plan_for(kn, drug, dose, **kw)
    assert caught.value.field == field
    assert words in caught.value.message and str(caught.value) == caught.value.message


def test_unknown_table(kn):
    with pytest.raises(TaperError) as caught:
        make_plan(TaperRequest("lorazepam", 3, start=START), kn, "nope")
    assert caught.value.field == "table" and "ashton" in caught.value.message


def test_start_must_be_a_date(kn):
    with pytest.raises(TaperError) as caught:
        make_plan(TaperRequest("lorazepam", 3, start="2026-12-01"), kn)  # type: ignore[arg-type]
    assert caught.value.field == "start"


def test_default_start_is_today(kn):
    assert make_plan(TaperRequest("lorazepam", 3), kn).steps[0].start == date.today()


# ---- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mg"),
    [
        ("3mg/day", 3.0),
        ("3 mg", 3.0),
        ("0,5 mg/d", 0.5),
        ("500 µg/day", 0.5),
        ("500 mcg per day", 0.5),
        ("2.5mg", 2.5),
        ("2.5 MG daily", 2.5),
        ("10", 10.0),
        (" 7.5 mg a day ", 7.5),
        ("0.001 g", 1.0),
    ],
)
def test_parse_dose(text, mg):
    assert parse_dose(text) == pytest.approx(mg)


@pytest.mark.parametrize("text", ["abc mg", "", "3 mg/week", "mg", "0 mg", "-2 mg", "1e3 mg", "3 tablets"])
def test_parse_dose_rejects(text):
    with pytest.raises(TaperError) as caught:
        parse_dose(text)
    assert caught.value.field == "dose"


@pytest.mark.parametrize(
    ("text", "drug_id"),
    [("lorazepam", "lorazepam"), ("LORAZEPAM", "lorazepam"), ("Temesta", "lorazepam"), ("Xanax", "alprazolam"),
     ("diazépam", "diazepam"), ("ethyl loflazepate", "ethyl_loflazepate"), ("Stilnoct", "zolpidem")],
)
def test_resolve_drug(kn, text, drug_id):
    assert resolve_drug(text, kn) == drug_id


# ---- tablets --------------------------------------------------------------------------------------


def test_tablet_set_units_and_compositions(kn, protocol):
    units = protocol.dose_units
    dz = tablet_set("diazepam", kn.drugs["diazepam"], kn, forms=units.forms, split_forms=units.split_forms,
                    split_parts=units.split_parts)
    assert dz.smallest_mg == 1.0
    assert dz.composition(7) == ((5.0, 1.0), (2.0, 1.0))
    assert dz.composition(1) == ((2.0, 0.5),)
    assert dz.largest_below(1) == 0.0 and dz.largest_below(10) == 9.0
    big = dz.composition(1000)  # beyond the table: filled with the largest tablet
    assert sum(s * c for s, c in big) == 1000
    temazepam = tablet_set("temazepam", kn.drugs["temazepam"], kn, forms=units.forms,
                           split_forms=units.split_forms, split_parts=units.split_parts, markets=("US",))
    assert all(c == int(c) for _, c in temazepam.composition(37.5))  # capsules are never split
    assert not temazepam.achievable(8)
    zolpidem = tablet_set("zolpidem", kn.drugs["zolpidem"], kn, forms=units.forms,
                          split_forms=units.split_forms, split_parts=units.split_parts, markets=("US",))
    assert 6.25 not in {u.strength_mg for u in zolpidem.units}  # modified-release tablets are left out


# ---- renderings -----------------------------------------------------------------------------------


def test_text_and_markdown(kn):
    plan = plan_for(kn, "alprazolam", 1.5, switch_to_diazepam=True)
    text = plan_text(plan)
    assert "alprazolam 1.5 mg a day, switched to diazepam" in text
    assert "1 (switch)" in text and "3 × 10 mg" in text and "Sources:" in text
    md = plan_markdown(plan)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Step | From | To | Daily dose | Tablets a day |"
    assert len(rows) == 1 + len(plan.steps)
    assert "| 1 (switch) | 1 Dec 2026 | 7 Dec 2026 | 30 mg | 3 × 10 mg |" in md
    nl = plan_markdown(plan, "nl")
    assert "| Stap | Van | Tot en met |" in nl and "1,5 mg" in nl and "Overgestapt op diazepam" in nl
    fr = plan_text(plan, "fr")
    assert "Plan de diminution : alprazolam 1,5 mg par jour" in fr and "Relais par diazépam" in fr


def test_json(kn):
    plan = plan_for(kn, "lorazepam", 3, holds=(1,), markets=("US",))
    data = plan_json(plan)
    assert data["drug"] == "lorazepam" and data["total_days"] == plan.total_days
    assert data["steps"][0] == {
        "number": 1, "kind": "reduce", "start": "2026-12-01", "end": "2026-12-14", "days": 14, "drug": "lorazepam",
        "dose_mg": 2.5, "tablets": [{"strength_mg": 2.0, "count": 1.0}, {"strength_mg": 0.5, "count": 1.0}],
        "de_mg": 25.0,
    }
    assert data["steps"][-1]["kind"] == "stop" and data["notes"] and data["sources"]
    import json

    json.dumps(data)


def test_fhir_medication_request(kn):
    plan = plan_for(kn, "alprazolam", 1.5, switch_to_diazepam=True)
    resource = plan_medication_request(plan, "Patient/example")
    parsed = MedicationRequest.model_validate(resource)
    assert parsed.status == "draft" and parsed.intent == "order"
    assert parsed.subject.reference == "Patient/example"
    coding = parsed.medicationCodeableConcept.coding[0]
    assert (coding.system, coding.code) == ("http://www.whocc.no/atc", "N05BA01")
    assert len(parsed.dosageInstruction) == len(plan.steps)
    for dosage, step in zip(parsed.dosageInstruction, plan.steps):
        assert dosage.sequence == step.number
        assert dosage.timing.repeat.boundsPeriod.start.isoformat()[:10] == step.start.isoformat()
        assert dosage.timing.repeat.boundsPeriod.end.isoformat()[:10] == step.end.isoformat()
        assert float(dosage.doseAndRate[0].doseQuantity.value) == step.dose_mg
        assert dosage.doseAndRate[0].doseQuantity.unit == "mg"
    assert parsed.dosageInstruction[-1].text.startswith("Stop diazepam")
    assert float(parsed.dosageInstruction[-1].doseAndRate[0].doseQuantity.value) == 0
    anonymous = MedicationRequest.model_validate(plan_medication_request(plan))
    assert anonymous.subject.display


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    VOID = frozenset({"meta", "br", "link", "img", "hr", "input"})

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Tags:
    tags = _Tags()
    tags.feed(page)
    tags.close()
    return tags


def test_handout_html(kn):
    plan = plan_for(kn, "alprazolam", 1.5, switch_to_diazepam=True)
    evil = '<script>alert("x")</script>'
    page = plan_handout_html(
        plan, "en", [(f"GP {evil}", "+32 9 123 45 67"), ("Helpline", "https://example.org/help?a=1&b=2"),
                     ("Bad link", 'javascript:alert(1)')], made_on=date(2026, 11, 30)
    )
    tags = _parse(page)
    assert not tags.problems and not tags.stack
    assert page.startswith("<!DOCTYPE html>") and "<html lang=\"en\">" in page
    assert "script" not in tags.seen and "<script>" not in page
    assert "&lt;script&gt;" in page
    assert '<a href="tel:+3291234567">+32 9 123 45 67</a>' in page
    assert 'href="https://example.org/help?a=1&amp;b=2"' in page
    assert 'href="javascript' not in page
    assert page.count("<tr>") + page.count('<tr class="stop">') == len(plan.steps) + 1
    text = " ".join(tags.text)
    for phrase in ("Your schedule", "What to expect", "If it gets hard", "do not stop suddenly", "Who to call",
                   "half a tablet of 2 mg", "Change to diazepam", "30 Nov 2026"):
        assert phrase.lower() in text.lower(), phrase
    assert "@media print" in page
    for word in ("abuse", "addict", "misuse"):
        assert word not in page.lower()


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("nl", ("Uw schema", "Als het zwaar wordt", "Stop niet plotseling", "een halve tablet van 2 mg", "1½ tablet van 2 mg")),
        ("fr", ("Votre calendrier", "Si c'est difficile", "N'arrêtez pas brusquement", "un demi-comprimé de 2 mg")),
    ],
)
def test_handout_in_dutch_and_french(kn, language, phrases):
    plan = plan_for(kn, "lorazepam", 3, switch_to_diazepam=True)
    page = plan_handout_html(plan, language, [("Huisarts", "info@example.org")])
    tags = _parse(page)
    assert not tags.problems
    assert f'<html lang="{language}">' in page
    text = " ".join(tags.text)
    import html as html_module

    for phrase in phrases:
        assert phrase in html_module.unescape(page), phrase
    assert 'href="mailto:info@example.org"' in page
    assert "Your schedule" not in text


def test_handout_without_contacts_says_whom_to_ask(kn):
    page = plan_handout_html(plan_for(kn, "zopiclone", 7.5), "en")
    assert "Your prescriber or pharmacist" in page and "half a tablet of 7.5 mg" in page


# ---- the protocol data file --------------------------------------------------------------------------


def test_protocol_cites_original_sources(protocol):
    titles = " ".join(s.title for s in protocol.sources.values())
    assert "Can Fam Physician 2018;64(5):339-51" in titles
    assert "bzra-knowledge" not in PROTOCOL_FILE.read_text(encoding="utf-8")
    assert protocol.paces["standard"].reduce_fraction == 0.25 and protocol.switch.stabilise_days == 7


def test_protocol_errors_name_file_and_line(tmp_path: Path):
    text = PROTOCOL_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "taper.yaml"
    broken.write_text(text.replace("reduce_fraction: 0.25", "reduce_fraction: 1.5", 1), encoding="utf-8")
    with pytest.raises(TaperProtocolError) as caught:
        read_protocol(broken)
    line = next(i for i, l in enumerate(broken.read_text().splitlines(), 1) if "reduce_fraction: 1.5" in l)
    assert re.search(rf"taper\.yaml:{line}:\d+: .*reduce_fraction", str(caught.value))
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(text.replace("sources: [POTTIE_2018]", "sources: [NOBODY]", 1), encoding="utf-8")
    with pytest.raises(TaperProtocolError) as caught:
        read_protocol(unknown)
    assert "unknown source 'NOBODY'" in str(caught.value) and "unknown.yaml:" in str(caught.value)


def test_no_clinical_numbers_in_the_generator():
    """Fractions, intervals and thresholds come from the data file, not from code."""
    source = (Path(__file__).resolve().parents[1] / "service" / "taper" / "plan.py").read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in source.splitlines() if not line.strip().startswith(('"', "'")))
    for literal in ("0.25", "0.125", "0.1", "14", "7", "12.5", "25"):
        assert not re.search(rf"(?<![\w.]){re.escape(literal)}(?![\w.])", code), literal
