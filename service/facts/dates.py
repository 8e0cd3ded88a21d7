"""FHIR date and dateTime values (which may be partial: "2026", "2026-09") as calendar dates."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any


def as_date(value: Any, *, end: bool = False) -> date | None:
    """A `date` for a FHIR date/dateTime; a partial date is its first day, or its last when `end`."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    parts = value.split("T")[0].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
        day = int(parts[2]) if len(parts) > 2 else (calendar.monthrange(year, month)[1] if end else 1)
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


def age_on(birth_date: Any, on: date) -> int | None:
    born = as_date(birth_date)
    if born is None or born > on:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
