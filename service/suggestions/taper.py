"""Taper plan: a `create` of a MedicationRequest with one dosage step per period, replacing the draft.

The plan tapers the BZRA being ordered (or, with several BZRAs in use, their total as diazepam), at
the deployment's default pace; the card also gets the plan as a table and a link to the patient
handout, where pace, holds and a switch to diazepam can be changed with the patient.
"""

from __future__ import annotations

from urllib.parse import urlencode

from cds_hooks import Action, Link, Suggestion
from service.demo.links import planner_link
from service.facts.model import Facts
from service.fhir.record import PatientRecord
from service.knowledge.models import Knowledge
from service.memo import MemoPerObject
from service.rules.cards import BuiltSuggestion
from service.settings import Settings
from service.taper.plan import TaperError, TaperPlan, TaperRequest, make_plan
from service.taper.render import plan_markdown, plan_medication_request

LABELS = {
    "suggestion": {
        "en": "Start a gradual taper: {drug} from {dose} mg a day to zero over about {weeks} weeks",
        "nl": "Start geleidelijk afbouwen: {drug} van {dose} mg per dag naar nul in ongeveer {weeks} weken",
        "fr": "Commencer une diminution progressive : {drug} de {dose} mg par jour à zéro en environ {weeks} semaines",
    },
    "description": {
        "en": "Replace this order with a taper schedule ({steps} steps); adjust the pace with the patient.",
        "nl": "Vervang dit voorschrift door een afbouwschema ({steps} stappen); pas het tempo aan samen met de patiënt.",
        "fr": "Remplacer cette prescription par un schéma de diminution ({steps} paliers) ; adaptez le rythme avec le patient.",
    },
    "combined": {
        "en": "The BZRAs in use ({drugs}) are counted together as {dose} mg diazepam a day: switching to diazepam comes first, with a period at that dose before the first step.",
        "nl": "De gebruikte BZRA's ({drugs}) worden samen geteld als {dose} mg diazepam per dag: eerst omzetten naar diazepam, met een periode op die dosis vóór de eerste stap.",
        "fr": "Les BZRA utilisées ({drugs}) sont comptées ensemble comme {dose} mg de diazépam par jour : d'abord le passage au diazépam, avec une période à cette dose avant le premier palier.",
    },
    "handout": {
        "en": "Taper plan and information for the patient (printable)",
        "nl": "Afbouwschema en informatie voor de patiënt (af te drukken)",
        "fr": "Schéma de diminution et informations pour le patient (imprimable)",
    },
}


def _label(key: str, language: str, **values: object) -> str:
    return (LABELS[key].get(language) or LABELS[key]["en"]).format(**values)


def taper_target(facts: Facts) -> tuple[str, float] | None:
    """(drug, mg/day) to taper: the ordered BZRA; with several BZRAs, their total as diazepam."""
    if facts.distinct_bzra_count >= 2 and facts.total_de_known and facts.total_bzra_de_mg_per_day:
        return "diazepam", facts.total_bzra_de_mg_per_day
    draft = facts.draft
    if draft is not None and draft.is_bzra and draft.drug and draft.mg_per_day:
        return draft.drug, draft.mg_per_day
    in_use = [u for u in facts.history.current_bzras if u.mg_per_day]
    if in_use:
        top = max(in_use, key=lambda u: u.de_mg_per_day or 0.0)
        return top.drug, top.mg_per_day or 0.0
    return None


def _combined_note(facts: Facts, plan: TaperPlan, language: str) -> str:
    if facts.distinct_bzra_count < 2 or plan.drug != "diazepam":
        return ""
    return _label("combined", language, drugs=", ".join(facts.current_bzras), dose=f"{plan.start_dose_mg:.3g}") + "\n\n"


def handout_url(base: str, plan: TaperPlan, language: str) -> str:
    query = {
        "drug": plan.drug,
        "dose": f"{plan.start_dose_mg:g}",
        "pace": plan.pace,
        "start": plan.steps[0].start.isoformat(),
        "language": language,
    }
    if plan.switched and plan.drug != "diazepam":
        query["switch_to"] = "diazepam"
    return f"{base}/taper/handout?{urlencode(query)}"


_Planned = tuple[TaperPlan, str]  # the plan and its Markdown table
_PLANS: MemoPerObject[_Planned | None] = MemoPerObject(512)  # per knowledge; a plan is a few kB


def _plan(request: TaperRequest, knowledge: Knowledge, table: str, language: str) -> _Planned | None:
    """`make_plan` and `plan_markdown`, remembered; None when the request has no plan (`TaperError`).

    Both are pure functions of the request, the knowledge, the table and the language (the protocol
    is read once per process), and calls repeat the same few (drug, dose, day): making them costs
    more than all the rest of the suggestion. Remembered per knowledge object (`service.memo`), so a
    reloaded knowledge starts afresh. A cached plan is shared between
    calls, so it never leaves this module: it is frozen, the table is a string, and the resource that
    goes into a response is built from the plan anew on every call (it names the patient, and copying
    a cached one would cost as much as building it).
    """

    def planned() -> _Planned | None:
        try:
            plan = make_plan(request, knowledge, table)
        except TaperError:
            return None
        return plan, plan_markdown(plan, language)

    return _PLANS(knowledge).get((request, table, language), planned)


def taper_suggestion(
    facts: Facts, record: PatientRecord, knowledge: Knowledge, settings: Settings, base: str, language: str
) -> BuiltSuggestion | None:
    target = taper_target(facts)
    if target is None:
        return None
    drug, dose = target
    request = TaperRequest(
        drug=drug,
        daily_dose_mg=dose,
        pace=settings.taper_pace,  # type: ignore[arg-type]
        start=facts.today,
        markets=(settings.market,) if settings.market else (),
    )
    planned = _plan(request, knowledge, settings.equivalence_table, language)
    if planned is None:
        return None  # e.g. no marketed strength allows a taper: the card simply offers no plan
    plan, markdown = planned
    actions = []
    draft = facts.draft
    if draft is not None and draft.is_bzra and draft.reference:
        actions.append(Action(type="delete", description="Remove the draft order", resourceId=draft.reference))
    actions.append(
        Action(
            type="create",
            description=_label("description", language, steps=len(plan.steps)),
            resource=plan_medication_request(plan, f"Patient/{record.patient_id}"),
        )
    )
    name = knowledge.drug(plan.drug).display
    links: tuple[Link, ...] = ()
    if base:
        planner_query = {
            "drug": plan.drug,
            "dose": plan.start_dose_mg,
            "pace": plan.pace,
            "switch_to": "diazepam" if plan.switched and plan.drug != "diazepam" else None,
            "start": plan.steps[0].start.isoformat(),
            "patient": record.patient_id,
        }
        links = (
            Link(label=_label("handout", language), url=handout_url(base, plan, language), type="absolute"),
            planner_link(base, planner_query, language),
        )
    return BuiltSuggestion(
        Suggestion(
            label=_label(
                "suggestion",
                language,
                drug=getattr(name, language, None) or name.en,
                dose=f"{plan.start_dose_mg:.3g}",
                weeks=round(plan.total_days / 7),
            ),
            actions=actions,
        ),
        detail=_combined_note(facts, plan, language) + markdown,
        links=links,
    )
