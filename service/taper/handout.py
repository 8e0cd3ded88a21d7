"""The printable patient handout (HTML) of a taper plan, in plain, respectful words, every value escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date

from service.taper.handout_texts import HANDOUT
from service.taper.model import TaperPlan, TaperStep
from service.taper.step_words import step_plain
from service.taper.wording import fmt_date, fmt_number, in_country, language_or_default

__all__ = ["handout_error_html", "plan_handout_html"]

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
    texts, e = HANDOUT[language], html.escape
    if step.kind == "stop":
        what = texts["row_stop"].format(drug=plan.label(step.drug).name(language))
        return (
            f'<tr class="stop"><td>{step.number}</td><td>{e(fmt_date(step.start, language))}</td><td></td>'
            f'<td>{e(what)}</td><td class="done">&#9744;</td></tr>'
        )
    what = step_plain(step, plan, language)
    if step.kind == "hold":
        what = f"{texts['row_hold']}: {what}"
    return (
        f"<tr><td>{step.number}</td><td>{e(fmt_date(step.start, language))}</td>"
        f"<td>{e(fmt_date(step.end, language))}</td><td>{e(what)}</td><td class=\"done\">&#9744;</td></tr>"
    )


def _boxes(plan: TaperPlan, language: str) -> str:
    """The explanations this plan needs: the switch, drug-free days, strips, magistral capsules."""
    texts, e = HANDOUT[language], html.escape
    target = plan.label(plan.taper_drug).name(language)
    boxes = []
    if plan.switched and plan.switch_phase == "cross_taper":
        weeks = sum(1 for step in plan.steps if step.kind in ("cross", "switch"))
        boxes.append(texts["cross_taper"].format(target=target, drug=plan.label(plan.drug).name(language), weeks=weeks))
    elif plan.switched and plan.switch_step is not None:
        drugs = [(plan.drug, plan.start_dose_mg), *plan.also_taking]
        named = ", ".join(f"{plan.label(d).name(language)} {fmt_number(mg, language)} mg" for d, mg in drugs)
        boxes.append(texts["switch_day"].format(target=target, drugs=named, days=plan.switch_step.days))
    if any(step.free_days for step in plan.steps):
        boxes.append(texts["free_days"])
    if plan.form == "strips":
        boxes.append(texts["strips"])
    if plan.form == "magistral":
        boxes.append(texts["magistral"])
    return "\n".join(f'<p class="box">{e(box)}</p>' for box in boxes)


def _page(language: str, title: str, body: str) -> str:
    e = html.escape
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
{body}
</main>
</body>
</html>
"""


def plan_handout_html(
    plan: TaperPlan,
    language: str = "en",
    contacts: Sequence[tuple[str, str]] | Iterable[tuple[str, str]] = (),
    *,
    made_on: date | None = None,
) -> str:
    """A complete, printable HTML page for the patient, in plain words, every value escaped."""
    language = language_or_default(language)
    texts, e = HANDOUT[language], html.escape
    title = texts["title"].format(drug=plan.label(plan.drug).name(language))
    cols = "".join(f"<th>{e(c)}</th>" for c in texts["cols"])
    rows = "\n".join(_row(step, plan, language) for step in plan.steps)
    contact_items = [_contact_html(str(label), str(value)) for label, value in contacts]
    contact_html = "<ul>" + "".join(contact_items) + "</ul>" if contact_items else f"<p>{e(texts['contacts_empty'])}</p>"
    expect = "".join(f"<li>{e(item)}</li>" for item in texts["expect_items"])
    hard = "".join(f"<li>{e(item)}</li>" for item in texts["hard_items"])
    footer = texts["footer"].format(date=fmt_date(made_on or date.today(), language), protocol=plan.protocol_name(language),
                                    in_market=in_country(plan.country(language), language))
    body = f"""<h1>{e(title)}</h1>
<p class="lead">{e(texts["intro"])}</p>
{_boxes(plan, language)}
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
<footer>{e(footer)}</footer>"""
    return _page(language, title, body)


def handout_error_html(message: str, language: str = "en") -> str:
    """The page shown when the handout's link asks for a plan that cannot be made, in the language."""
    language = language_or_default(language)
    texts = HANDOUT[language]
    return _page(language, texts["error_title"], f"<p>{html.escape(texts['error'].format(message=message))}</p>")
