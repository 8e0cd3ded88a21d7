"""The card link that opens the taper planner as a SMART app.

A CDS Hooks link of type `smart` names the app's launch URL; the EHR launches it (EHR launch, adding
`iss` and `launch`) and hands `appContext` back to the app with the access token. The planner reads
the plan parameters from that `appContext` (a JSON object), or, in demo mode without an EHR, from
the query string the demo page builds out of the same `appContext`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class PlanLink:
    """The planner link of one plan, waiting for its patient: the plan's context is checked and
    written once (the same for every patient on the plan), the patient added per call."""

    label: str
    url: str
    plan_members: str  # the plan's members of `appContext`, as JSON without the braces
    language_member: str

    def for_patient(self, patient: Any) -> Link:
        """The link for `patient` (an id or `Patient/id`; empty: none), `appContext` written exactly as
        `plan_context` orders it (the plan's keys, the patient, the language)."""
        members = [self.plan_members] if self.plan_members else []
        if not (patient is None or patient == "" or patient == [] or patient == ()):
            members.append(f'"patient":{_json(str(patient).removeprefix("Patient/"))}')
        members.append(self.language_member)
        return Link(label=self.label, url=self.url, type="smart", appContext="{" + ",".join(members) + "}")


def plan_link(base_url: str, plan_query: dict[str, Any], language: str) -> PlanLink:
    """`planner_link` but the patient (a `patient` in `plan_query` is left out)."""
    context = plan_context({key: value for key, value in plan_query.items() if key != "patient"}, language)
    chosen = context.pop("language")
    return PlanLink(
        label=LABELS[chosen],
        url=f"{base_url.rstrip('/')}{PLANNER_PATH}",
        plan_members=_json(context)[1:-1],
        language_member=f'"language":{_json(chosen)}',
    )


def planner_link(base_url: str, plan_query: dict[str, Any], language: str) -> Link:
    """A `smart` link to the planner at `base_url`, carrying the plan in `appContext`.

    `plan_query` takes the keys of `POST /taper` (the planner's input model): drug, dose (mg a day or
    text), protocol, pace, form, switch_to, also_taking, start (ISO date), holds (step numbers), market,
    table and patient (an id or `Patient/id`).
    """
    return plan_link(base_url, plan_query, language).for_patient(plan_query.get("patient"))
