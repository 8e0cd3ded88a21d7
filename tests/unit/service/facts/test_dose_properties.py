"""Properties of the daily-dose parser over arbitrary valid R4 Dosage objects.

Every generated payload goes through ``Dosage.model_validate``; payloads the
model rejects are discarded, so only Dosages fhir.resources accepts are tested.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.dosage import Dosage
from hypothesis import given
from hypothesis import strategies as st

from service.facts.dose import DailyDose, daily_dose, parse_dosage_text
from tests.support.dosage_strategies import SETTINGS, dosages, strengths, validated


def check_invariants(result: DailyDose) -> None:
    assert isinstance(result, DailyDose)
    assert not (result.unknown_reason or "").startswith("internal error"), result
    for value in (
        result.mg_per_day,
        result.min_mg_per_day,
        result.max_mg_per_day,
        result.units_per_day,
        result.max_units_per_day,
    ):
        assert value is None or (isinstance(value, float) and math.isfinite(value) and value >= 0), result
    if result.mg_per_day is None:
        assert result.unknown_reason, result
        assert result.min_mg_per_day is None
    else:
        assert result.unknown_reason is None, result
        assert result.min_mg_per_day is not None and result.min_mg_per_day <= result.mg_per_day
    if result.max_mg_per_day is not None and result.mg_per_day is not None:
        assert result.max_mg_per_day >= result.mg_per_day, result
    if result.max_units_per_day is not None and result.units_per_day is not None:
        assert result.max_units_per_day >= result.units_per_day, result
    assert isinstance(result.derivation, str) and result.derivation


@SETTINGS
@given(payloads=st.lists(dosages(), max_size=3), strength=strengths)
def test_any_valid_dosage_gives_a_finite_non_negative_dose_or_none(
    payloads: list[dict[str, Any]], strength: float | None
) -> None:
    check_invariants(daily_dose(validated(payloads), strength))


def _scale_value(value: Any, k: int) -> Any:
    return str(Decimal(str(value)) * k)


def _scaled(payload: dict[str, Any], k: int) -> dict[str, Any]:
    """The same Dosage with every dose quantity (and dose range end) multiplied by k."""
    scaled = dict(payload)
    entries = []
    for entry in payload.get("doseAndRate", []):
        entry = dict(entry)
        if "doseQuantity" in entry and "value" in entry["doseQuantity"]:
            entry["doseQuantity"] = {
                **entry["doseQuantity"],
                "value": _scale_value(entry["doseQuantity"]["value"], k),
            }
        if "doseRange" in entry:
            entry["doseRange"] = {
                end: {**q, "value": _scale_value(q["value"], k)} if "value" in q else q
                for end, q in entry["doseRange"].items()
            }
        entries.append(entry)
    if entries:
        scaled["doseAndRate"] = entries
    return scaled


@SETTINGS
@given(
    payloads=st.lists(
        dosages(values=st.one_of(st.integers(0, 1000), st.floats(0, 1000, allow_nan=False)), extras=False),
        min_size=1,
        max_size=3,
    ),
    strength=st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.5, 10.0])),
    k=st.sampled_from([2, 3, 10]),
)
def test_scaling_the_dose_scales_the_daily_dose(
    payloads: list[dict[str, Any]], strength: float | None, k: int
) -> None:
    base = daily_dose(validated(payloads), strength)
    scaled = daily_dose(validated([_scaled(p, k) for p in payloads]), strength)
    check_invariants(scaled)
    if base.mg_per_day is None:
        assert scaled.mg_per_day is None
    else:
        assert scaled.mg_per_day == pytest.approx(base.mg_per_day * k, rel=1e-9, abs=1e-300)
        assert base.max_mg_per_day is not None
        assert scaled.max_mg_per_day == pytest.approx(base.max_mg_per_day * k, rel=1e-9, abs=1e-300)
    if base.units_per_day is None:
        assert scaled.units_per_day is None
    else:
        assert scaled.units_per_day == pytest.approx(base.units_per_day * k, rel=1e-9, abs=1e-300)


@SETTINGS
@given(text=st.text(max_size=80))
def test_text_parser_never_raises(text: str) -> None:
    result = parse_dosage_text(text)
    assert result is not None
    check_invariants(daily_dose([Dosage.model_validate({"text": text})] if text.strip() else [], 5.0))


@SETTINGS
@given(
    words=st.lists(
        st.sampled_from(
            [
                "1",
                "2",
                "0.5",
                "½",
                "tablet",
                "mg",
                "dd",
                "x",
                "per",
                "dag",
                "times",
                "a",
                "day",
                "daily",
                "twice",
                "at",
                "night",
                "'s",
                "avonds",
                "en",
                "and",
                "max",
                "zo",
                "nodig",
                "-",
                "0",
                "every",
                "hours",
                "le",
                "soir",
                "/",
            ]
        ),
        max_size=10,
    )
)
def test_phrase_soup_never_raises(words: list[str]) -> None:
    text = " ".join(words)
    check_invariants(daily_dose([Dosage.model_validate({"text": text})] if text.strip() else [], 2.0))
