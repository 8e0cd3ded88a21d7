"""Renderings of a taper plan: plain text, a Markdown table, JSON, a FHIR R4 MedicationRequest and a
printable patient handout (HTML) in English, Dutch or French.

Each rendering reads only the plan (names, ATC codes and dose forms travel in `plan.labels`), so a
caller can render a plan it received without the knowledge at hand.  Every value interpolated into
HTML is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from service.taper.handout_texts import (
    HANDOUT,
    LABELS,
    fmt_date,
    fmt_number,
    language_or_default,
    note_text,
    tablet_words,
)
from service.taper.plan import PlanNote, TaperPlan, TaperStep

__all__ = ["plan_handout_html", "plan_json", "plan_markdown", "plan_medication_request", "plan_text"]

ATC_SYSTEM = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"


# ---- shared pieces ---------------------------------------------------------------------------


def _notes(plan: TaperPlan, language: str) -> list[str]:
    return [
        note_text(note.code, note.values, language) if isinstance(note, PlanNote) else str(note) for note in plan.notes
    ]


def _tablets_short(step: TaperStep, language: str) -> str:
    """'1 × 2.5 mg + ½ × 2 mg' for prescribers."""
    parts = []
    for strength, count in step.tablets:
        whole = int(count)
        amount = "½" if count == 0.5 else (f"{whole}½" if count - whole else str(whole))
        parts.append(f"{amount} × {fmt_number(strength, language)} mg")
    return " + ".join(parts)


def _dose(step: TaperStep, language: str) -> str:
    return f"{fmt_number(step.dose_mg, language)} mg"


def _heading(plan: TaperPlan, language: str) -> str:
    words = LABELS[language]
    drug = plan.label(plan.drug).name(language)
    pace = next((n.values.get("pace") for n in plan.notes if isinstance(n, PlanNote) and n.code == "pace"), None)
    pace_name = (pace or {}).get(language) or (pace or {}).get("en") or plan.pace
    text = f"{words['title']}{words['colon']}{drug} {fmt_number(plan.start_dose_mg, language)} mg {words['per_day']}"
    if plan.switched:
        text += f", {words['switched_to']} {plan.label(plan.taper_drug).name(language)}"
    return f"{text} ({words['pace']}{words['colon']}{pace_name})"


def _dates(plan: TaperPlan, language: str) -> str:
    words = LABELS[language]
    taper = plan.label(plan.taper_drug).name(language)
    first = plan.steps[0].start if plan.steps else plan.end
    return (
        f"{fmt_date(first, language)} – {words['first_free_day']} {taper}{words['colon']}{fmt_date(plan.end, language)} "
        f"({plan.total_days} {words['days']})"
    )


def _kind(step: TaperStep, language: str) -> str:
    return LABELS[language]["kinds"][step.kind]


# ---- text and Markdown ---------------------------------------------------------------------------


def plan_text(plan: TaperPlan, language: str = "en") -> str:
    """A plain-text plan for a terminal or a note: heading, one line a step, notes and sources."""
    language = language_or_default(language)
    words = LABELS[language]
    rows = [[words["step"], words["from"], words["to"], words["dose"], words["tablets"]]]
    for step in plan.steps:
        if step.kind == "stop":
            rows.append([f"{step.number} ({_kind(step, language)})", step.start.isoformat(), "", "0 mg", ""])
        else:
            rows.append(
                [
                    f"{step.number} ({_kind(step, language)})",
                    step.start.isoformat(),
                    step.end.isoformat(),
                    _dose(step, language),
                    _tablets_short(step, language),
                ]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [_heading(plan, language), _dates(plan, language), ""]
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    notes = _notes(plan, language)
    if notes:
        lines += ["", f"{words['notes']}{words['colon'].rstrip()}"] + [f"- {note}" for note in notes]
    if plan.sources:
        lines += ["", f"{words['sources']}{words['colon'].rstrip()}"] + [f"- {source}" for source in plan.sources]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: TaperPlan, language: str = "en") -> str:
    """A Markdown table for a card's detail: step, from, to, daily dose, tablets; then the notes."""
    language = language_or_default(language)
    words = LABELS[language]
    lines = [
        f"**{_md(_heading(plan, language))}**",
        "",
        _md(_dates(plan, language)),
        "",
        f"| {words['step']} | {words['from']} | {words['to']} | {words['dose']} | {words['tablets']} |",
        "|---|---|---|---|---|",
    ]
    for step in plan.steps:
        kind = _kind(step, language)
        if step.kind == "stop":
            lines.append(f"| {step.number} ({kind}) | {fmt_date(step.start, language)} | | 0 mg | |")
        else:
            lines.append(
                f"| {step.number} ({kind}) | {fmt_date(step.start, language)} | {fmt_date(step.end, language)} "
                f"| {_dose(step, language)} | {_md(_tablets_short(step, language))} |"
            )
    notes = _notes(plan, language)
    if notes:
        lines += [""] + [f"- {_md(note)}" for note in notes]
    return "\n".join(lines) + "\n"


