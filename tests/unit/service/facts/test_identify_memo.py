"""The memo of history Medications: its key holds every element identification reads.

`identify_medication` remembers its results by `_medication_key`. For arbitrary inputs: identification
reads no element its key leaves out (recorded by a spy), and a remembered identity is the computed one.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.facts import identify
from service.fhir.history_models import Medication, read
from service.knowledge import Knowledge, load_knowledge
from tests.support.dosage_strategies import SETTINGS
from tests.support.spy import spied

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
CODINGS = [(RXNORM, "197591"), (RXNORM, "3322"), (RXNORM, "7804"), (SNOMED, "387106007"), (ATC, "N05BA12"), (None, "x")]
TEXTS = ["Lorazepam tablet", "clonazepam", "diazepam 2,5 mg", "naloxone", "oral solution", "Tablet", "wibble", ""]
UNITS = ["mg", "ug", "g", "mL", "tablet", "TAB", None]
values = st.one_of(st.none(), st.sampled_from([0, 0.0, -0.0, 0.5, 1, 2.5, 5, 10, 500]))


@st.composite
def concepts(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    concept: dict[str, Any] = {}
    codings = draw(st.lists(st.sampled_from(CODINGS), max_size=2))
    if codings:
        concept["coding"] = [
            {"system": s, "code": c, "display": draw(st.one_of(st.none(), st.sampled_from(TEXTS)))} for s, c in codings
        ]
    if draw(st.booleans()):
        concept["text"] = draw(st.sampled_from(TEXTS))
    return concept


@st.composite
def quantities(draw: st.DrawFn) -> dict[str, Any]:
    unit = draw(st.sampled_from(UNITS))
    return {"value": draw(values), "unit": unit, "code": draw(st.sampled_from([unit, None]))}


@st.composite
def medications(draw: st.DrawFn) -> dict[str, Any]:
    ingredients = [
        {
            "itemCodeableConcept": draw(concepts()),
            "strength": draw(st.one_of(st.none(), st.builds(lambda n, d: {"numerator": n, "denominator": d},
                                                             quantities(), st.one_of(st.none(), quantities())))),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {"resourceType": "Medication", "code": draw(concepts()), "form": draw(concepts()), "ingredient": ingredients}


@pytest.fixture(scope="module")
def kn() -> Knowledge:
    return load_knowledge()


@SETTINGS
@given(payload=medications())
def test_the_medication_key_holds_every_element_identification_reads(kn: Knowledge, payload: dict[str, Any]) -> None:
    medication = read(Medication, payload)
    identified_reads: set[str] = set()
    key_reads: set[str] = set()
    identify._identify_medication(spied(medication, "", identified_reads), kn)
    identify._medication_key(spied(medication, "", key_reads))
    assert identified_reads <= key_reads


@SETTINGS
@given(payload=medications())
def test_a_remembered_identity_is_the_computed_identity(kn: Knowledge, payload: dict[str, Any]) -> None:
    remembered = identify.identify_medication(read(Medication, payload), kn)
    assert identify.identify_medication(read(Medication, payload), kn) is remembered
    assert remembered == identify._identify_medication(read(Medication, payload), kn)
