"""Daily dose in mg from FHIR R4 Dosage instructions.

Pure functions: no I/O and no knowledge of the drug.  The caller supplies the
product strength (mg per tablet/capsule/…) when it knows it.

Decisions (safety first: when the instructions allow a range, report the upper
end, and never guess silently):

* Ranges (doseRange, frequencyMax, periodMax): ``mg_per_day`` is the upper end
  of the range, ``min_mg_per_day`` the lower end; both are kept.
* Several Dosage entries with the same (or no) ``sequence`` are concurrent and
  summed ("1 mg in the morning + 2 mg at night").  Different sequence numbers
  are consecutive steps (e.g. a taper): ``mg_per_day`` describes the first step
  (without a reference date we cannot tell which step is current; entries
  without a sequence form their own step, placed first), ``max_mg_per_day`` the
  highest step whose dose is known.
* As needed: the daily maximum (``maxDosePerPeriod``) when given, else the
  scheduled dose × frequency ("as needed, at most …"), else unknown.  The
  lower end of an as-needed dose is 0.  ``as_needed`` is True only when every
  entry of the reported step is as needed.
* ``maxDosePerPeriod`` and ``maxDosePerAdministration`` cap a schedule.  A
  maximum over a period longer than a day is averaged per day, like QOD.
* ``Dosage.text`` (or ``patientInstruction``) only fills in what the structured
  fields leave out, via a small phrase table; anything unclear stays unknown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fhir.resources.R4B.dosage import Dosage

from service.fhir import history_models as lean
from service.memo import Memo

from .timing import (
    NoRate,
    Rate,
    TextFrequency,
    administrations_per_day,
    duration_in_days,
    fmt,
    fmt_span,
    parse_text_frequency,
)
from .units import UnitInfo, UnitProblem, classify_unit, to_float, unit_from_word

__all__ = ["DailyDose", "daily_dose", "units_per_day", "parse_dosage_text"]


@dataclass(frozen=True, slots=True)
class DailyDose:
    """A daily dose and how it was derived.

    ``mg_per_day`` None means unknown (``unknown_reason`` says why).
    ``min_mg_per_day ≤ mg_per_day ≤ max_mg_per_day`` whenever they are known.
    ``units_per_day`` counts product units (tablets, capsules…) a day at the
    reported dose, for pack-size sums; it is known for tablet doses even when
    the strength is not, and for mg doses when the strength is.
    """

    mg_per_day: float | None
    max_mg_per_day: float | None
    as_needed: bool
    derivation: str
    unknown_reason: str | None = None
    min_mg_per_day: float | None = None
    units_per_day: float | None = None
    max_units_per_day: float | None = None

    @property
    def known(self) -> bool:
        return self.mg_per_day is not None


@dataclass(frozen=True, slots=True)
class Span:
    """A non-negative closed range low ≤ high."""

    low: float
    high: float

    def times(self, other: Span) -> Span:
        return Span(self.low * other.low, self.high * other.high)

    def scale(self, k: float) -> Span:
        return Span(self.low * k, self.high * k)

    def plus(self, other: Span) -> Span:
        return Span(self.low + other.low, self.high + other.high)

    def capped(self, cap: float) -> Span:
        return Span(min(self.low, cap), min(self.high, cap))

    def from_zero(self) -> Span:
        return Span(0.0, self.high)

    @property
    def finite(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    def __str__(self) -> str:
        return fmt_span(self.low, self.high)


@dataclass(frozen=True, slots=True)
class Amount:
    """A dose in base units (mg, product units or mL) and how it was written."""

    span: Span
    unit: UnitInfo
    shown: str


@dataclass(frozen=True, slots=True)
class ParsedText:
    """What the text parser understood; any part may be missing."""

    amount: Amount | None
    rate: Rate | None
    as_needed: bool
    cap: Amount | None  # per day


@dataclass(frozen=True, slots=True)
class _Part:
    mg: Span | None
    units: Span | None
    as_needed: bool
    text: str
    reason: str | None


# --------------------------------------------------------------------------- amounts


def _quantity_amount(quantity: Any) -> Amount | str:
    value = to_float(quantity.value)
    if value is None:
        return "dose quantity has no value" if quantity.value is None else "dose is not a finite number"
    if value < 0:
        return "negative dose"
    unit = classify_unit(quantity.system, quantity.code, quantity.unit)
    if isinstance(unit, UnitProblem):
        return unit.reason
    written = (quantity.unit or "").strip() or (unit.label if unit.kind == "count" else quantity.code or "")
    return Amount(Span(value * unit.factor + 0.0, value * unit.factor + 0.0), unit, f"{fmt(value)} {written}")


def _range_amount(dose_range: Any) -> Amount | str:
    ends = [_quantity_amount(q) if q is not None else None for q in (dose_range.low, dose_range.high)]
    problems = [e for e in ends if isinstance(e, str)]
    if problems:
        return problems[0]
    low, high = ends
    if low is None and high is None:
        return "dose range without values"
    if low is None or high is None:
        only = low or high
        assert isinstance(only, Amount)
        word = "at least" if high is None else "up to"
        return Amount(only.span, only.unit, f"{word} {only.shown}")
    assert isinstance(low, Amount) and isinstance(high, Amount)
    labels = {low.unit.label, high.unit.label} - {"unit"}  # generic "1"/"stuk" matches any product unit
    if low.unit.kind != high.unit.kind or (low.unit.kind == "count" and len(labels) > 1):
        return "dose range ends in different units"
    a, b = sorted((low.span.low, high.span.high))
    unit = high.unit if low.unit.label == "unit" else low.unit
    same = low.shown.split(" ", 1)[-1] == high.shown.split(" ", 1)[-1]
    shown = f"{low.shown.split(' ', 1)[0]}–{high.shown}" if same else f"{low.shown}–{high.shown}"
    return Amount(Span(a, b), unit, shown)


def _structured_amount(dosage: Dosage) -> Amount | str | None:
    """The dose per administration; None when none is given, a reason when unusable."""
    entries = dosage.doseAndRate or []
    with_dose = [
        e for e in entries if e is not None and (e.doseQuantity is not None or e.doseRange is not None)
    ]
    if not with_dose:
        if any(e is not None and (e.rateQuantity or e.rateRange or e.rateRatio) for e in entries):
            return "rate-based dosing (doseAndRate.rate) is not supported"
        return None

    def ordered(entry: Any) -> bool:
        codings = entry.type.coding if entry.type is not None and entry.type.coding else []
        return any(c is not None and c.code == "ordered" for c in codings)

    entry = next((e for e in with_dose if ordered(e)), with_dose[0])
    if entry.doseQuantity is not None:
        return _quantity_amount(entry.doseQuantity)
    return _range_amount(entry.doseRange)


def _cap_per_day(ratio: Any) -> Amount | None:
    """maxDosePerPeriod as an amount per day (averaged over longer periods)."""
    if ratio is None or ratio.numerator is None or ratio.denominator is None:
        return None
    amount = _quantity_amount(ratio.numerator)
    days = duration_in_days(ratio.denominator, missing_value=1.0)
    if isinstance(amount, str) or days is None:
        return None
    per = to_float(ratio.denominator.value) or 1.0
    shown = (
        f"{amount.shown} per {fmt(per)} {(ratio.denominator.unit or ratio.denominator.code or '').strip()}"
    )
    return Amount(amount.span.scale(1 / days), amount.unit, shown)


def _as_needed(dosage: Dosage) -> bool | None:
    if dosage.asNeededCodeableConcept is not None:
        return True
    return dosage.asNeededBoolean


# --------------------------------------------------------------------------- conversion


def _convert(
    per_day: Span, unit: UnitInfo, strength: float | None, mg_per_ml: float | None
) -> tuple[Span | None, Span | None, str | None]:
    """Per-day base units → (mg/day, product units/day, why mg is unknown)."""
    if not per_day.finite:
        return None, None, "dose out of range"
    if unit.kind == "mass":
        units = per_day.scale(1 / strength) if strength else None
        return per_day, units if units is None or units.finite else None, None
    if unit.kind == "count":
        if strength is None:
            return None, per_day, f"dose in {unit.label}s but product strength unknown"
        mg = per_day.scale(strength)
        return (mg, per_day, None) if mg.finite else (None, per_day, "dose out of range")
    if mg_per_ml is None:
        return None, None, "dose in mL but concentration (mg/mL) unknown"
    mg = per_day.scale(mg_per_ml)
    return (mg, None, None) if mg.finite else (None, None, "dose out of range")


def _amount_text(amount: Amount, strength: float | None, mg_per_ml: float | None) -> str:
    text = amount.shown
    if amount.unit.kind == "mass" and amount.unit.factor != 1.0:
        text += f" (= {amount.span} mg)"
    elif amount.unit.kind == "count":
        if amount.unit.factor != 1.0:
            text += f" (= {amount.span} {amount.unit.label})"
        if strength is not None:
            text += f" × {fmt(strength)} mg/{amount.unit.label}"
    elif amount.unit.kind == "volume" and mg_per_ml is not None:
        text += f" × {fmt(mg_per_ml)} mg/mL"
    return text


def _result_text(
    mg: Span | None, units: Span | None, unit: UnitInfo, why: str | None, as_needed: bool
) -> str:
    def show(span: Span) -> str:
        return f"up to {fmt(span.high)}" if as_needed else str(span)

    if mg is not None:
        return f"{show(mg)} mg/day"
    if units is not None:
        return f"{show(units)} {unit.label}/day (mg unknown: {why})"
    return f"mg unknown: {why}"


def _evaluate(dosage: Dosage, strength: float | None, mg_per_ml: float | None) -> _Part:
    """One Dosage entry → a daily range in mg (and product units)."""
    amount = _structured_amount(dosage)
    rate = administrations_per_day(dosage.timing)
    prn = _as_needed(dosage)
    cap = _cap_per_day(dosage.maxDosePerPeriod)
    cap_label = "maximum per period (maxDosePerPeriod)"
    admin_cap = None
    if dosage.maxDosePerAdministration is not None:
        candidate = _quantity_amount(dosage.maxDosePerAdministration)
        admin_cap = candidate if isinstance(candidate, Amount) else None

    prefix = ""
    text = (dosage.text or dosage.patientInstruction or "").strip()
    text_reason = None
    if text and (amount is None or (isinstance(rate, NoRate) and rate.kind == "absent")):
        parsed = parse_dosage_text(text)
        if isinstance(parsed, ParsedText):
            used = False
            if amount is None and parsed.amount is not None:
                amount, used = parsed.amount, True
            if isinstance(rate, NoRate) and rate.kind == "absent" and parsed.rate is not None:
                rate, used = parsed.rate, True
            if prn is None and parsed.as_needed:
                prn, used = True, True
            if cap is None and parsed.cap is not None:
                cap, cap_label, used = parsed.cap, "maximum in the dosage text", True
            if used:
                prefix = f"from text '{text}': "
        else:
            text_reason = parsed
    as_needed = bool(prn)
    rate_absent = isinstance(rate, NoRate) and rate.kind == "absent"

    if cap is not None and (as_needed or rate_absent) and not isinstance(amount, str):
        # As needed, the maximum per period is what may be taken a day: it is the daily dose.
        return _maximum_part(amount, rate, cap, cap_label, as_needed, strength, mg_per_ml, prefix)
    if isinstance(amount, Amount) and isinstance(rate, Rate):
        return _scheduled_part(amount, rate, (admin_cap, cap), as_needed, strength, mg_per_ml, prefix)

    if isinstance(amount, str):
        reason = amount
    elif amount is None:
        reason = "no dose quantity"
    elif as_needed and rate_absent:
        reason = "as needed without a frequency or a maximum dose"
    else:
        assert isinstance(rate, NoRate)
        reason = rate.reason
    if text_reason and (amount is None or rate_absent):
        reason = f"{reason}; {text_reason}"
    return _Part(None, None, as_needed, f"{prefix}unknown: {reason}", reason)


def _maximum_part(
    amount: Amount | None,
    rate: Rate | NoRate,
    cap: Amount,
    cap_label: str,
    as_needed: bool,
    strength: float | None,
    mg_per_ml: float | None,
    prefix: str,
) -> _Part:
    """As needed (or without a schedule): the maximum per period, per day, from zero."""
    mg, units, why = _convert(cap.span, cap.unit, strength, mg_per_ml)
    mg = mg.from_zero() if mg is not None else None
    units = units.from_zero() if units is not None else None
    strength_text = f" × {fmt(strength)} mg/{cap.unit.label}" if cap.unit.kind == "count" and strength else ""
    lead = "as needed" if as_needed else "no schedule given"
    if isinstance(amount, Amount) and isinstance(rate, Rate):
        sched_mg, sched_units, _ = _convert(amount.span.times(Span(rate.low, rate.high)), amount.unit, strength, mg_per_ml)
        lead += f", {amount.shown} × {rate.text}"
        if (sched_mg is not None and mg is not None and sched_mg.high > mg.high) or (
            sched_units is not None and units is not None and sched_units.high > units.high
        ):
            lead += ", capped"
    body = f"{lead}: at most the {cap_label} {cap.shown}{strength_text}"
    return _Part(mg, units, as_needed, f"{prefix}{body} = {_result_text(mg, units, cap.unit, why, True)}", why)


def _scheduled_part(
    amount: Amount,
    rate: Rate,
    limits: tuple[Amount | None, Amount | None],
    as_needed: bool,
    strength: float | None,
    mg_per_ml: float | None,
    prefix: str,
) -> _Part:
    """Dose × administrations a day, capped by a maximum per administration or per period."""
    per_day = amount.span.times(Span(rate.low, rate.high))
    mg, units, why = _convert(per_day, amount.unit, strength, mg_per_ml)
    body = f"{_amount_text(amount, strength, mg_per_ml)} × {rate.text}"
    for limit, label in zip(limits, ("per administration", "per period")):
        if limit is None:
            continue
        limit_span = limit.span.scale(rate.high) if label == "per administration" else limit.span
        lim_mg, lim_units, _ = _convert(limit_span, limit.unit, strength, mg_per_ml)
        capped = False
        if mg is not None and lim_mg is not None and lim_mg.high < mg.high:
            mg, capped = mg.capped(lim_mg.high), True
        if units is not None and lim_units is not None and lim_units.high < units.high:
            units, capped = units.capped(lim_units.high), True
        if capped:
            body += f", capped at maximum {label} {limit.shown}"
    if as_needed:
        mg = mg.from_zero() if mg is not None else None
        units = units.from_zero() if units is not None else None
        body = f"as needed, at most {body}"
    return _Part(mg, units, as_needed, f"{prefix}{body} = {_result_text(mg, units, amount.unit, why, as_needed)}", why)


# --------------------------------------------------------------------------- combination


def _sum_step(parts: list[_Part]) -> _Part:
    """Concurrent entries add up."""
    if len(parts) == 1:
        return parts[0]
    mg: Span | None = Span(0.0, 0.0)
    units: Span | None = Span(0.0, 0.0)
    reason = None
    for i, part in enumerate(parts, 1):
        mg = mg.plus(part.mg) if mg is not None and part.mg is not None else None
        units = units.plus(part.units) if units is not None and part.units is not None else None
        if part.reason and reason is None:
            reason = f"dosage {i}: {part.reason}"
    if mg is not None and not mg.finite:
        mg, reason = None, reason or "dose out of range"
    total = f"{mg} mg/day" if mg is not None else (f"{units} units/day" if units is not None else "unknown")
    text = " + ".join(f"[{p.text}]" for p in parts) + f" → total {total}"
    return _Part(mg, units, all(p.as_needed for p in parts), text, reason)


def _positive(value: float | None) -> float | None:
    number = to_float(value)
    return number if number is not None and number > 0 else None


def daily_dose(
    dosages: Sequence[Dosage] | None,
    strength_mg_per_unit: float | None,
    *,
    mg_per_ml: float | None = None,
) -> DailyDose:
    """Daily dose in mg of a medication order/statement's ``dosageInstruction``/``dosage``.

    ``strength_mg_per_unit``: mg in one dose unit of the product (tablet,
    capsule…), None when unknown.  ``mg_per_ml``: concentration, for doses
    written in mL.  Never raises; an unusable dosage gives ``mg_per_day`` None.
    """
    try:
        entries = list(dosages or [])
        strength, per_ml = _positive(strength_mg_per_unit), _positive(mg_per_ml)
        if not entries or any(d.__class__ is not lean.Dosage for d in entries):
            return _daily_dose(entries, strength, per_ml)
        key = (tuple(map(_dosage_key, entries)), strength, per_ml)
        return _DOSES.get(key, lambda: _daily_dose(entries, strength, per_ml))
    except Exception as exc:  # a CDS hook must degrade, not fail  # pragma: no cover
        return DailyDose(
            None, None, False, "unknown: internal error", f"internal error ({type(exc).__name__})"
        )


# --------------------------------------------------------------------------- memo

# A history repeats the same dosage in every refill, and a daily dose is a pure function of the
# dosage elements `_dosage_key` holds: history (lean model) dosages are remembered by it. Draft
# orders (`fhir.resources`, decimals) are computed afresh: there are only one or two per call.
_DOSES: Memo[DailyDose] = Memo(4096)


def _num(value: Any) -> Any:
    """Exact key for a number: -0.0 and 0.0 compare equal, their hex forms do not."""
    return value.hex() if value.__class__ is float else value


def _quantity_key(q: Any) -> tuple[Any, ...] | None:
    return None if q is None else (_num(q.value), q.system, q.code, q.unit)


def _dose_and_rate_key(e: Any) -> tuple[Any, ...]:
    dose_range, kind = e.doseRange, e.type
    return (
        _quantity_key(e.doseQuantity),
        None if dose_range is None else (_quantity_key(dose_range.low), _quantity_key(dose_range.high)),
        e.rateQuantity is not None or e.rateRange is not None or e.rateRatio is not None,
        None if kind is None else tuple([c.code for c in kind.coding or ()]),
    )


def _dosage_key(d: lean.Dosage) -> tuple[Any, ...]:
    """Every element of a lean Dosage that the dose functions (here and in timing.py) read.

    Whatever they read must be in here, or two different dosages would share a result
    (tests/unit/service/facts/test_dose_memo.py checks this by recording the elements read).
    """
    timing, ratio = d.timing, d.maxDosePerPeriod
    timing_key = None
    if timing is not None:
        repeat, code = timing.repeat, timing.code
        timing_key = (
            tuple(timing.event or ()),
            None if code is None else (code.text, tuple([(c.system, c.code) for c in code.coding or ()])),
            None if repeat is None else (
                repeat.frequency, repeat.frequencyMax, _num(repeat.period), _num(repeat.periodMax), repeat.periodUnit,
                repeat.count, repeat.countMax, tuple(repeat.when or ()), tuple(repeat.timeOfDay or ()),
                tuple(repeat.dayOfWeek or ()),
            ),
        )
    return (
        d.sequence,
        d.text,
        d.patientInstruction,
        d.asNeededBoolean,
        d.asNeededCodeableConcept is not None,
        timing_key,
        tuple([_dose_and_rate_key(e) for e in d.doseAndRate or ()]),
        None if ratio is None else (_quantity_key(ratio.numerator), _quantity_key(ratio.denominator)),
        _quantity_key(d.maxDosePerAdministration),
    )


def units_per_day(
    dosages: Sequence[Dosage] | None, strength_mg_per_unit: float | None = None
) -> float | None:
    """Product units (tablets…) per day at the reported dose, e.g. for pack sizes."""
    return daily_dose(dosages, strength_mg_per_unit).units_per_day


def _daily_dose(dosages: list[Dosage], strength: float | None, mg_per_ml: float | None) -> DailyDose:
    entries = [d for d in dosages if d is not None]
    if not entries:
        return DailyDose(None, None, False, "unknown: no dosage instructions", "no dosage instructions")
    groups: dict[int | None, list[Dosage]] = {}
    for entry in entries:
        groups.setdefault(entry.sequence, []).append(entry)
    keys = sorted(groups, key=lambda k: (k is not None, k or 0))
    steps = [(key, _sum_step([_evaluate(d, strength, mg_per_ml) for d in groups[key]])) for key in keys]

    first = steps[0][1]
    known_mg = [s.mg.high for _, s in steps if s.mg is not None]
    known_units = [s.units.high for _, s in steps if s.units is not None]
    if len(steps) == 1:
        derivation = first.text
    else:
        lines = [
            f"step {i} (sequence {k if k is not None else 'none'}): {s.text}"
            for i, (k, s) in enumerate(steps, 1)
        ]
        summary = f"first step: {first.mg} mg/day" if first.mg is not None else "first step: unknown"
        if known_mg:
            summary += f"; highest step: {fmt(max(known_mg))} mg/day"
        derivation = "; ".join(lines) + f"; {summary}"
    mg = first.mg if first.mg is not None and _finite(first.mg.low, first.mg.high, *known_mg) else None
    units = first.units if first.units is not None and _finite(first.units.low, first.units.high) else None
    reason = None if mg is not None else (first.reason or ("dose out of range" if first.mg is not None else "unknown"))
    return DailyDose(
        mg_per_day=mg.high + 0.0 if mg is not None else None,
        max_mg_per_day=max(known_mg) + 0.0 if known_mg and mg is not None else None,
        as_needed=first.as_needed,
        derivation=derivation,
        unknown_reason=reason,
        min_mg_per_day=mg.low + 0.0 if mg is not None else None,
        units_per_day=units.high + 0.0 if units is not None else None,
        max_units_per_day=max(known_units) + 0.0 if known_units and units is not None and _finite(*known_units) else None,
    )


def _finite(*values: float) -> bool:
    """Overflowing arithmetic (huge quantities, tiny periods) gives no usable dose."""
    return all(math.isfinite(v) for v in values)


# --------------------------------------------------------------------------- text

# Normalisation table: number words and fractions as digits, so one set of
# patterns serves English, Dutch and French.  Order matters ("een halve" first).
_TEXT_REWRITES: list[tuple[str, str]] = [
    (r"[’`´]", "'"),
    (r"μ", "µ"),
    (r"(\d),(\d)", r"\1.\2"),
    (r"(\d+)\s*/\s*(\d+)\b(?!\s*(?:uur|h|hours?|heures?))", "FRAC:\\1:\\2"),
    (r"½", " 0.5 "),
    (r"¼", " 0.25 "),
    (
        r"\b(?:een|één|a|one)\s+(?:halve|half)\b|\bhalf\s+(?:a|an|een)\b|\bun(?:e)?\s+demi(?:e)?\b|\bdemi-",
        " 0.5 ",
    ),
    (r"\b(?:halve|half|demi|demie)\b", " 0.5 "),
    (r"\b(?:een|één|one|un|une)\b", "1"),
    (r"\b(?:twee|two|deux)\b", "2"),
    (r"\b(?:drie|three|trois)\b", "3"),
    (r"\b(?:vier|four|quatre)\b", "4"),
]
_REWRITES = [(re.compile(pattern), replacement) for pattern, replacement in _TEXT_REWRITES]
_AS_NEEDED = re.compile(
    r"\b(?:as\s+needed|when\s+needed|if\s+needed|as\s+required|prn|p\.r\.n\.?|zo\s+nodig|z\.n\.?|zn|"
    r"indien\s+nodig|si\s+besoin|au\s+besoin|en\s+cas\s+de\s+besoin)(?=\W|$)"
)
_NUM = r"\d+(?:\.\d+)?"
_UNIT_WORD = r"[a-zà-ÿµ{}]+(?:\([a-z]+\))?"
_TIMES_WORDS = frozenset({"x", "maal", "keer", "times", "fois"})
_MAX = re.compile(
    rf"\b(?:max(?:imaal|imum)?\.?|au\s+maximum|not\s+more\s+than|no\s+more\s+than|niet\s+meer\s+dan|"
    rf"hoogstens|ten\s+hoogste)\s*(?P<n>{_NUM})\s*(?P<unit>{_UNIT_WORD})?\s*(?:per|a|/|par|in)\s*"
    rf"(?:day|dag|jour|24\s*(?:h|uur|hours?|heures?))\b"
)
_SCHEME_NUM = r"\d{1,2}(?:\.\d+)?"
_SCHEME = re.compile(
    rf"(?<![\d.])({_SCHEME_NUM})\s*-\s*({_SCHEME_NUM})\s*-\s*({_SCHEME_NUM})(?:\s*-\s*({_SCHEME_NUM}))?(?![\d.]|\s*-)"
)
_DOSE = re.compile(
    rf"(?<![\d.])(?P<lo>{_NUM})(?:\s*(?:-|–|to|tot|à|or|of|ou)\s*(?P<hi>{_NUM}))?(?:\s*(?P<unit>{_UNIT_WORD}))?"
)
_PRODUCT_UNIT = UnitInfo("count", 1.0, "unit")
_NO_UNIT = "(no unit: dose unit of the product)"


def _normalise(text: str) -> str:
    text = text.lower()
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)

    def fraction(m: re.Match[str]) -> str:
        try:
            return f" {fmt(int(m.group(1)) / int(m.group(2)))} "
        except (ZeroDivisionError, OverflowError, ValueError):  # 1/0, 400-digit numbers
            return " FRACTION-NOT-UNDERSTOOD "

    return re.sub(r"FRAC:(\d+):(\d+)", fraction, text)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _text_amount(lo: str, hi: str | None, unit_word: str | None) -> Amount | str:
    low, high = float(lo), float(hi) if hi else float(lo)
    if not (math.isfinite(low) and math.isfinite(high)):
        return "dose in text out of range"
    low, high = sorted((low, high))
    unit: UnitInfo | UnitProblem | None = _PRODUCT_UNIT
    written = ""
    if unit_word:
        found = unit_from_word(unit_word)
        if isinstance(found, UnitProblem):
            return found.reason
        if found is not None:
            unit, written = found, unit_word
    assert isinstance(unit, UnitInfo)
    shown = f"{fmt_span(low, high)} {written or _NO_UNIT}"
    return Amount(Span(low * unit.factor, high * unit.factor), unit, shown)


def _take_as_needed(work: str) -> tuple[bool, str]:
    """Whether the text says "as needed", and the text with those words blanked out."""
    as_needed = False
    for m in list(_AS_NEEDED.finditer(work)):
        as_needed = True
        work = _blank(work, m.start(), m.end())
    return as_needed, work


def _take_maximum(work: str) -> tuple[Amount | None, str] | str:
    """The "max N per day" cap and the rest of the text, or why it cannot be read."""
    cap = None
    for m in list(_MAX.finditer(work)):
        unit_word = m.group("unit")
        if unit_word and unit_word in _TIMES_WORDS:
            continue  # "max 3x per dag": a frequency, left for the frequency table
        if cap is not None:
            return "more than one maximum in dosage text"
        found = _text_amount(m.group("n"), None, unit_word)
        if isinstance(found, str):
            return found
        cap = Amount(found.span, found.unit, f"{found.shown} per day")
        work = _blank(work, m.start(), m.end())
    return cap, work


def _take_scheme(work: str) -> tuple[Amount | None, Rate | None, str] | str:
    """A "1-0-1" scheme as the day's dose once a day, and the rest of the text; or why it cannot be read."""
    scheme = _SCHEME.search(work)
    if not scheme:
        return None, None, work
    per_occasion = [float(g) for g in scheme.groups() if g is not None]
    tail = work[scheme.end() :]
    unit_match = re.match(rf"\s*({_UNIT_WORD})", tail)
    found = _text_amount(fmt(sum(per_occasion)), None, unit_match.group(1) if unit_match else None)
    if isinstance(found, str):
        return found
    rate = Rate(1.0, 1.0, f"1 per day (scheme {scheme.group(0).strip()}: doses per occasion summed)")
    end = scheme.end() + (unit_match.end() if unit_match else 0)
    return found, rate, _blank(work, scheme.start(), end)


