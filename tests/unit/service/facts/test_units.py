"""The unit table behind the daily dose: which codes count units, which weigh, which cannot be converted."""

from __future__ import annotations

from service.facts.units import UCUM, UnitInfo, UnitProblem, classify_unit

SCT = "http://snomed.info/sct"


def test_classify_unit_table() -> None:
    assert classify_unit(SCT, "428673006", "tablet") == UnitInfo("count", 1.0, "tablet")
    assert classify_unit(UCUM, "ug", None) == UnitInfo("mass", 1e-3, "mg")
    assert isinstance(classify_unit(None, None, None), UnitProblem)
    assert isinstance(classify_unit("http://example.org", "x", "blob"), UnitProblem)
