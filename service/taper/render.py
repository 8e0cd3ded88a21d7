"""Renderings of a taper plan for prescribers and programs: plain text, Markdown and JSON, in English,
Dutch or French. The FHIR resources are in `fhir.py`, the patient handout in `handout.py`.

Each rendering reads only the plan (names, ATC codes and dose forms travel in `plan.labels`), so a
caller can render a plan it received without the knowledge at hand.
"""

from __future__ import annotations

from typing import Any

from service.taper.fhir import plan_medication_request, plan_medication_requests
from service.taper.handout import plan_handout_html
from service.taper.handout_texts import LABELS, PACE_NAMES
from service.taper.model import PlanNote, TaperPlan, TaperStep
from service.taper.note_texts import note_text
from service.taper.step_words import step_short
from service.taper.wording import fmt_date, fmt_number, in_country, language_or_default

__all__ = [
    "plan_handout_html",
    "plan_json",
    "plan_markdown",
    "plan_medication_request",
    "plan_medication_requests",
    "plan_notes",
    "plan_summary",
    "plan_text",
]


def plan_notes(plan: TaperPlan, language: str) -> list[str]:
    return [note_text(note.code, note.values, language) if isinstance(note, PlanNote) else str(note) for note in plan.notes]


def plan_summary(plan: TaperPlan, language: str) -> str:
    """'Taper plan: lorazepam 3 mg a day, switch to diazepam (protocol: …; pace: standard; products of Belgium)'."""
    words = LABELS[language]
    drug = plan.label(plan.drug).name(language)
    text = f"{words['title']}{words['colon']}{drug} {fmt_number(plan.start_dose_mg, language)} mg {words['per_day']}"
    for other, mg in plan.also_taking:
        text += f" + {plan.label(other).name(language)} {fmt_number(mg, language)} mg"
    if plan.switched:
        text += f", {words['switched_to']} {plan.label(plan.taper_drug).name(language)}"
    pace = PACE_NAMES.get(plan.pace, {}).get(language, plan.pace)
    details = f"{words['protocol']}{words['colon']}{plan.protocol_name(language)}; {words['pace']}{words['colon']}{pace}"
    return f"{text} ({details}; {words['market']} {in_country(plan.country(language), language)})"


def _dates(plan: TaperPlan, language: str) -> str:
    words = LABELS[language]
    taper = plan.label(plan.taper_drug).name(language)
    first = plan.steps[0].start if plan.steps else plan.end
    return (
        f"{fmt_date(first, language)} – {words['first_free_day']} {taper}{words['colon']}{fmt_date(plan.end, language)} "
        f"({plan.total_days} {words['days']})"
    )


def _row(step: TaperStep, plan: TaperPlan, language: str) -> list[str]:
    kind = LABELS[language]["kinds"][step.kind]
    if step.kind == "stop":
        return [str(step.number), kind, fmt_date(step.start, language), "", "0 mg", ""]
    return [
        str(step.number),
        kind,
        fmt_date(step.start, language),
        fmt_date(step.end, language),
        f"{fmt_number(step.dose_mg, language, 2)} mg",
        step_short(step, plan, language),
    ]


def _extras(plan: TaperPlan, language: str) -> list[str]:
    """The strips to order and the magistral prescriptions, when the plan has them."""
    words, lines = LABELS[language], []
    if plan.strips:
        lines += ["", words["strips"] + words["colon"].rstrip()]
        lines += [
            "- " + words["strip"].format(number=s.number, start=fmt_date(s.start, language), end=fmt_date(s.end, language),
                                         first=fmt_number(s.first_mg, language), last=fmt_number(s.last_mg, language))
            for s in plan.strips
        ]
    if plan.prescriptions:
        lines += ["", words["prescriptions"] + words["colon"].rstrip()]
        lines += [prescription.text(language) for prescription in plan.prescriptions]
    return lines


