"""Worked examples for the daily-dose parser, each checked by hand.

Every Dosage is built from R4 JSON as an EHR sends it and parsed with
``Dosage.model_validate`` so the tests exercise the real fhir.resources model.
"""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.dosage import Dosage

from service.facts.dose import DailyDose, daily_dose, parse_dosage_text, units_per_day
from service.facts.units import UCUM

GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
SCT = "http://snomed.info/sct"


def dosage(payload: dict[str, Any]) -> Dosage:
    return Dosage.model_validate(payload)


def mg(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mg", "system": UCUM, "code": "mg"}


def tablets(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "tablet", "system": SCT, "code": "732936001"}


def per(frequency: int, period: float, unit: str) -> dict[str, Any]:
    return {"repeat": {"frequency": frequency, "period": period, "periodUnit": unit}}


def assert_mg(result: DailyDose, expected: float) -> None:
    assert result.mg_per_day == pytest.approx(expected), result.derivation
    assert result.unknown_reason is None


# ----------------------------------------------------------------- the brief's worked examples


def test_alprazolam_half_mg_tid_by_frequency() -> None:
    # 0.5 mg × 3/day = 1.5 mg/day
    d = dosage({"doseAndRate": [{"doseQuantity": mg(0.5)}], "timing": per(3, 1, "d")})
    result = daily_dose([d], None)
    assert_mg(result, 1.5)
    assert result.max_mg_per_day == pytest.approx(1.5)
    assert result.as_needed is False
    assert result.derivation == "0.5 mg × 3 per 1 d = 1.5 mg/day"


def test_lorazepam_one_tablet_bid_by_timing_code() -> None:
    # 1 tablet × 1 mg × 2 = 2 mg/day
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": tablets(1)}],
            "timing": {"code": {"coding": [{"system": GTS, "code": "BID", "display": "BID"}]}},
        }
    )
    result = daily_dose([d], 1.0)
    assert_mg(result, 2.0)
    assert result.units_per_day == pytest.approx(2.0)
    assert "timing code BID" in result.derivation
    assert "1 mg/tablet" in result.derivation


def test_zolpidem_ten_mg_at_bedtime_via_when_hs() -> None:
    d = dosage({"doseAndRate": [{"doseQuantity": mg(10)}], "timing": {"repeat": {"when": ["HS"]}}})
    result = daily_dose([d], 10.0)
    assert_mg(result, 10.0)
    assert result.units_per_day == pytest.approx(1.0)  # 10 mg / 10 mg per tablet
    assert "when HS" in result.derivation


def test_diazepam_dose_range_one_to_two_tablets_of_5_mg_q8h() -> None:
    # 1–2 tablets × 5 mg × 3/day = 15–30 mg/day; the upper end is reported.
    d = dosage(
        {
            "doseAndRate": [{"doseRange": {"low": tablets(1), "high": tablets(2)}}],
            "timing": per(1, 8, "h"),
        }
    )
    result = daily_dose([d], 5.0)
    assert_mg(result, 30.0)
    assert result.min_mg_per_day == pytest.approx(15.0)
    assert result.max_mg_per_day == pytest.approx(30.0)
    assert result.units_per_day == pytest.approx(6.0)
    assert "15–30 mg/day" in result.derivation


def test_as_needed_with_maximum_of_three_tablets_a_day() -> None:
    d = dosage(
        {
            "asNeededBoolean": True,
            "doseAndRate": [{"doseQuantity": tablets(1)}],
            "maxDosePerPeriod": {
                "numerator": tablets(3),
                "denominator": {"value": 1, "unit": "day", "system": UCUM, "code": "d"},
            },
        }
    )
    result = daily_dose([d], 1.0)
    assert_mg(result, 3.0)
    assert result.as_needed is True
    assert result.min_mg_per_day == 0.0
    assert result.units_per_day == pytest.approx(3.0)
    assert result.derivation.startswith("as needed")


def test_day_of_week_mon_wed_fri_scales_to_three_sevenths() -> None:
    # 7 mg once a day on 3 of 7 days = 3 mg/day on average
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(7)}],
            "timing": {
                "repeat": {"frequency": 1, "period": 1, "periodUnit": "d", "dayOfWeek": ["mon", "wed", "fri"]}
            },
        }
    )
    result = daily_dose([d], None)
    assert_mg(result, 3.0)
    assert "3/7" in result.derivation


