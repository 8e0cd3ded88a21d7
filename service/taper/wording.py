"""How the taper texts write numbers, dates and filled-in templates in English, Dutch and French.

Dutch and French take a decimal comma; every language writes a date as day, short month, year
(1 Dec 2026, 1 dec 2026, 1 déc. 2026). A value given as {language: text} (a drug name, a label) is
said in the template's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

__all__ = ["LANGUAGES", "elide", "fill", "fmt_date", "fmt_number", "in_country", "language_or_default", "said"]

LANGUAGES = ("en", "nl", "fr")

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
}


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


def fmt_number(value: float, language: str = "en", decimals: int = 4) -> str:
    """2.5 -> '2.5' (en) or '2,5' (nl, fr); at most `decimals` decimals, no trailing zeros."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",") if language in ("nl", "fr") else text


def fmt_date(day: date, language: str = "en") -> str:
    return f"{day.day} {_MONTHS[language_or_default(language)][day.month - 1]} {day.year}"


def said(value: Any, language: str) -> str:
    """A value as the language says it: {lang: text} picks the language, floats take its decimal mark."""
    if isinstance(value, Mapping):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return fmt_number(value, language)
    if isinstance(value, date):
        return fmt_date(value, language)
    return str(value)


def in_country(name: str, language: str) -> str:
    """'in Belgium', 'in België', 'en Belgique' / 'aux Pays-Bas' (French plural country names take 'aux')."""
    plural = name.endswith("s") or name.startswith(("United", "Verenigde"))  # the Netherlands, the United States
    if language == "fr":
        return f"aux {name}" if plural else f"en {name}"
    if language == "en" and plural:
        return f"in the {name}"
    if language == "nl" and name.startswith("Verenigde"):
        return f"in de {name}"
    return f"in {name}"


class _Missing(dict[str, str]):
    """Leaves an unknown placeholder visible instead of failing a rendering."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_ELISION = re.compile(r"\b([dD])e ([aeiouyàâéèêëîïôûAEIOUYÉ])")


def elide(text: str, language: str) -> str:
    """French elision before a vowel: 'de oxazépam' -> "d'oxazépam" (drug names are filled in late)."""
    return _ELISION.sub(r"\1'\2", text) if language == "fr" else text


def fill(templates: Mapping[str, str], values: Mapping[str, Any], language: str) -> str:
    """The template in the language (English when missing), filled with the values as it says them."""
    language = language_or_default(language)
    template = templates.get(language) or templates["en"]
    filled = {key: said(value, language) for key, value in values.items()}
    if "market" in filled:
        filled["in_market"] = in_country(filled["market"], language)
    return elide(template.format_map(_Missing(filled)), language)