# ---- JSON and FHIR ---------------------------------------------------------------------------------


def _step_json(step: TaperStep) -> dict[str, Any]:
    return {
        "number": step.number,
        "kind": step.kind,
        "start": step.start.isoformat(),
        "end": step.end.isoformat(),
        "days": step.days,
        "drug": step.drug,
        "dose_mg": step.dose_mg,
        "tablets": [{"strength_mg": strength, "count": count} for strength, count in step.tablets],
        "de_mg": step.de_mg,
    }


def plan_json(plan: TaperPlan) -> dict[str, Any]:
    """The plan as plain JSON types (dates as ISO strings)."""
    return {
        "drug": plan.drug,
        "start_dose_mg": plan.start_dose_mg,
        "taper_drug": plan.taper_drug,
        "switched": plan.switched,
        "pace": plan.pace,
        "interval_days": plan.interval_days,
        "equivalence_table": plan.table,
        "markets": list(plan.markets),
        "start": plan.steps[0].start.isoformat() if plan.steps else None,
        "end": plan.end.isoformat(),
        "total_days": plan.total_days,
        "steps": [_step_json(step) for step in plan.steps],
        "notes": [str(note) for note in plan.notes],
        "note_codes": [note.code if isinstance(note, PlanNote) else None for note in plan.notes],
        "sources": list(plan.sources),
    }


def _dosage_text(step: TaperStep, drug: str) -> str:
    if step.kind == "stop":
        return f"Stop {drug} from {step.start.isoformat()}."
    words = {"switch": "Switch to", "stabilise": "Stay on", "reduce": "Take", "hold": "Stay on"}[step.kind]
    tablets = _tablets_short(step, "en")
    return (
        f"Step {step.number}: {words} {drug} {fmt_number(step.dose_mg)} mg a day "
        f"({tablets}) from {step.start.isoformat()} to {step.end.isoformat()}."
    )


def plan_medication_request(plan: TaperPlan, patient_reference: str | None = None) -> dict[str, Any]:
    """A draft FHIR R4 MedicationRequest: one Dosage per step (sequence, text, boundsPeriod, mg a day).

    `subject` is required by FHIR; without a patient reference it carries only a display text.
    """
    label = plan.label(plan.taper_drug)
    drug = label.name("en")
    concept: dict[str, Any] = {"text": drug}
    if label.atc:
        concept["coding"] = [{"system": ATC_SYSTEM, "code": label.atc, "display": drug}]
    dosages = []
    for step in plan.steps:
        dosages.append(
            {
                "sequence": step.number,
                "text": _dosage_text(step, drug),
                "timing": {
                    "repeat": {
                        "boundsPeriod": {"start": step.start.isoformat(), "end": step.end.isoformat()},
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "d",
                    }
                },
                "doseAndRate": [
                    {"doseQuantity": {"value": step.dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}}
                ],
            }
        )
    subject = {"reference": patient_reference} if patient_reference else {"display": "Patient (not specified)"}
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": subject,
        "dosageInstruction": dosages,
    }
    notes = [str(note) for note in plan.notes]
    if notes:
        resource["note"] = [{"text": note} for note in notes]
    return resource


# ---- the patient handout ------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 16px;
       line-height: 1.5; color: #1a1a1a; margin: 0; background: #fff; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; border-bottom: 2px solid #2b6cb0; padding-bottom: .2rem; }
