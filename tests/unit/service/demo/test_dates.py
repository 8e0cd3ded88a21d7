"""The demo's dates follow the calendar: bundles move by whole days to any today and keep their story."""

from __future__ import annotations

from datetime import date

import pytest

from service.demo.catalog import PATIENTS, load_bundle, patient_resource
from service.demo.dates import age_on, reference_day, shift_dates, shift_to, shift_value
from tests.support.facts_support import TODAY


def test_dates_move_by_whole_days_and_keep_their_time_and_zone() -> None:
    assert shift_value("2026-01-01", 10) == "2026-01-11"
    assert shift_value("2025-12-25T10:30:00+01:00", 10) == "2026-01-04T10:30:00+01:00"
    assert shift_value("2025-12-25T10:30:00.123Z", -1) == "2025-12-24T10:30:00.123Z"
    for unchanged in ("1950", "1950-04", "F10.2", "1 tablet at night", "2026-13-45", "lorazepam 2026-01-01"):
        assert shift_value(unchanged, 10) == unchanged
    nested = {"a": [{"b": "2026-01-01"}, 3, None, True], "c": "text"}
    assert shift_dates(nested, 1) == {"a": [{"b": "2026-01-02"}, 3, None, True], "c": "text"}


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2029, 2, 28), date(2035, 7, 1)])
def test_served_bundles_keep_their_story_on_any_day(today: date) -> None:
    for patient in PATIENTS:
        stored = load_bundle(patient.id)
        day = reference_day(stored)
        served = shift_to(stored, today)
        assert served["timestamp"].startswith(today.isoformat())
        assert age_on(patient_resource(served)["birthDate"], today) in {
            age_on(patient_resource(stored)["birthDate"], day) + d for d in (-1, 0, 1)
        }
        # every prescription keeps its distance from "today"
        for before, after in zip(stored["entry"], served["entry"]):
            authored = before["resource"].get("authoredOn")
            if authored:
                gap = day - date.fromisoformat(authored)
                assert today - date.fromisoformat(after["resource"]["authoredOn"]) == gap


def test_a_bundle_without_its_reference_day_is_refused() -> None:
    with pytest.raises(ValueError, match="timestamp"):
        shift_to({"resourceType": "Bundle", "type": "collection", "entry": []}, TODAY)
