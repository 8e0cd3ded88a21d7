"""The memos of history dosages and Medications: their keys hold every element the facts read.

History resources arrive as lean models (`service.fhir.history_models`); `daily_dose` remembers its
results by `_dosage_key` and `identify_medication` by `_medication_key`. For arbitrary inputs: the
computation reads no element its key leaves out (recorded by a spy), and a remembered result is
the computed one.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from service.facts import dose, identify
from service.fhir.history_models import Dosage, Medication
from service.knowledge import Knowledge, load_knowledge
from service.memo import Memo
from tests.unit.service.facts.test_dose_properties import SETTINGS, dosages, strengths


class _Spy:
    """Stands in for a model and records the element paths read through it ("timing.repeat.period")."""

    def __init__(self, target: BaseModel, path: str, reads: set[str]) -> None:
        self._target, self._path, self._reads = target, path, reads

    def __getattr__(self, name: str) -> Any:
        path = f"{self._path}.{name}"
        self._reads.add(path)
        return _spied(getattr(self._target, name), path, self._reads)


def _spied(value: Any, path: str, reads: set[str]) -> Any:
    if isinstance(value, BaseModel):
        return _Spy(value, path, reads)
    if isinstance(value, list):
        return [_spied(item, path, reads) for item in value]
    return value


def lean(payloads: list[dict[str, Any]]) -> list[Dosage]:
    try:
        return [Dosage.model_validate(payload) for payload in payloads]
    except ValidationError:
        assume(False)
        raise


# ---- daily dose -------------------------------------------------------------------------------


@SETTINGS
@given(payloads=st.lists(dosages(), min_size=1, max_size=3), strength=strengths)
def test_the_dosage_key_holds_every_element_the_parser_reads(
    payloads: list[dict[str, Any]], strength: float | None
) -> None:
    entries = lean(payloads)
    parser_reads: set[str] = set()
    key_reads: set[str] = set()
    dose._daily_dose([_spied(d, "", parser_reads) for d in entries], dose._positive(strength), None)
    for entry in entries:
        dose._dosage_key(_spied(entry, "", key_reads))
    assert parser_reads <= key_reads


@SETTINGS
@given(payloads=st.lists(dosages(), min_size=1, max_size=3), strength=strengths)
def test_a_remembered_dose_is_the_computed_dose(payloads: list[dict[str, Any]], strength: float | None) -> None:
    entries = lean(payloads)
    remembered = dose.daily_dose(entries, strength)
    assert dose.daily_dose(lean(payloads), strength) is remembered
    assert remembered == dose._daily_dose(entries, dose._positive(strength), None)


def test_draft_dosages_in_fhir_resources_are_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    from fhir.resources.R4B.dosage import Dosage as R4BDosage

    monkeypatch.setattr(dose, "_DOSES", Memo(4096))
    dose.daily_dose([R4BDosage.model_validate({"text": "1 mg twice daily"})], None)
    assert len(dose._DOSES) == 0
    dose.daily_dose([Dosage.model_validate({"text": "1 mg twice daily"})], None)
    assert len(dose._DOSES) == 1


# ---- Medication identity ----------------------------------------------------------------------

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
    medication = Medication.model_validate(payload)
    identified_reads: set[str] = set()
    key_reads: set[str] = set()
    identify._identify_medication(_spied(medication, "", identified_reads), kn)
    identify._medication_key(_spied(medication, "", key_reads))
    assert identified_reads <= key_reads


@SETTINGS
@given(payload=medications())
def test_a_remembered_identity_is_the_computed_identity(kn: Knowledge, payload: dict[str, Any]) -> None:
    remembered = identify.identify_medication(Medication.model_validate(payload), kn)
    assert identify.identify_medication(Medication.model_validate(payload), kn) is remembered
    assert remembered == identify._identify_medication(Medication.model_validate(payload), kn)