def test_microgram_units() -> None:
    # 250 µg × 2/day = 0.5 mg/day, for each spelling of micrograms
    for quantity in (
        {"value": 250, "unit": "µg", "system": UCUM, "code": "ug"},
        {"value": 250, "unit": "mcg"},
        {"value": 250, "unit": "ug"},
        {"value": 250, "unit": "μg"},  # Greek mu
    ):
        d = dosage({"doseAndRate": [{"doseQuantity": quantity}], "timing": per(2, 1, "d")})
        assert_mg(daily_dose([d], None), 0.5)


def test_gram_units() -> None:
    # 0.001 g = 1 mg, once a day
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": {"value": 0.001, "unit": "g", "system": UCUM, "code": "g"}}],
            "timing": per(1, 1, "d"),
        }
    )
    assert_mg(daily_dose([d], None), 1.0)


def test_tablets_without_strength_are_unknown_but_count_units() -> None:
    d = dosage({"doseAndRate": [{"doseQuantity": tablets(2)}], "timing": per(1, 1, "d")})
    result = daily_dose([d], None)
    assert result.mg_per_day is None
    assert result.unknown_reason == "dose in tablets but product strength unknown"
    assert result.units_per_day == pytest.approx(2.0)
    assert result.known is False


def test_dutch_text_only_two_dd_one_tablet() -> None:
    result = daily_dose([dosage({"text": "2 dd 1 tablet"})], 10.0)
    assert_mg(result, 20.0)
    assert result.derivation.startswith("from text '2 dd 1 tablet'")


def test_garbage_text_is_unknown() -> None:
    result = daily_dose([dosage({"text": "zie schema trombosedienst / see letter"})], 10.0)
    assert result.mg_per_day is None
    assert result.unknown_reason and "not understood" in result.unknown_reason


def test_two_concurrent_dosages_are_summed() -> None:
    # 1 mg in the morning + 2 mg at night = 3 mg/day
    morning = dosage({"doseAndRate": [{"doseQuantity": mg(1)}], "timing": {"repeat": {"when": ["MORN"]}}})
    night = dosage({"doseAndRate": [{"doseQuantity": mg(2)}], "timing": {"repeat": {"when": ["NIGHT"]}}})
    result = daily_dose([morning, night], None)
    assert_mg(result, 3.0)
    assert "total 3 mg/day" in result.derivation


def test_same_sequence_number_is_concurrent() -> None:
    a = dosage({"sequence": 1, "doseAndRate": [{"doseQuantity": mg(1)}], "timing": per(1, 1, "d")})
    b = dosage({"sequence": 1, "doseAndRate": [{"doseQuantity": mg(2)}], "timing": per(1, 1, "d")})
    assert_mg(daily_dose([a, b], None), 3.0)


def test_sequential_dosages_report_first_step_and_highest_step() -> None:
    # A taper written out of order: step 1 = 2 mg BID (4 mg/day), step 2 = 3 mg BID (6 mg/day).
    step2 = dosage({"sequence": 2, "doseAndRate": [{"doseQuantity": mg(3)}], "timing": per(2, 1, "d")})
    step1 = dosage({"sequence": 1, "doseAndRate": [{"doseQuantity": mg(2)}], "timing": per(2, 1, "d")})
    result = daily_dose([step2, step1], None)
    assert_mg(result, 4.0)
    assert result.max_mg_per_day == pytest.approx(6.0)
    assert "step 1 (sequence 1)" in result.derivation


def test_zero_period_is_unknown() -> None:
    d = dosage({"doseAndRate": [{"doseQuantity": mg(5)}], "timing": per(1, 0, "d")})
    result = daily_dose([d], None)
    assert result.mg_per_day is None
    assert result.unknown_reason == "period is 0"


# ----------------------------------------------------------------- further edge cases


def test_negative_period_and_negative_dose_are_unknown() -> None:
    negative_period = dosage({"doseAndRate": [{"doseQuantity": mg(5)}], "timing": per(1, -1, "d")})
    assert daily_dose([negative_period], None).unknown_reason == "period is negative"
    negative_dose = dosage({"doseAndRate": [{"doseQuantity": mg(-5)}], "timing": per(1, 1, "d")})
    assert daily_dose([negative_dose], None).unknown_reason == "negative dose"


def test_zero_dose_is_zero() -> None:
    d = dosage({"doseAndRate": [{"doseQuantity": mg(0)}], "timing": per(1, 1, "d")})
    assert_mg(daily_dose([d], None), 0.0)


