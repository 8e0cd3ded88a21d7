"""How every text of the service writes numbers and dates in English, Dutch and French.

One style per language, wherever a text is made (cards, the data card, taper texts, FHIR texts):
a decimal comma in Dutch and French; a date as day, short month, year ("7 Dec 2026", "7 dec 2026",
"7 déc. 2026", the abbreviations of the Unicode CLDR, which the browser's Intl uses too). The demo
page and the planner write the same months (`i18n.js` of the planner's static files; a test compares them).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args

Language = Literal["en", "nl", "fr"]  # every text a person sees exists in each of these
LANGUAGES: tuple[Language, ...] = get_args(Language)
DECIMAL_COMMA = frozenset({"nl", "fr"})

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
}
UNKNOWN = {"en": "unknown", "nl": "onbekend", "fr": "inconnu"}


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


def format_number(value: Any, digits: int = 1, language: str = "en") -> str:
    """12.0 → "12", 12.345 → "12.3" (nl, fr: "12,3"): numbers as a clinician writes them."""
    if value is None:
        return UNKNOWN[language_or_default(language)]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    rounded = round(float(value), digits)
    text = f"{rounded:g}" if rounded != int(rounded) else str(int(rounded))
    return text.replace(".", ",") if language in DECIMAL_COMMA else text


def format_date(day: date | str | None, language: str = "en") -> str:
    """2026-12-07 → "7 Dec 2026", "7 dec 2026", "7 déc. 2026"."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    if not isinstance(day, date):
        return UNKNOWN[language_or_default(language)]
    return f"{day.day} {MONTHS[language_or_default(language)][day.month - 1]} {day.year}"
