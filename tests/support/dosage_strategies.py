"""Hypothesis strategies for R4 Dosage payloads as EHRs send them, for the dose parser's properties and memo tests."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.dosage import Dosage
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

from service.facts.timing import DAYS_PER_UNIT, GTS_ABBREVIATIONS, MEAL_EVENTS, SINGLE_DAILY_EVENTS

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)

UNITS = [
    {"unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"},
    {"unit": "µg", "system": "http://unitsofmeasure.org", "code": "ug"},
    {"unit": "g", "system": "http://unitsofmeasure.org", "code": "g"},
    {"unit": "mcg"},
    {"unit": "ng"},
    {"unit": "tablet", "system": "http://snomed.info/sct", "code": "732936001"},
    {"unit": "capsule", "system": "http://snomed.info/sct", "code": "732937005"},
    {"system": "http://unitsofmeasure.org", "code": "{tbl}"},
    {"system": "http://unitsofmeasure.org", "code": "1"},
    {"unit": "half tablet"},
    {"unit": "stuk"},
    {"unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"},
    {"unit": "puff"},
    {"unit": "wibble"},
    {},
]
TIME_UNITS = [*DAYS_PER_UNIT, "day", "days", "week", "hour"]
WHEN = sorted(SINGLE_DAILY_EVENTS | MEAL_EVENTS) + ["XYZ"]
CODES = [*GTS_ABBREVIATIONS, "Q12H", "HS", "JB", "nonsense"]
TEXTS = [
    "2 dd 1 tablet",
    "1 tablet 3 times a day",
    "0.5 mg twice daily",
    "1 at night",
    "3x per dag 1",
    "1 comprimé le soir",
    "1 tablet zo nodig, max 3 per dag",
    "1-0-1",
    "½ tablet 's avonds",
    "every 0 hours 1 tablet",
    "q0h 1 mg",
    "1/0 tablet",
    "take as directed",
]

decimals = st.one_of(
    st.integers(min_value=-5, max_value=10**6),
    st.floats(min_value=-10.0, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 0.0, -0.0, 1e-300, 1e300, "1E+400", "1E-400"]),
)
positive_ints = st.integers(min_value=1, max_value=2**31 - 1)


@st.composite
def quantities(draw: st.DrawFn, values: st.SearchStrategy[Any] = decimals) -> dict[str, Any]:
    quantity = dict(draw(st.sampled_from(UNITS)))
    value = draw(st.one_of(st.none(), values))
    if value is not None:
        quantity["value"] = value
    return quantity


def dose_and_rate(values: st.SearchStrategy[Any] = decimals) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda q: {"doseQuantity": q}, quantities(values)),
        st.builds(
            lambda lo, hi: {"doseRange": {k: v for k, v in (("low", lo), ("high", hi)) if v is not None}},
            st.one_of(st.none(), quantities(values)),
            st.one_of(st.none(), quantities(values)),
        ),
        st.just({"type": {"coding": [{"code": "ordered"}]}, "doseQuantity": {"value": 1, "unit": "mg"}}),
        st.just({"rateQuantity": {"value": 1, "unit": "mg/h"}}),
    )


@st.composite
def repeats(draw: st.DrawFn) -> dict[str, Any]:
    repeat: dict[str, Any] = {}
    optional = {
        "frequency": positive_ints,
        "frequencyMax": positive_ints,
        "period": decimals,
        "periodMax": decimals,
        "periodUnit": st.sampled_from([*DAYS_PER_UNIT, "zz"]),
        "when": st.lists(st.sampled_from(WHEN), max_size=4),
        "timeOfDay": st.lists(st.sampled_from(["08:00:00", "12:00:00", "20:00:00", "22:30:00"]), max_size=3),
        "dayOfWeek": st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), max_size=7),
        "count": positive_ints,
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            repeat[key] = draw(strategy)
    return repeat


@st.composite
def timings(draw: st.DrawFn) -> dict[str, Any]:
    timing: dict[str, Any] = {}
    if draw(st.booleans()):
        timing["repeat"] = draw(repeats())
    if draw(st.booleans()):
        system = draw(
            st.sampled_from(
                ["http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "http://example.org", None]
            )
        )
        coding = {"code": draw(st.sampled_from(CODES))}
        if system:
            coding["system"] = system
        timing["code"] = {"coding": [coding]}
    if draw(st.booleans()):
        timing["event"] = draw(
            st.lists(
                st.sampled_from(["2024-05-01T08:00:00Z", "2024-05-01T20:00:00Z", "2024-05-02", "2024"]),
                max_size=3,
            )
        )
    return timing


@st.composite
def dosages(
    draw: st.DrawFn, values: st.SearchStrategy[Any] = decimals, extras: bool = True
) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if draw(st.booleans()):
        payload["doseAndRate"] = draw(st.lists(dose_and_rate(values), min_size=1, max_size=2))
    if draw(st.booleans()):
        payload["timing"] = draw(timings())
    if draw(st.booleans()):
        payload["sequence"] = draw(st.integers(min_value=-2, max_value=3))
    prn = draw(st.sampled_from(["none", "true", "false", "concept"]))
    if prn == "true":
        payload["asNeededBoolean"] = True
    elif prn == "false":
        payload["asNeededBoolean"] = False
    elif prn == "concept":
        payload["asNeededCodeableConcept"] = {"text": "anxiety"}
    if extras:
        if draw(st.booleans()):
            payload["maxDosePerPeriod"] = {
                "numerator": draw(quantities()),
                "denominator": {"value": draw(decimals), "unit": draw(st.sampled_from(TIME_UNITS))},
            }
        if draw(st.booleans()):
            payload["maxDosePerAdministration"] = draw(quantities())
        if draw(st.booleans()):
            payload["text"] = draw(st.one_of(st.sampled_from(TEXTS), st.text(max_size=40)))
    return payload


def validated(payloads: list[dict[str, Any]]) -> list[Dosage]:
    result = []
    for payload in payloads:
        try:
            result.append(Dosage.model_validate(payload))
        except ValueError:
            assume(False)
    return result


strengths = st.one_of(
    st.none(),
    st.floats(min_value=-1.0, max_value=1e6),
    st.sampled_from([0.25, 0.5, 1.0, 2.0, 5.0, 10.0, float("nan"), float("inf"), 1e300]),
)