def plan_text(plan: TaperPlan, language: str = "en") -> str:
    """A plain-text plan for a terminal or a note: heading, one line a step, notes and sources."""
    language = language_or_default(language)
    words = LABELS[language]
    rows = [[words["step"], words["what"], words["from"], words["to"], words["dose"], words["taken"]]]
    rows += [_row(step, plan, language) for step in plan.steps]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [plan_summary(plan, language), _dates(plan, language), ""]
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines += _extras(plan, language)
    notes = plan_notes(plan, language)
    if notes:
        lines += ["", f"{words['notes']}{words['colon'].rstrip()}"] + [f"- {note}" for note in notes]
    if plan.sources:
        lines += ["", f"{words['sources']}{words['colon'].rstrip()}"] + [f"- {source}" for source in plan.sources]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: TaperPlan, language: str = "en") -> str:
    """A Markdown table for the planner and documents: step, what, from, to, average, what is taken; notes."""
    language = language_or_default(language)
    words = LABELS[language]
    header = [words["step"], words["what"], words["from"], words["to"], words["dose"], words["taken"]]
    lines = [f"**{_md(plan_summary(plan, language))}**", "", _md(_dates(plan, language)), ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md(cell) for cell in _row(step, plan, language)) + " |" for step in plan.steps]
    extras = _extras(plan, language)
    lines += [line if not line or line.startswith("- ") else _md(line) for line in extras]
    notes = plan_notes(plan, language)
    if notes:
        lines += [""] + [f"- {_md(note)}" for note in notes]
    return "\n".join(lines) + "\n"


def _step_json(step: TaperStep, plan: TaperPlan, language: str) -> dict[str, Any]:
    return {
        "number": step.number,
        "kind": step.kind,
        "start": step.start.isoformat(),
        "end": step.end.isoformat(),
        "days": step.days,
        "drug": step.drug,
        "dose_mg": step.dose_mg,
        "daily_mg": step.daily_mg,
        "free_days_per_week": step.free_days,
        "intakes": [
            {"drug": i.drug, "mg": i.mg, "days_per_week": i.days_per_week, "form": i.form,
             "units": [{"strength": strength, "count": count} for strength, count in i.units]}
            for i in step.intakes
        ],
        "tablets": [{"strength_mg": strength, "count": count} for strength, count in step.tablets],
        "first_pouch_mg": step.first_mg,
        "de_mg": step.de_mg,
        "taken": step_short(step, plan, language) if step.kind != "stop" else "",
    }


def plan_json(plan: TaperPlan, language: str = "en") -> dict[str, Any]:
    """The plan as plain JSON types (dates as ISO strings); notes in the language, with their codes."""
    language = language_or_default(language)
    return {
        "drug": plan.drug,
        "start_dose_mg": plan.start_dose_mg,
        "also_taking": [{"drug": drug, "dose_mg": mg} for drug, mg in plan.also_taking],
        "taper_drug": plan.taper_drug,
        "switched": plan.switched,
        "switch_reason": plan.switch_reason,
        "switch_phase": plan.switch_phase,
        "protocol": plan.protocol,
        "protocol_name": plan.protocol_name(language),
        "pace": plan.pace,
        "form": plan.form,
        "market": plan.market,
        "market_name": plan.country(language),
        "interval_days": plan.interval_days,
        "equivalence_table": plan.table,
        "start": plan.steps[0].start.isoformat() if plan.steps else None,
        "end": plan.end.isoformat(),
        "total_days": plan.total_days,
        "steps": [_step_json(step, plan, language) for step in plan.steps],
        "strips": [
            {"number": s.number, "start": s.start.isoformat(), "end": s.end.isoformat(), "first_pouch_mg": s.first_mg,
             "last_pouch_mg": s.last_mg}
            for s in plan.strips
        ],
        "prescriptions": [
            {"step": p.step, "capsule_mg": p.capsule_mg, "capsules": p.capsules, "text": dict(p.texts)} for p in plan.prescriptions
        ],
        "notes": plan_notes(plan, language),
        "note_codes": [note.code if isinstance(note, PlanNote) else None for note in plan.notes],
        "sources": list(plan.sources),
    }
