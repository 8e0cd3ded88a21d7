"""The memo of history dosages: its key holds every element the daily-dose parser reads.

History resources arrive as lean models (`service.fhir.history_models`); `daily_dose` remembers its
results by `_dosage_key`. For arbitrary inputs: the parser reads no element its key leaves out
(recorded by a spy), and a remembered result is the computed one. The same for Medications:
test_identify_memo.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from service.facts import dose
from service.fhir.history_models import Dosage, ValidationError, read
from service.memo import Memo
from tests.support.dosage_strategies import SETTINGS, dosages, strengths
from tests.support.spy import spied


def lean(payloads: list[dict[str, Any]]) -> list[Dosage]:
    try:
        return [read(Dosage, payload) for payload in payloads]
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
    dose._daily_dose([spied(d, "", parser_reads) for d in entries], dose._positive(strength), None)
    for entry in entries:
        dose._dosage_key(spied(entry, "", key_reads))
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
    dose.daily_dose([read(Dosage, {"text": "1 mg twice daily"})], None)
    assert len(dose._DOSES) == 1
