"""A step said in words: short for prescribers ('4 mg (2 × 2 mg) on 4 days a week'), plain for patients
('2 tablets of 2 mg, on 4 days a week'), in English, Dutch or French."""

from __future__ import annotations

from service.taper.handout_texts import FORM_WORDS, LABELS
from service.taper.model import Intake, TaperPlan, TaperStep
from service.taper.wording import fmt_number

__all__ = ["count_glyph", "free_days_text", "intake_plain", "intake_short", "step_plain", "step_short"]

_GLYPHS = {0.25: "¼", 0.5: "½", 0.75: "¾"}
_PART_WORDS = {
    "en": {0.25: "a quarter of a {form}", 0.5: "half a {form}", 0.75: "three quarters of a {form}"},
    "nl": {0.25: "een kwart {form}", 0.5: "een halve {form}", 0.75: "driekwart {form}"},
    "fr": {0.25: "un quart de {form}", 0.5: "un demi-{form}", 0.75: "trois quarts de {form}"},
}
_OF = {"en": "{count} of {strength} mg", "nl": "{count} van {strength} mg", "fr": "{count} de {strength} mg"}
_LIQUID = {
    "en": "{ml} ml of the solution ({conc} mg/ml)",
    "nl": "{ml} ml van de oplossing ({conc} mg/ml)",
    "fr": "{ml} ml de la solution ({conc} mg/ml)",
}


def count_glyph(count: float) -> str:
    """1 -> '1', 0.5 -> '½', 1.5 -> '1½', 0.25 -> '¼'."""
    whole = int(count)
    rest = round(count - whole, 4)
    glyph = _GLYPHS.get(rest, "" if rest == 0 else f"{rest:g}")
    return f"{whole}{glyph}" if whole else glyph or "0"


def _units_short(intake: Intake, language: str) -> str:
    if intake.form == "oral_liquid":
        return " + ".join(f"{fmt_number(ml, language)} ml × {fmt_number(conc, language)} mg/ml" for conc, ml in intake.units)
    return " + ".join(f"{count_glyph(count)} × {fmt_number(strength, language)} mg" for strength, count in intake.units)


def _days(days: int, language: str) -> str:
    words = LABELS[language]
    if days >= 7:
        return words["every_day"]
    return words["on_day"] if days == 1 else words["on_days"].format(days=days)


def free_days_text(days: int, language: str) -> str:
    words = LABELS[language]
    return words["free_day"] if days == 1 else words["free_days"].format(days=days)


def intake_short(intake: Intake, language: str, name: str | None = None) -> str:
    """'diazepam 4 mg (2 × 2 mg)' with the drug's name, or '4 mg (2 × 2 mg)' without."""
    lead = f"{name} " if name else ""
    return f"{lead}{fmt_number(intake.mg, language)} mg ({_units_short(intake, language)})"


def step_short(step: TaperStep, plan: TaperPlan, language: str) -> str:
    """What is taken in a step, for prescribers: every intake with its days, the drug-free days."""
    words = LABELS[language]
    several_drugs = len({intake.drug for intake in step.intakes}) > 1
    mixed = len(step.intakes) > 1 and not several_drugs
    parts = []
    for intake in step.intakes:
        name = plan.label(intake.drug).name(language) if several_drugs else None
        text = intake_short(intake, language, name)
        if mixed or step.free_days:
            text += f" {_days(intake.days_per_week, language)}"
        parts.append(text)
    if step.first_mg is not None:
        parts = [words["pouches"].format(first=fmt_number(step.first_mg, language, 2), last=fmt_number(step.daily_mg, language, 2))]
    text = " + ".join(parts) if several_drugs else "; ".join(parts)
    if step.free_days:
        text += f"; {free_days_text(step.free_days, language)}"
    return text


def _unit_plain(strength: float, count: float, form: str, language: str) -> str:
    singular, plural = FORM_WORDS[language].get(form, FORM_WORDS[language]["tablet"])
    amount = fmt_number(strength, language)
    if count in _PART_WORDS[language]:
        return _OF[language].format(count=_PART_WORDS[language][count].format(form=singular), strength=amount)
    noun = singular if count <= 1 or (language != "en" and count < 2) else plural
    return _OF[language].format(count=f"{count_glyph(count)} {noun}", strength=amount)


def intake_plain(intake: Intake, language: str) -> str:
    """'2 tablets of 2 mg' / '0,6 ml van de oplossing (2,5 mg/ml)' / '1 capsule of 1.6 mg'."""
    if intake.form == "oral_liquid":
        return " + ".join(
            _LIQUID[language].format(ml=fmt_number(ml, language), conc=fmt_number(conc, language)) for conc, ml in intake.units
        )
    return " + ".join(_unit_plain(strength, count, intake.form, language) for strength, count in intake.units)


def step_plain(step: TaperStep, plan: TaperPlan, language: str) -> str:
    """What the patient takes in a step, in plain words, with the days and the drug-free days."""
    words = LABELS[language]
    several_drugs = len({intake.drug for intake in step.intakes}) > 1
    parts = []
    for intake in step.intakes:
        text = intake_plain(intake, language)
        if several_drugs:
            text = f"{plan.label(intake.drug).name(language)}: {text}"
        if len(step.intakes) > 1 and not several_drugs or step.free_days:
            text += f", {_days(intake.days_per_week, language)}"
        parts.append(text)
    if step.first_mg is not None:
        parts = [words["pouches"].format(first=fmt_number(step.first_mg, language, 2), last=fmt_number(step.daily_mg, language, 2))]
    text = "; ".join(parts)
    if step.free_days:
        text += f"; {free_days_text(step.free_days, language)}"
    return text
