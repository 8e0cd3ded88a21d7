"""The planner's input: one model with the deployment's defaults, every field checked, doses and drug names read."""

from __future__ import annotations

import pytest

from service.taper.errors import TaperError
from service.taper.inputs import PlanDefaults, PlanInput, parse_dose, resolve_drug, to_request
from tests.support.taper_support import PROTOCOLS, START


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