def test_enormous_values_do_not_raise() -> None:
    d = dosage(
        {"doseAndRate": [{"doseQuantity": {"value": "1E+400", "unit": "mg"}}], "timing": per(1, 1, "d")}
    )
    result = daily_dose([d], None)
    assert result.mg_per_day is None
    d = dosage(
        {"doseAndRate": [{"doseQuantity": {"value": 1e300, "unit": "g"}}], "timing": per(1000, 1, "s")}
    )
    result = daily_dose([d], 1e300)
    assert result.mg_per_day is None and result.unknown_reason == "dose out of range"


def test_no_dosages_and_empty_dosage() -> None:
    assert daily_dose([], 1.0).unknown_reason == "no dosage instructions"
    assert daily_dose(None, 1.0).mg_per_day is None
    assert daily_dose([dosage({})], 1.0).unknown_reason == "no dose quantity"


def test_dose_without_frequency_is_unknown() -> None:
    d = dosage({"doseAndRate": [{"doseQuantity": mg(5)}]})
    assert daily_dose([d], None).unknown_reason == "no frequency or timing"


def test_frequency_max_gives_range() -> None:
    # 1 tablet 1–2 times a day × 2 mg = 2–4 mg/day
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": tablets(1)}],
            "timing": {"repeat": {"frequency": 1, "frequencyMax": 2, "period": 1, "periodUnit": "d"}},
        }
    )
    result = daily_dose([d], 2.0)
    assert_mg(result, 4.0)
    assert result.min_mg_per_day == pytest.approx(2.0)


def test_period_max_gives_range() -> None:
    # 1 mg every 4–6 hours = 4–6 mg/day
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "timing": {"repeat": {"frequency": 1, "period": 4, "periodMax": 6, "periodUnit": "h"}},
        }
    )
    result = daily_dose([d], None)
    assert_mg(result, 6.0)
    assert result.min_mg_per_day == pytest.approx(4.0)


def test_when_with_several_events_and_time_of_day() -> None:
    two_events = dosage(
        {"doseAndRate": [{"doseQuantity": mg(1)}], "timing": {"repeat": {"when": ["MORN", "NIGHT"]}}}
    )
    assert_mg(daily_dose([two_events], None), 2.0)
    three_times = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "timing": {"repeat": {"timeOfDay": ["08:00:00", "14:00:00", "20:00:00"]}},
        }
    )
    assert_mg(daily_dose([three_times], None), 3.0)
    # frequency 1 per day listed at two occasions: each listed occasion counts
    both = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["MORN", "EVE"]}},
        }
    )
    assert_mg(daily_dose([both], None), 2.0)


@pytest.mark.parametrize(
    ("code", "per_day"),
    [
        ("BID", 2),
        ("TID", 3),
        ("QID", 4),
        ("AM", 1),
        ("PM", 1),
        ("QD", 1),
        ("QOD", 0.5),
        ("Q1H", 24),
        ("Q2H", 12),
        ("Q3H", 8),
        ("Q4H", 6),
        ("Q6H", 4),
        ("Q8H", 3),
        ("BED", 1),
        ("WK", 1 / 7),
        ("MO", 1 / 30.4375),
        ("Q12H", 2),
    ],
)
def test_every_timing_abbreviation(code: str, per_day: float) -> None:
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "timing": {"code": {"coding": [{"system": GTS, "code": code}]}},
        }
    )
    assert_mg(daily_dose([d], None), per_day)


def test_repeat_takes_precedence_over_code() -> None:
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "timing": {
                "repeat": {"frequency": 3, "period": 1, "periodUnit": "d"},
                "code": {"coding": [{"system": GTS, "code": "BID"}]},
            },
        }
    )
    assert_mg(daily_dose([d], None), 3.0)


def test_unknown_timing_code_is_unknown() -> None:
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "timing": {"code": {"coding": [{"system": GTS, "code": "JB"}]}},
        }
    )
    result = daily_dose([d], None)
    assert result.mg_per_day is None and "not recognised" in (result.unknown_reason or "")


def test_as_needed_without_maximum_uses_schedule() -> None:
    d = dosage(
        {
            "asNeededCodeableConcept": {"text": "anxiety"},
            "doseAndRate": [{"doseQuantity": mg(0.5)}],
            "timing": per(3, 1, "d"),
        }
    )
    result = daily_dose([d], None)
    assert_mg(result, 1.5)
    assert result.as_needed and result.min_mg_per_day == 0.0
    assert result.derivation.startswith("as needed, at most 0.5 mg")


def test_as_needed_schedule_capped_by_maximum() -> None:
    # 1 tablet q4h prn (6/day) but max 4 tablets per day → 4 × 2 mg = 8 mg/day
    d = dosage(
        {
            "asNeededBoolean": True,
            "doseAndRate": [{"doseQuantity": tablets(1)}],
            "timing": per(1, 4, "h"),
            "maxDosePerPeriod": {
                "numerator": tablets(4),
                "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"},
            },
        }
    )
    result = daily_dose([d], 2.0)
    assert_mg(result, 8.0)
    assert "capped" in result.derivation