p.lead { font-size: 1.05rem; }
table { width: 100%; border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #999; padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: #e8f0fa; }
tr.stop td { font-weight: bold; }
td.done { width: 3rem; }
ul { padding-left: 1.3rem; }
.box { border: 2px solid #2b6cb0; border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; }
footer { margin-top: 2rem; font-size: .85rem; color: #444; }
@media print {
  body { font-size: 12pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
}
""".strip()

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,}$")
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


def _contact_html(label: str, value: str) -> str:
    """A contact line; links only for http(s), phone numbers and e-mail addresses."""
    shown = html.escape(value)
    text = value.strip()
    if re.match(r"^https?://", text, re.IGNORECASE):
        link = f'<a href="{html.escape(text, quote=True)}">{shown}</a>'
    elif _PHONE.match(text):
        digits = re.sub(r"[^0-9+]", "", text)
        link = f'<a href="tel:{html.escape(digits, quote=True)}">{shown}</a>'
    elif _EMAIL.match(text):
        link = f'<a href="mailto:{html.escape(text, quote=True)}">{shown}</a>'
    else:
        link = shown
    return f"<li><strong>{html.escape(label)}</strong>: {link}</li>"


def _row(step: TaperStep, plan: TaperPlan, language: str) -> str:
    texts = HANDOUT[language]
    label = plan.label(step.drug)
    forms = dict(label.forms)
    e = html.escape
    if step.kind == "stop":
        what = texts["row_stop"].format(drug=label.name(language))
        return (
            f'<tr class="stop"><td>{step.number}</td><td>{e(fmt_date(step.start, language))}</td><td></td>'
            f'<td>0 mg</td><td>{e(what)}</td><td class="done">&#9744;</td></tr>'
        )
    tablets = tablet_words(step.tablets, forms, language)
    if step.kind == "switch":
        tablets = f"{texts['row_switch'].format(target=label.name(language))}: {tablets}"
    elif step.kind == "hold":
        tablets = f"{texts['row_hold']}: {tablets}"
    return (
        f"<tr><td>{step.number}</td><td>{e(fmt_date(step.start, language))}</td>"
        f"<td>{e(fmt_date(step.end, language))}</td><td>{e(fmt_number(step.dose_mg, language))} mg</td>"
        f'<td>{e(tablets)}</td><td class="done">&#9744;</td></tr>'
    )


def plan_handout_html(
    plan: TaperPlan,
    language: str = "en",
    contacts: Sequence[tuple[str, str]] | Iterable[tuple[str, str]] = (),
    *,
    made_on: date | None = None,
) -> str:
    """A complete, printable HTML page for the patient, in plain words, every value escaped."""
    language = language_or_default(language)
    texts = HANDOUT[language]
    e = html.escape
    drug = plan.label(plan.drug).name(language)
    target = plan.label(plan.taper_drug).name(language)
    title = texts["title"].format(drug=drug)
    cols = "".join(f"<th>{e(c)}</th>" for c in texts["cols"])
    rows = "\n".join(_row(step, plan, language) for step in plan.steps)
    switch = ""
    if plan.switched:
        first = plan.steps[0].days if plan.steps else 0
        switch = f'<p class="box">{e(texts["switch"].format(target=target, days=first))}</p>'
    contact_items = [_contact_html(str(label), str(value)) for label, value in contacts]
    contact_html = (
        "<ul>" + "".join(contact_items) + "</ul>" if contact_items else f"<p>{e(texts['contacts_empty'])}</p>"
    )
    expect = "".join(f"<li>{e(item)}</li>" for item in texts["expect_items"])
    hard = "".join(f"<li>{e(item)}</li>" for item in texts["hard_items"])
    footer = texts["footer"].format(date=fmt_date(made_on or date.today(), language))
    return f"""<!DOCTYPE html>
<html lang="{e(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>
{_CSS}
</style>
</head>
<body>
<main>
<h1>{e(title)}</h1>
<p class="lead">{e(texts["intro"])}</p>
{switch}
<h2>{e(texts["schedule"])}</h2>
<table>
<thead><tr>{cols}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<h2>{e(texts["expect"])}</h2>
<ul>{expect}</ul>
<h2>{e(texts["hard"])}</h2>
<ul>{hard}</ul>
<h2>{e(texts["never"])}</h2>
<p>{e(texts["never_text"])}</p>
<h2>{e(texts["contacts"])}</h2>
{contact_html}
<footer>{e(footer)}</footer>
</main>
</body>
</html>
"""
