"""The benchmark's generated patients: deterministic, distinct, varied, valid FHIR R4 as an EHR sends it.

The benchmark's ratios only mean something if the bodies look like real traffic, so the generator is
checked like any other input builder.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from fhir.resources.R4B import get_fhir_model_class

from bench import population, traffic
from bench.drug_table import BZRAS, NON_BZRA_ORDER_KEYS

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def cases() -> list[population.Case]:
    return population.population(120, TODAY)


def test_same_seed_same_patients_and_another_seed_others() -> None:
    first = population.make_case(7, 3, TODAY)
    again = population.make_case(7, 3, TODAY)
    other = population.make_case(8, 3, TODAY)
    assert json.dumps(first.history) == json.dumps(again.history)
    assert json.dumps(first.history) != json.dumps(other.history)


def test_histories_vary_and_are_mostly_twenty_to_forty(cases: list[population.Case]) -> None:
    sizes = [case.medication_resources for case in cases]
    typical = sum(20 <= size <= 40 for size in sizes) / len(sizes)
    assert typical >= 0.7
    assert min(sizes) < 20 and max(sizes) > 40
    assert len({json.dumps(case.history) for case in cases}) == len(cases)


def test_orders_mix_bzras_and_common_drugs(cases: list[population.Case]) -> None:
    assert {case.bzra_draft.key for case in cases} >= {drug.key for drug in BZRAS[:6]}
    assert {case.non_bzra_draft.key for case in cases} <= set(NON_BZRA_ORDER_KEYS)
    assert all(case.non_bzra_draft.atc[:4] not in ("N05B", "N05C", "N03A") for case in cases)
    assert {case.selects for case in cases} == {2, 3}


def test_every_resource_and_draft_is_valid_fhir_r4(cases: list[population.Case]) -> None:
    calls = traffic.build(cases[:15], cases[15:20], TODAY)
    for kind in ("bzra", "non_bzra", "select_sign"):
        for call in calls[kind]:
            body = json.loads(traffic.fill(call, "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "p1"))
            for value in body["prefetch"].values():
                get_fhir_model_class(value["resourceType"]).model_validate(value)
            get_fhir_model_class("Bundle").model_validate(body["context"]["draftOrders"])


def test_a_sequence_shares_its_history_and_edits_the_draft(cases: list[population.Case]) -> None:
    sequence = traffic.select_then_sign(cases[0], TODAY)
    bodies = [json.loads(traffic.fill(call, "u", "p1")) for call in sequence]
    assert [call.hook for call in sequence] == ["order-select"] * cases[0].selects + ["order-sign"]
    assert all(body["prefetch"] == bodies[0]["prefetch"] for body in bodies)
    drafts = [json.dumps(body["context"]["draftOrders"]) for body in bodies[:-1]]
    assert len(set(drafts)) == len(drafts)  # each select is an edited draft


def test_the_cycle_marker_gives_each_pass_its_own_patient(cases: list[population.Case]) -> None:
    call = traffic.build(cases[:1], cases[1:2], TODAY)["bzra"][0]
    ids = {json.loads(traffic.fill(call, "u", cycle))["context"]["patientId"] for cycle in ("a1p0", "a1p1")}
    assert len(ids) == 2
    body = json.loads(traffic.fill(call, "u", "a1p0"))
    subjects = {entry["resource"]["subject"]["reference"]
                for bundle in ("medicationRequests", "medicationDispenses") for entry in body["prefetch"][bundle].get("entry", [])
                if "subject" in entry["resource"]}
    assert subjects <= {f"Patient/{body['context']['patientId']}"}