def test_as_needed_uses_the_maximum_per_period_even_above_the_schedule() -> None:
    # "1 tablet once a day when needed, at most 2 tablets a day": an EHR's default frequency on a PRN
    # order. The prescriber allows 2 a day, so the daily dose is 2 × 1 mg = 2 mg, and says so.
    d = dosage(
        {
            "asNeededBoolean": True,
            "doseAndRate": [{"doseQuantity": tablets(1)}],
            "timing": per(1, 1, "d"),
            "maxDosePerPeriod": {
                "numerator": tablets(2),
                "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"},
            },
        }
    )
    result = daily_dose([d], 1.0)
    assert_mg(result, 2.0)
    assert result.units_per_day == pytest.approx(2.0)
    assert result.as_needed and result.min_mg_per_day == 0.0
    assert "maximum per period (maxDosePerPeriod) 2 tablet per 1 d" in result.derivation


def test_as_needed_without_a_schedule_names_the_maximum_per_period() -> None:
    d = dosage(
        {
            "asNeededCodeableConcept": {"text": "anxiety"},
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "maxDosePerPeriod": {"numerator": mg(3), "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"}},
        }
    )
    result = daily_dose([d], None)
    assert_mg(result, 3.0)
    assert "maximum per period (maxDosePerPeriod) 3 mg per 1 d" in result.derivation


def test_a_scheduled_order_is_only_capped_by_its_maximum_per_period() -> None:
    # Not as needed: 1 mg twice a day with a maximum of 4 mg a day is 2 mg a day, not 4.
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "timing": per(2, 1, "d"),
            "maxDosePerPeriod": {"numerator": mg(4), "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"}},
        }
    )
    assert_mg(daily_dose([d], None), 2.0)


def test_as_needed_without_anything_is_unknown() -> None:
    d = dosage({"asNeededBoolean": True, "doseAndRate": [{"doseQuantity": mg(1)}]})
    result = daily_dose([d], None)
    assert result.mg_per_day is None and result.as_needed
    assert result.unknown_reason == "as needed without a frequency or a maximum dose"


def test_as_needed_flag_only_when_all_concurrent_entries_are_prn() -> None:
    scheduled = dosage({"doseAndRate": [{"doseQuantity": mg(2)}], "timing": {"repeat": {"when": ["NIGHT"]}}})
    prn = dosage(
        {"asNeededBoolean": True, "doseAndRate": [{"doseQuantity": mg(1)}], "timing": per(2, 1, "d")}
    )
    result = daily_dose([scheduled, prn], None)
    assert_mg(result, 4.0)
    assert result.min_mg_per_day == pytest.approx(2.0)
    assert result.as_needed is False


def test_half_tablet_unit_and_dutch_count_units() -> None:
    half = dosage(
        {"doseAndRate": [{"doseQuantity": {"value": 1, "unit": "half tablet"}}], "timing": per(1, 1, "d")}
    )
    assert_mg(daily_dose([half], 10.0), 5.0)
    for unit in ("stuk", "tablet(ten)", "comprimé", "{tbl}", "caps"):
        d = dosage({"doseAndRate": [{"doseQuantity": {"value": 2, "unit": unit}}], "timing": per(1, 1, "d")})
        assert_mg(daily_dose([d], 2.5), 5.0)


def test_ucum_unity_and_annotations() -> None:
    for code in ("1", "{tbl}", "{tablet}", "{capsule}"):
        d = dosage(
            {
                "doseAndRate": [{"doseQuantity": {"value": 1, "system": UCUM, "code": code}}],
                "timing": per(2, 1, "d"),
            }
        )
        assert_mg(daily_dose([d], 5.0), 10.0)


def test_puff_is_not_convertible() -> None:
    d = dosage({"doseAndRate": [{"doseQuantity": {"value": 2, "unit": "puff"}}], "timing": per(2, 1, "d")})
    assert daily_dose([d], 1.0).unknown_reason == "unit 'puff' not convertible to mg"


def test_millilitres_need_a_concentration() -> None:
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": {"value": 2.5, "unit": "mL", "system": UCUM, "code": "mL"}}],
            "timing": per(2, 1, "d"),
        }
    )
    assert daily_dose([d], None).unknown_reason == "dose in mL but concentration (mg/mL) unknown"
    assert_mg(daily_dose([d], None, mg_per_ml=2.0), 10.0)


