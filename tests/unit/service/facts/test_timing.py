"""The timing tables behind the daily dose: the R4 abbreviations, and frequencies read from text."""

from __future__ import annotations

from service.facts.timing import GTS_ABBREVIATIONS, Rate, frequency_from_text


def test_r4_value_set_is_complete() -> None:
    # The 16 codes of http://hl7.org/fhir/ValueSet/timing-abbreviation (R4 4.0.1).
    assert set(GTS_ABBREVIATIONS) == {
        "AM",
        "BED",
        "BID",
        "MO",
        "PM",
        "Q1H",
        "Q2H",
        "Q3H",
        "Q4H",
        "Q6H",
        "Q8H",
        "QD",
        "QID",
        "QOD",
        "TID",
        "WK",
    }


def test_frequency_from_text_reads_a_rate() -> None:
    assert isinstance(frequency_from_text("twice daily"), Rate)
