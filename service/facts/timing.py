"""Administrations per day from a FHIR R4 Timing, and from common sig phrases.

All numbers here are definitions (BID = 2 per day, 1 wk = 7 d, UCUM mean month
= 30.4375 d), not clinical figures.  Results are ranges (low, high) because
frequencyMax and periodMax make a schedule a range.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from .dates import as_date
from .units import to_float

GTS_SYSTEMS = frozenset(
    {
        "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
        "http://hl7.org/fhir/v3/GTSAbbreviation",
    }
)

# UCUM time units allowed in Timing.repeat.periodUnit, in days.
DAYS_PER_UNIT: dict[str, float] = {
    "s": 1 / 86400,
    "min": 1 / 1440,
    "h": 1 / 24,
    "d": 1.0,
    "wk": 7.0,
    "mo": 30.4375,  # UCUM mean Julian month
    "a": 365.25,  # UCUM Julian year
}
# Time units as they appear in Quantity.unit/code (e.g. maxDosePerPeriod denominators).
TIME_WORDS: dict[str, float] = {
    **DAYS_PER_UNIT,
    **dict.fromkeys(["sec", "second", "seconds"], 1 / 86400),
    **dict.fromkeys(["minute", "minutes", "minuut", "minuten"], 1 / 1440),
    **dict.fromkeys(["hr", "hrs", "hour", "hours", "uur", "heure", "heures"], 1 / 24),
    **dict.fromkeys(["day", "days", "dag", "dagen", "jour", "jours", "24h", "24 h", "24 uur"], 1.0),
    **dict.fromkeys(["week", "weeks", "weken", "semaine", "semaines"], 7.0),
    **dict.fromkeys(["month", "months", "maand", "maanden", "mois"], 30.4375),
    **dict.fromkeys(["year", "years", "jaar", "an", "ans"], 365.25),
}

# The R4 value set timing-abbreviation (16 codes from v3-GTSAbbreviation):
# code -> (administrations, period, periodUnit).
GTS_ABBREVIATIONS: dict[str, tuple[int, float, str]] = {
    "BID": (2, 1, "d"),
    "TID": (3, 1, "d"),
    "QID": (4, 1, "d"),
    "AM": (1, 1, "d"),
    "PM": (1, 1, "d"),
    "QD": (1, 1, "d"),
    "QOD": (1, 2, "d"),
    "Q1H": (1, 1, "h"),
    "Q2H": (1, 2, "h"),
    "Q3H": (1, 3, "h"),
    "Q4H": (1, 4, "h"),
    "Q6H": (1, 6, "h"),
    "Q8H": (1, 8, "h"),
    "BED": (1, 1, "d"),
    "WK": (1, 1, "wk"),
    "MO": (1, 1, "mo"),
}
# Codes EHRs send that are not in the R4 value set but are unambiguous.
NONSTANDARD_ABBREVIATIONS: dict[str, tuple[int, float, str]] = {
    "Q12H": (1, 12, "h"),
    "Q24H": (1, 24, "h"),
    "HS": (1, 1, "d"),
    "QHS": (1, 1, "d"),
    "QAM": (1, 1, "d"),
    "QPM": (1, 1, "d"),
    "QW": (1, 1, "wk"),
}

# Timing.repeat.when (R4 event-timing value set): each listed code is one
# occasion a day.  The generic meal codes (C, AC, PC, IC: "at/before/after/
# between a meal") name no particular meal and are counted as three.
SINGLE_DAILY_EVENTS = frozenset(
    {
        "MORN",
        "MORN.early",
        "MORN.late",
        "NOON",
        "AFT",
        "AFT.early",
        "AFT.late",
        "EVE",
        "EVE.early",
        "EVE.late",
        "NIGHT",
        "PHS",
        "HS",
        "WAKE",
        "CM",
        "CD",
        "CV",
        "ACM",
        "ACD",
        "ACV",
        "PCM",
        "PCD",
        "PCV",
        "ICM",
        "ICD",
        "ICV",
    }
)
MEAL_EVENTS = frozenset({"C", "AC", "PC", "IC"})
MEALS_PER_DAY = 3
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def duration_in_days(quantity: Any, missing_value: float | None = None) -> float | None:
    """A FHIR Duration/Quantity of time (`30 d`, `4 wk`, `1 mo`, unit words in en/nl/fr) in days.

    `missing_value` stands in for an absent value (a ratio's "per day" often has none). Only a
    positive, finite number of days is an answer; anything else is None.
    """
    if quantity is None:
        return None
    value = to_float(quantity.value) if getattr(quantity, "value", None) is not None else missing_value
    if value is None or value <= 0:
        return None
    for word in (getattr(quantity, "code", None), getattr(quantity, "unit", None)):
        key = (word or "").strip().lower()
        factor = TIME_WORDS.get(key) or TIME_WORDS.get(key.rstrip("s"))
        if factor is not None:
            days = value * factor
            return days if 0 < days < float("inf") else None
    return None


@dataclass(frozen=True, slots=True)
class Rate:
    """Administrations per day (low ≤ high) and how that was read."""

    low: float
    high: float
    text: str


@dataclass(frozen=True, slots=True)
class NoRate:
    """No usable rate.  ``absent``: nothing was said; ``invalid``: it was said wrongly."""

    reason: str
    kind: Literal["absent", "invalid"] = "absent"


@lru_cache(maxsize=4096, typed=True)  # pure; derivations show the same few numbers over and over
def fmt(x: float) -> str:
    """Short human-readable number: 1.5, 15, 0.3333, 1e+09."""
    if x == 0:
        return "0"
    if abs(x) >= 1e6 or abs(x) < 1e-4:
        return f"{x:.4g}"
    return f"{x:.4f}".rstrip("0").rstrip(".")


def fmt_span(low: float, high: float) -> str:
    return fmt(low) if low == high else f"{fmt(low)}–{fmt(high)}"


def _period_text(period: float, unit: str) -> str:
    return "day" if (period, unit) == (1, "d") else f"{fmt(period)} {unit}"


def _abbreviation_rate(code: str, *, standard: bool) -> Rate:
    table = GTS_ABBREVIATIONS if standard else NONSTANDARD_ABBREVIATIONS
    count, period, unit = table[code]
    per_day = count / (period * DAYS_PER_UNIT[unit])
    note = "" if standard else ", not in the R4 value set"
    return Rate(per_day, per_day, f"{count} per {_period_text(period, unit)} (timing code {code}{note})")


def rate_from_code(code: Any) -> Rate | None:
    """Rate from Timing.code (a CodeableConcept), or None if it says nothing we know."""
    if code is None:
        return None
    for coding in code.coding or []:
        value = (coding.code or "").strip().upper()
        if coding.system and coding.system not in GTS_SYSTEMS:
            continue
        if value in GTS_ABBREVIATIONS:
            return _abbreviation_rate(value, standard=True)
        if value in NONSTANDARD_ABBREVIATIONS:
            return _abbreviation_rate(value, standard=False)
    text = (code.text or "").strip()
    if text.upper() in GTS_ABBREVIATIONS:
        return _abbreviation_rate(text.upper(), standard=True)
    if text.upper() in NONSTANDARD_ABBREVIATIONS:
        return _abbreviation_rate(text.upper(), standard=False)
    if text:
        phrase = frequency_from_text(text)
        if isinstance(phrase, Rate):
            return Rate(phrase.low, phrase.high, f"{phrase.text} (timing text '{text}')")
    return None


def _daily_events(when: list[Any] | None, times: list[Any] | None) -> tuple[int, list[str]]:
    """Occasions per day named by repeat.when and repeat.timeOfDay (their union)."""
    count = 0
    notes: list[str] = []
    codes = [str(c) for c in dict.fromkeys(when or []) if c]
    if codes:
        meals = [c for c in codes if c in MEAL_EVENTS]
        unknown = [c for c in codes if c not in SINGLE_DAILY_EVENTS and c not in MEAL_EVENTS]
        count += len(codes) - len(meals) + MEALS_PER_DAY * len(meals)
        note = f"when {', '.join(codes)}"
        if meals:
            note += f"; {', '.join(meals)} counted as {MEALS_PER_DAY} meals a day"
        if unknown:
            note += f"; unrecognised {', '.join(unknown)} counted once each"
        notes.append(note)
    clock = sorted({t.strftime("%H:%M") if isinstance(t, dt.time) else str(t) for t in times or [] if t})
    if clock:
        count += len(clock)
        notes.append(f"at {', '.join(clock)}")
    return count, notes


def _sorted(a: float, b: float) -> tuple[float, float]:
    return (a, b) if a <= b else (b, a)


def _repeat_period(repeat: Any, has_frequency: bool) -> tuple[float, float, str] | NoRate:
    """The period as (shortest, longest, UCUM unit), or why it cannot be used.

    A frequency without its period is "per 1 unit"; when/timeOfDay/dayOfWeek alone describe a day.
    """
    unit = repeat.periodUnit
    if repeat.period is not None:
        period = to_float(repeat.period)
        if period is None:
            return NoRate("period is not a finite number", "invalid")
        if unit is None:
            return NoRate("period without a periodUnit", "invalid")
    elif has_frequency:
        if unit is None:
            return NoRate("frequency without a period")  # "absent": Dosage.text may say it
        period = 1.0  # "3 per d" with the period itself left out
    else:
        period, unit = 1.0, "d"
    if unit not in DAYS_PER_UNIT:
        return NoRate(f"unknown period unit '{unit}'", "invalid")
    if period <= 0:
        return NoRate("period is 0" if period == 0 else "period is negative", "invalid")
    period_max = to_float(repeat.periodMax)
    if period_max is None or period_max <= 0:
        period_max = period
    p_low, p_high = _sorted(period, period_max)
    if not (p_low * DAYS_PER_UNIT[unit] > 0 and p_high * DAYS_PER_UNIT[unit] < float("inf")):
        return NoRate("period out of range", "invalid")
    return p_low, p_high, unit


def _on_weekdays(low: float, high: float, days: list[str], events: int, shortest_days: float, notes: list[str]) -> tuple[float, float]:
    """The rate on the listed weekdays only; `notes` gains how they were counted."""
    if not days or len(days) >= 7:
        return low, high
    if shortest_days < 7:
        share = len(days) / 7
        notes.append(f"on {', '.join(days)} only: × {len(days)}/7")
        return low * share, high * share
    # A weekly (or longer) cycle: at least one dose on each listed day.
    per_day = len(days) * max(events, 1) / 7
    notes.append(f"on {', '.join(days)}")
    return max(low, per_day), max(high, per_day)


def rate_from_repeat(repeat: Any) -> Rate | NoRate | None:
    """Rate from Timing.repeat; None if it carries no frequency information at all."""
    if repeat is None:
        return None
    freq, freq_max = repeat.frequency, repeat.frequencyMax
    events, notes = _daily_events(repeat.when, repeat.timeOfDay)
    days = [d for d in WEEKDAYS if d in set(repeat.dayOfWeek or [])]
    has_period = repeat.period is not None
    has_frequency = freq is not None or freq_max is not None
    if not has_frequency and not has_period and not events and not days:
        if repeat.count == 1 and repeat.countMax in (None, 1):
            return Rate(1.0, 1.0, "a single administration (count 1)")
        return None
    period = _repeat_period(repeat, has_frequency)
    if isinstance(period, NoRate):
        return period
    p_low, p_high, unit = period
    d_low, d_high = p_low * DAYS_PER_UNIT[unit], p_high * DAYS_PER_UNIT[unit]

    f_low = freq if freq is not None else (freq_max if freq_max is not None else 1)
    f_high = freq_max if freq_max is not None else f_low
    f_low, f_high = _sorted(f_low, f_high)
    per_low, per_high = max(f_low, events), max(f_high, events)
    if events and (freq is not None and freq != events):
        notes.append(f"{events} listed occasions vs frequency {freq}: the larger is used")

    period_str = fmt_span(p_low, p_high) + f" {unit}"
    if not has_frequency and not has_period:
        period_str = "day"
    text = f"{fmt_span(per_low, per_high)} per {period_str}"
    low, high = _on_weekdays(per_low / d_high, per_high / d_low, days, events, d_low, notes)
    if notes:
        text += f" ({'; '.join(notes)})"
    if not (low >= 0 and high < float("inf")):
        return NoRate("frequency out of range", "invalid")
    return Rate(low, high, text)


def rate_from_events(events: list[Any] | None) -> Rate | None:
    """Explicit Timing.event date-times: the busiest calendar day counts."""
    keys: list[Any] = []
    for event in events or []:
        if isinstance(event, dt.datetime):
            keys.append(event.date())
        elif isinstance(event, str):
            keys.append(as_date(event) or event)
        elif event is not None:
            keys.append(event)
    if not keys:
        return None
    busiest = max(Counter(keys).values())
    return Rate(float(busiest), float(busiest), f"{busiest} per day (explicit event times, busiest day)")


def administrations_per_day(timing: Any) -> Rate | NoRate:
    """How often per day a Timing says to give a dose.

    Precedence: repeat (the structured data), then the timing code (which R4
    calls a complete statement of the same schedule), then explicit events.
    """
    if timing is None:
        return NoRate("no frequency or timing")
    from_repeat = rate_from_repeat(timing.repeat)
    if from_repeat is not None:
        return from_repeat
    from_code = rate_from_code(timing.code)
    if from_code is not None:
        return from_code
    from_events = rate_from_events(timing.event)
    if from_events is not None:
        return from_events
    if timing.code is not None:
        shown = timing.code.text or ", ".join(c.code or "?" for c in timing.code.coding or [])
        return NoRate(f"timing code '{shown}' not recognised")
    return NoRate("no frequency in timing")


# ---------------------------------------------------------------------------
# Free-text sig phrases (English, Dutch, French).  Each entry:
# (pattern, kind, per-day function of the match).  "freq" phrases state a
# frequency; "event" phrases name one occasion a day and add up when joined by
# "and"/"en"/"et" ("in the morning and at night" = 2).  Order matters: earlier
# patterns win overlapping text.

_N = r"(?P<n>\d+(?:\.\d+)?)"
_DAY = r"(?:day|daily|dag|daags|jour|24\s*(?:h|hrs?|hours?|uur))"


def _n(m: re.Match[str]) -> float:
    return float(m.group("n"))


def _const(value: float) -> Callable[[re.Match[str]], float]:
    return lambda _m: value


TEXT_FREQUENCIES: list[tuple[str, str, Callable[[re.Match[str]], float]]] = [
    (rf"\b{_N}\s*d\.?\s*d\.?(?=\s|\d|$)", "freq", _n),  # Dutch "2 dd 1", "2 d.d. 1"
    (
        rf"\b{_N}\s*(?:x|×|times|time|maal|keer|fois)\s*"
        rf"(?:a|an|per|each|every|/|par|le|in de|in 24)?\s*{_DAY}\b",
        "freq",
        _n,
    ),
    (rf"\b{_N}\s*(?:x|maal|keer)\s*daags\b", "freq", _n),
    (
        rf"(?:\bevery|\belke|\biedere?|\btoutes\s+les|\bom\s+de)\s+{_N}\s*(?:hours?|hrs?|h|uur|heures?)\b",
        "freq",
        lambda m: 24 / _n(m) if _n(m) else float("inf"),
    ),
    (rf"\bq\s*{_N}\s*h\b", "freq", lambda m: 24 / _n(m) if _n(m) else float("inf")),
    (
        rf"\b{_N}\s*(?:x|×|times|maal|keer|fois)\s*(?:a|per|each|every|/|par)?\s*(?:week|wk|semaine)\b",
        "freq",
        lambda m: _n(m) / 7,
    ),
    (
        r"\b(?:every\s+other\s+day|om\s+de\s+(?:andere\s+)?dag|qod|1\s+jour\s+sur\s+2|tous\s+les\s+2\s+jours)\b",
        "freq",
        _const(0.5),
    ),
    (
        r"\b(?:once\s+(?:a|per)\s+week|weekly|wekelijks|1\s*x\s*per\s+week|par\s+semaine)\b",
        "freq",
        _const(1 / 7),
    ),
    (r"\b(?:once\s+(?:a|per|each|every)\s+day|once\s+daily|eenmaal\s+daags|qd)\b", "freq", _const(1)),
    (
        r"\b(?:twice\s+(?:a|per|each|every)\s+day|twice\s+daily|tweemaal\s+daags|bid|b\.i\.d\.?)",
        "freq",
        _const(2),
    ),
    (
        r"\b(?:three\s+times\s+(?:a|per|each|every)\s+day|thrice\s+daily|driemaal\s+daags|tid|t\.i\.d\.?)",
        "freq",
        _const(3),
    ),
    (r"\b(?:four\s+times\s+(?:a|per|each|every)\s+day|viermaal\s+daags|qid|q\.i\.d\.?)", "freq", _const(4)),
    # events: one occasion a day each
    (
        r"(?:\bin\s+the\s+morning|\bevery\s+morning|\beach\s+morning|'s\s*(?:morgens|ochtends)|\bbij\s+het\s+ontbijt|\ble\s+matin|\bau\s+r[ée]veil|\bqam)\b",
        "event:morning",
        _const(1),
    ),
    (
        r"(?:\bat\s+noon|\bat\s+lunch|'s\s*middags|\bbij\s+de\s+lunch|\ble\s+midi|\bau\s+d[ée]jeuner)\b",
        "event:noon",
        _const(1),
    ),
    (
        r"(?:\bin\s+the\s+evening|\bevery\s+evening|\beach\s+evening|'s\s*avonds|\bbij\s+het\s+avondeten|\ble\s+soir|\bau\s+d[îi]ner|\bqpm)\b",
        "event:evening",
        _const(1),
    ),
    (
        r"(?:\bat\s+(?:night|bedtime)|\bnightly|\bevery\s+night|\beach\s+night|\bbefore\s+(?:bed|bedtime|sleep)|\bqhs|\bhs|\bvoor\s+de\s+nacht|\bvoor\s+het\s+(?:slapen|slapengaan|naar\s+bed\s+gaan)|\b'?s\s*nachts|\bau\s+coucher|\bavant\s+le\s+coucher|\bla\s+nuit)\b",
        "event:night",
        _const(1),
    ),
    # bare "daily"/"per day" last: "1 tablet per dag" = once a day
    (
        r"\b(?:daily|every\s+day|each\s+day|a\s+day|per\s+day|dagelijks|per\s+dag|daags|par\s+jour|chaque\s+jour|tous\s+les\s+jours)\b",
        "freq",
        _const(1),
    ),
]
_COMPILED = [(re.compile(p), kind, fn) for p, kind, fn in TEXT_FREQUENCIES]
_CONJUNCTION = re.compile(r"^\s*(?:,|;|&|\+|and|en|et|und)\s*(?:(?:and|en|et|und)\s+)?$")


@dataclass(frozen=True, slots=True)
class TextFrequency:
    """A rate read from text, plus the text left once the phrases are removed."""

    rate: Rate
    rest: str


def frequency_spans(text: str) -> tuple[list[tuple[int, int, str, float]], str]:
    """All frequency/event phrases in (lower-cased) text, and the text with them blanked."""
    work = text
    found: list[tuple[int, int, str, float]] = []
    for pattern, kind, fn in _COMPILED:
        matches = [(m.start(), m.end(), kind, fn(m)) for m in pattern.finditer(work)]
        if matches:  # sub finds the same matches as finditer: nothing to blank without one
            found += matches
            work = pattern.sub(lambda m: " " * (m.end() - m.start()), work)
    found.sort()
    return found, work


def frequency_from_text(text: str) -> Rate | NoRate:
    """Rate from a phrase like "twice daily" or "'s ochtends en 's avonds"."""
    result = parse_text_frequency(text.lower())
    return result.rate if isinstance(result, TextFrequency) else result


def parse_text_frequency(text: str) -> TextFrequency | NoRate:
    """Conservative: one frequency phrase and/or conjoined occasions, else NoRate."""
    found, rest = frequency_spans(text)
    freqs = [f for f in found if f[2] == "freq"]
    events = [f for f in found if f[2].startswith("event:")]
    if not freqs and not events:
        return NoRate("no frequency in text")
    if len(freqs) > 1:
        return NoRate("more than one frequency in text", "invalid")
    for (_, end, _, _), (start, _, _, _) in zip(events, events[1:], strict=False):
        if not _CONJUNCTION.match(text[end:start]):
            return NoRate("occasions in text not clearly joined", "invalid")
    occasions = len({kind for _, _, kind, _ in events})
    per_day = freqs[0][3] if freqs else 0.0
    if not (0 <= per_day < float("inf")):
        return NoRate("frequency in text out of range", "invalid")
    per_day = max(float(per_day), float(occasions))
    phrases = [text[s:e].strip() for s, e, _, _ in found]
    return TextFrequency(Rate(per_day, per_day, f'{fmt(per_day)} per day ("{" + ".join(phrases)}")'), rest)
