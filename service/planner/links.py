"""The card link that opens the taper planner as a SMART app.

A CDS Hooks link of type `smart` names the app's launch URL; the EHR launches it (EHR launch, adding
`iss` and `launch`) and hands `appContext` back to the app with the access token. The planner reads
the plan parameters from that `appContext` (a JSON object), or, in demo mode without an EHR, from
the query string the demo page builds out of the same `appContext`.
"""

from __future__ import annotations

import json
from typing import Any

from cds_hooks import Link

PLANNER_PATH = "/planner"
PLAN_KEYS = ("drug", "dose", "protocol", "pace", "form", "switch_to", "also_taking", "start", "holds", "market", "table", "patient")

LABELS = {
    "en": "Adjust the taper plan with the patient (taper planner)",
    "nl": "Het afbouwschema aanpassen samen met de patiënt (afbouwplanner)",
    "fr": "Adapter le schéma de diminution avec le patient (planificateur)",
}


def plan_context(plan_query: dict[str, Any], language: str) -> dict[str, Any]:
    """The plan parameters the planner understands, without empty values, plus the language."""
    context: dict[str, Any] = {}
    for key in PLAN_KEYS:
        value = plan_query.get(key)
        if value is None or value == "" or value == [] or value == ():
            continue
        if key == "holds":
            value = [int(step) for step in value]
        elif key == "also_taking":
            value = [{"drug": str(item["drug"]), "dose": item["dose"]} for item in value]
        elif key == "dose":
            value = value if isinstance(value, str) else float(value)
        elif key == "patient":
            value = str(value).removeprefix("Patient/")
        else:
            value = str(value)
        context[key] = value
    unknown = set(plan_query) - set(PLAN_KEYS) - {"language"}
    if unknown:
        raise ValueError(f"unknown plan parameter(s): {', '.join(sorted(unknown))}")
    context["language"] = language if language in LABELS else "en"
    return context


def planner_link(base_url: str, plan_query: dict[str, Any], language: str) -> Link:
    """A `smart` link to the planner at `base_url`, carrying the plan in `appContext`.

    `plan_query` takes the keys of `POST /taper` (the planner's input model): drug, dose (mg a day or
    text), protocol, pace, form, switch_to, also_taking, start (ISO date), holds (step numbers), market,
    table and patient (an id or `Patient/id`).
    """
    context = plan_context(plan_query, language)
    return Link(
        label=LABELS[context["language"]],
        url=f"{base_url.rstrip('/')}{PLANNER_PATH}",
        type="smart",
        appContext=json.dumps(context, separators=(",", ":"), ensure_ascii=False),
    )