def test_text_fills_in_missing_frequency() -> None:
    d = dosage({"text": "1 tablet voor de nacht", "doseAndRate": [{"doseQuantity": tablets(1)}]})
    assert_mg(daily_dose([d], 10.0), 10.0)


def test_explicit_event_times() -> None:
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(1)}],
            "timing": {
                "event": [
                    "2024-05-01T08:00:00+02:00",
                    "2024-05-01T20:00:00+02:00",
                    "2024-05-02T08:00:00+02:00",
                ]
            },
        }
    )
    assert_mg(daily_dose([d], None), 2.0)


def test_weekly_period_with_days() -> None:
    d = dosage(
        {
            "doseAndRate": [{"doseQuantity": mg(7)}],
            "timing": {"repeat": {"period": 1, "periodUnit": "wk", "dayOfWeek": ["sat", "sun"]}},
        }
    )
    assert_mg(daily_dose([d], None), 2.0)


def test_units_per_day_helper() -> None:
    d = dosage({"doseAndRate": [{"doseQuantity": tablets(1)}], "timing": per(3, 1, "d")})
    assert units_per_day([d]) == pytest.approx(3.0)
    mg_dose = dosage({"doseAndRate": [{"doseQuantity": mg(10)}], "timing": per(2, 1, "d")})
    assert units_per_day([mg_dose], 5.0) == pytest.approx(4.0)
    assert units_per_day([mg_dose]) is None


def test_invalid_strength_is_treated_as_unknown() -> None:
    d = dosage({"doseAndRate": [{"doseQuantity": tablets(1)}], "timing": per(1, 1, "d")})
    for strength in (0.0, -1.0, float("nan"), float("inf")):
        assert daily_dose([d], strength).mg_per_day is None


# ----------------------------------------------------------------- text phrases


@pytest.mark.parametrize(
    ("text", "strength", "expected"),
    [
        ("1 tablet 3 times a day", 2.0, 6.0),
        ("0.5 mg twice daily", None, 1.0),
        ("0,5 mg 2 maal daags", None, 1.0),
        ("1 at night", 10.0, 10.0),
        ("1 tablet voor de nacht", 10.0, 10.0),
        ("2 dd 1 tablet", 10.0, 20.0),
        ("3x per dag 1", 5.0, 15.0),
        ("1 comprimé le soir", 7.5, 7.5),
        ("½ tablet 's avonds", 10.0, 5.0),
        ("een halve tablet voor het slapen", 10.0, 5.0),
        ("1 tablet 's ochtends en 's avonds", 1.0, 2.0),
        ("1-0-1", 2.0, 4.0),
        ("1 tablet every 8 hours", 1.0, 3.0),
        ("1 tablet om de dag", 10.0, 5.0),
        ("trois fois par jour 1 comprimé", 1.0, 3.0),
        ("1-2 tablets at bedtime", 5.0, 10.0),
    ],
)
def test_text_phrases(text: str, strength: float | None, expected: float) -> None:
    assert_mg(daily_dose([dosage({"text": text})], strength), expected)


def test_text_as_needed_with_maximum() -> None:
    result = daily_dose([dosage({"text": "1 tablet zo nodig, max 3 per dag"})], 10.0)
    assert_mg(result, 30.0)
    assert result.as_needed


@pytest.mark.parametrize(
    "text",
    [
        "take as directed",
        "diazepam 5 mg tablet, 1 tablet twice daily",  # two doses: do not guess
        "1 tablet 's avonds voor de nacht",  # two occasions not joined by "and"
        "1 tablet twice daily three times a day",
        "2 puffs twice daily",
        "",
    ],
)
def test_unclear_text_is_unknown(text: str) -> None:
    assert daily_dose([dosage({"text": text} if text else {})], 10.0).mg_per_day is None


def test_parse_dosage_text_returns_reason_string() -> None:
    assert parse_dosage_text("2 puffs twice daily") == "unit 'puffs' not convertible to mg"


def test_frequency_without_period_is_completed_from_text() -> None:
    d = dosage(
        {
            "text": "1 tablet 3 times a day",
            "doseAndRate": [{"doseQuantity": tablets(1)}],
            "timing": {"repeat": {"frequency": 3}},
        }
    )
    assert_mg(daily_dose([d], 2.0), 6.0)
    without_text = dosage(
        {"doseAndRate": [{"doseQuantity": tablets(1)}], "timing": {"repeat": {"frequency": 3}}}
    )
    assert daily_dose([without_text], 2.0).unknown_reason == "frequency without a period"
