"""Keep the demo patients' histories current: move every date in a bundle to the server's today.

Each demo bundle is written as seen on one day, its reference day, which is the date of
`Bundle.timestamp` (2026-01-01 in the shipped files). A prescription "written 120 days ago" is stored
as 120 days before that day. When a bundle is served, every FHIR `date`, `dateTime` and `instant` in
it is moved by the same number of days, `today - reference day`, so the story stays true on any
day: the prescription is again 120 days old, a taper step that starts on the reference day starts
today, and ages (from `birthDate`) stay what the story says.

Only complete dates are moved (`2025-09-03`, `2025-09-03T10:30:00+01:00`); a year or a year-month
(`1950`, `1950-04`) is left as it is, and so is text (no dates are written in narrative fields).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})((?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)$")


def reference_day(bundle: dict[str, Any]) -> date:
    """The day the bundle is written as of: the date of `Bundle.timestamp`."""
    stamp = bundle.get("timestamp")
    match = _DATE.match(stamp) if isinstance(stamp, str) else None
    if match is None:
        raise ValueError("a demo bundle needs a timestamp (its reference day), e.g. 2026-01-01T09:00:00+01:00")
    return date.fromisoformat(match.group(1))


def shift_value(value: str, days: int) -> str:
    """`value` moved by `days` if it is a complete FHIR date or dateTime; any other string unchanged."""
    match = _DATE.match(value)
    if match is None:
        return value
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:  # looks like a date but is not one (2026-02-30): not ours to fix
        return value
    return (day + timedelta(days=days)).isoformat() + match.group(2)


def shift_dates(data: Any, days: int) -> Any:
    """A copy of a JSON value with every complete date moved by `days` days."""
    if isinstance(data, dict):
        return {key: shift_dates(value, days) for key, value in data.items()}
    if isinstance(data, list):
        return [shift_dates(item, days) for item in data]
    if isinstance(data, str):
        return shift_value(data, days)
    return data


def shift_to(bundle: dict[str, Any], today: date) -> dict[str, Any]:
    """The bundle as it looks when its reference day is `today`."""
    return shift_dates(bundle, (today - reference_day(bundle)).days)


def age_on(birth_date: str | None, today: date) -> int | None:
    """Whole years on `today`, or None for a missing or partial birth date."""
    if not birth_date or not re.match(r"^\d{4}-\d{2}-\d{2}$", birth_date):
        return None
    born = date.fromisoformat(birth_date)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