def _take_dose(work: str) -> tuple[Amount | None, str] | str:
    """The one dose the text names and the rest of the text; or why it cannot be read."""
    matches = list(_DOSE.finditer(work))
    if len(matches) > 1:
        return "more than one dose in dosage text"
    if not matches:
        return None, work
    dose = matches[0]
    found = _text_amount(dose.group("lo"), dose.group("hi"), dose.group("unit"))
    if isinstance(found, str):
        return found
    return found, _blank(work, dose.start(), dose.end())


@lru_cache(maxsize=1024)  # pure; the same sigs recur in every refill and across patients
def parse_dosage_text(text: str) -> ParsedText | str:
    """Read a short sig ("2 dd 1 tablet", "0.5 mg twice daily", "1 comprimé le soir").

    Conservative by design: one dose, one frequency phrase (or occasions joined
    by "and"), optional "as needed" and "max N per day".  Anything more (two
    doses, two frequencies) returns a reason instead of a guess.  Each step
    takes its words out of the text; what is left must hold no number.
    """
    work = _normalise(text)
    if "FRACTION-NOT-UNDERSTOOD" in work:
        return "dosage text not understood"
    as_needed, work = _take_as_needed(work)
    maximum = _take_maximum(work)
    if isinstance(maximum, str):
        return maximum
    cap, work = maximum
    scheme = _take_scheme(work)
    if isinstance(scheme, str):
        return scheme
    amount, rate, work = scheme
    if rate is None:
        frequency = parse_text_frequency(work)
        if isinstance(frequency, TextFrequency):
            rate, work = frequency.rate, frequency.rest
        elif frequency.kind == "invalid":
            return frequency.reason
    if amount is None:
        dose = _take_dose(work)
        if isinstance(dose, str):
            return dose
        amount, work = dose
    if re.search(r"\d", work):
        return "dosage text not understood"
    if cap is not None and amount is not None and cap.unit is _PRODUCT_UNIT and amount.unit.kind == "count":
        # "1 tablet zo nodig, max 3 per dag": the maximum counts the same tablets.
        label = amount.unit.label
        cap = Amount(cap.span, UnitInfo("count", 1.0, label), cap.shown.replace(_NO_UNIT, label))
    if amount is None and rate is None and cap is None:
        return "dosage text not understood"
    return ParsedText(amount, rate, as_needed, cap)
