"""Taper plan suggestion: a taper of the BZRA the patient takes now, after the deployment's protocol.

The starting dose is what the history says the patient takes now (`facts.history.current_bzras`),
never the unsigned draft; several BZRAs in use are counted together and switched to diazepam, and
the label names every switch. No BZRA in current use: no taper. The suggestion acts on the BZRA only:
a draft of the same BZRA is replaced (delete and create), any other draft is left as it is and the
taper order is created next to it; each action's description says which. The card gets one or two
short sentences (start dose, protocol, about how long, the market) and links to the handout and the
planner; the table itself lives there, one link away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import orjson

from cds_hooks import Action, Link, Suggestion
from service.planner.links import PlanLink, plan_link
from service.facts.model import Facts
from service.fhir.record import PatientRecord
from service.knowledge.models import Knowledge
from service.memo import Memo, MemoPerObject
from service.rules.cards import BuiltSuggestion
from service.settings import Settings
from service.taper.errors import TaperError
from service.taper.handout_texts import PACE_NAMES
from service.taper.inputs import InUse, PlanDefaults, PlanInput, input_for, to_request
from service.taper.plan import TaperPlan, TaperRequest, make_plan
from service.taper.protocol import load_protocols
from service.taper.fhir import patient_group_identifier, plan_group_key
from service.taper.render import plan_medication_requests
from service.taper.wording import fill, fmt_number, in_country

TEXTS: dict[str, dict[str, str]] = {
    "label": {
        "en": "Taper {drug} {dose} mg a day to zero, over about {weeks} weeks",
        "nl": "Afbouwen: {drug} {dose} mg per dag tot nul, in ongeveer {weeks} weken",
        "fr": "Diminution progressive : {drug} {dose} mg par jour jusqu'à l'arrêt, en environ {weeks} semaines",
    },
    "label_switch": {
        "en": "Switch to diazepam {target} mg, then taper to zero over about {weeks} weeks",
        "nl": "Overschakelen op diazepam {target} mg, daarna afbouwen tot nul in ongeveer {weeks} weken",
        "fr": "Relais par le diazépam {target} mg, puis diminution progressive jusqu'à l'arrêt en environ {weeks} semaines",
    },
    "detail": {
        "en": "The plan starts from the dose in use according to the history ({drugs} a day) and follows {protocol} at the {pace} pace, with products marketed {in_market}.",
        "nl": "Het schema vertrekt van de dosis in gebruik volgens de voorgeschiedenis ({drugs} per dag) en volgt {protocol} in {pace} tempo, met producten in de handel {in_market}.",
        "fr": "Le schéma part de la dose en cours selon l'historique ({drugs} par jour) et suit {protocol} au rythme {pace}, avec des produits commercialisés {in_market}.",
    },
    "detail_switch": {
        "en": "Step 1 switches to diazepam {target} mg a day ({phase}).",
        "nl": "Stap 1 schakelt over op diazepam {target} mg per dag ({phase}).",
        "fr": "Le palier 1 est un relais par le diazépam {target} mg par jour ({phase}).",
    },
    "replace": {
        "en": "Adds the taper plan for {drug} ({steps} steps) in place of the draft order.",
        "nl": "Voegt het afbouwschema voor {drug} toe ({steps} stappen), in de plaats van het conceptvoorschrift.",
        "fr": "Ajoute le schéma de diminution de {drug} ({steps} paliers) à la place du projet de prescription.",
    },
    "delete": {
        "en": "Removes this draft order of {drug}.",
        "nl": "Verwijdert dit conceptvoorschrift voor {drug}.",
        "fr": "Supprime ce projet de prescription de {drug}.",
    },
    "create": {
        "en": "Adds a taper order for {drug} ({steps} steps) next to the draft order, which stays as it is.",
        "nl": "Voegt een afbouwvoorschrift voor {drug} toe ({steps} stappen) naast het conceptvoorschrift, dat ongewijzigd blijft.",
        "fr": "Ajoute une prescription de diminution de {drug} ({steps} paliers) à côté du projet de prescription, qui reste inchangé.",
    },
    "create_alone": {
        "en": "Adds a taper order for {drug} ({steps} steps).",
        "nl": "Voegt een afbouwvoorschrift voor {drug} toe ({steps} stappen).",
        "fr": "Ajoute une prescription de diminution de {drug} ({steps} paliers).",
    },
    "create_cross": {
        "en": "Adds the order of {drug} for the first week(s) of the switch, which then stops.",
        "nl": "Voegt het voorschrift voor {drug} toe voor de eerste week(en) van de overschakeling, daarna stopt het.",
        "fr": "Ajoute la prescription de {drug} pour la ou les premières semaines du relais, qui s'arrête ensuite.",
    },
    "handout": {
        "en": "Taper plan and information for the patient (printable)",
        "nl": "Afbouwschema en informatie voor de patiënt (af te drukken)",
        "fr": "Schéma de diminution et informations pour le patient (imprimable)",
    },
}
PHASES = {
    "cross_taper": {"en": "gradually, over 2 weeks", "nl": "geleidelijk, over 2 weken", "fr": "progressivement, sur 2 semaines"},
    "switch_day": {"en": "on day 1, then a stable period", "nl": "op dag 1, daarna een stabiele periode", "fr": "dès le jour 1, puis une période stable"},
}
__all__ = ["taper_input", "taper_suggestion"]



_TEXTS: Memo[str] = Memo(1024)  # filled texts: the same few drugs, steps and languages come back


def _text(key: str, language: str, **values: object) -> str:
    try:
        memo_key = (key, language, tuple(values.items()))
        hash(memo_key)
    except TypeError:  # a value that is not hashable (a phase's texts): filled each time
        return fill(TEXTS[key], values, language)
    return _TEXTS.get(memo_key, lambda: fill(TEXTS[key], values, language))


InUseKey = tuple[tuple[str, float], ...]  # the BZRAs in use now, (drug, mg a day), the one tapered first


def in_use_key(facts: Facts) -> InUseKey:
    """What the plan's input reads from the facts: the BZRAs in use now with a known dose, largest
    diazepam-equivalent first."""
    in_use = sorted((u for u in facts.history.current_bzras if u.mg_per_day), key=lambda u: -(u.de_mg_per_day or 0.0))
    return tuple((use.drug, use.mg_per_day or 0.0) for use in in_use)


def taper_input(facts: Facts, language: str) -> PlanInput | None:
    """The plan's input from the BZRAs in use now (largest diazepam-equivalent first); None when there are none."""
    return _input(in_use_key(facts), facts.today, language)


def _input(in_use: InUseKey, today: date, language: str) -> PlanInput | None:
    if not in_use:
        return None
    (drug, dose), *others = in_use
    also = [InUse(drug=other, dose=mg) for other, mg in others]
    return PlanInput(drug=drug, dose=dose, also_taking=also, start=today, language=language)


_PLANS: MemoPerObject[TaperPlan | None] = MemoPerObject(512)  # per knowledge; a plan is a few kB
_ORDERS: MemoPerObject[bytes] = MemoPerObject(512)  # the plan's requests as JSON, per request and language
_PREPARED: MemoPerObject[Prepared | None] = MemoPerObject(512)  # per knowledge; a few kB each (the requests' JSON)


def _plan(request: TaperRequest, knowledge: Knowledge) -> TaperPlan | None:
    """`make_plan`, remembered per knowledge object; None when the request has no plan (`TaperError`).

    The plan is a pure function of the request and the knowledge (protocols and markets are read once
    per process), and calls repeat the same few requests. A cached plan is frozen and shared; the
    resources that go into a response are built from it anew on every call.
    """

    def planned() -> TaperPlan | None:
        try:
            return make_plan(request, knowledge)
        except TaperError:
            return None  # e.g. an absurd dose: the card simply offers no taper, and says why elsewhere

    return _PLANS(knowledge).get(request, planned)


def _names(plan: TaperPlan, uses: list[tuple[str, float]], language: str) -> str:
    return ", ".join(f"{plan.label(drug).name(language)} {fmt_number(mg, language)} mg" for drug, mg in uses)


def _orders(prepared: Prepared, patient: str) -> list[dict]:
    """The plan's MedicationRequests for this patient, as new objects on every call.

    Rendering them in a language is the costly part of the suggestion, and it is the same for every
    patient on the same plan: the JSON is remembered per request and language, read back anew for each
    call (so no call shares an object with another) and given the patient's subject and group.
    """
    resources = orjson.loads(prepared.orders)
    group = patient_group_identifier(prepared.group_key, patient)
    for resource in resources:
        resource["subject"] = {"reference": patient}
        resource["groupIdentifier"] = group
    return resources


def _actions(facts: Facts, record: PatientRecord, plan: TaperPlan, resources: list[dict], language: str) -> list[Action]:
    """Replace a draft of the same BZRA; otherwise create the taper order next to the draft, untouched."""
    in_use = {plan.drug, *(drug for drug, _ in plan.also_taking)}
    draft, steps = facts.draft, len(plan.steps) - 1  # the steps before the stop
    taper_name = plan.label(plan.taper_drug).name(language)
    actions = []
    same = draft is not None and draft.is_bzra and draft.reference and draft.drug in in_use
    if same:
        name = plan.label(draft.drug).name(language)
        actions.append(Action(type="delete", description=_text("delete", language, drug=name), resourceId=record.as_sent(draft.reference)))
    for resource in resources[:-1]:
        other = resource["medicationCodeableConcept"]["text"]
        actions.append(Action(type="create", description=_text("create_cross", language, drug=other), resource=resource))
    key = "replace" if same else "create" if draft is not None else "create_alone"
    name = plan.label(draft.drug).name(language) if same and draft.drug else taper_name
    actions.append(Action(type="create", description=_text(key, language, drug=name, steps=steps), resource=resources[-1]))
    return actions


def _detail(plan: TaperPlan, weeks: int, language: str) -> str:
    uses = [(plan.drug, plan.start_dose_mg), *plan.also_taking]
    detail = _text("detail", language, drugs=_names(plan, uses, language), protocol=plan.protocol_name(language),
                   pace=PACE_NAMES[plan.pace], weeks=weeks, in_market=in_country(plan.country(language), language))
    switch = plan.switch_step
    if switch is not None and plan.switch_phase:
        detail += " " + _text("detail_switch", language, target=switch.dose_mg, phase=PHASES[plan.switch_phase])
    return detail


def _links(prepared: Prepared, record: PatientRecord) -> tuple[Link, ...]:
    if prepared.handout is None or prepared.planner is None:
        return ()
    return (
        Link(label=prepared.handout_label, url=prepared.handout, type="absolute"),
        prepared.planner.for_patient(record.patient_id),
    )


@dataclass(frozen=True)
class Prepared:
    """The part of a taper suggestion that is the same for every patient on the same plan, in one
    language: the plan, its texts, its links but the patient, and its requests as JSON."""

    plan: TaperPlan
    request: TaperRequest
    label: str
    detail: str
    handout: str | None  # the handout's address; None without a base address
    planner: PlanLink | None  # the planner link but the patient; None without a base address
    orders: bytes  # the plan's MedicationRequests without subject or group (`_orders` adds them)
    group_key: str  # the plan's part of the requests' group (`taper.fhir.plan_group_key`)
    handout_label: str


def _prepare(in_use: InUseKey, today: date, language: str, defaults: PlanDefaults, base: str, knowledge: Knowledge) -> Prepared | None:
    """The patient-independent part, remembered per knowledge by every input it reads (the protocols
    are read once per process, as `_plan` assumes); None when no plan can be made."""
    key = (in_use, today, language, defaults, base)
    return _PREPARED(knowledge).get(key, lambda: _prepared(in_use, today, language, defaults, base, knowledge))


def _prepared(in_use: InUseKey, today: date, language: str, defaults: PlanDefaults, base: str, knowledge: Knowledge) -> Prepared | None:
    wanted = _input(in_use, today, language)
    if wanted is None:
        return None
    try:
        request = to_request(wanted, defaults, knowledge, load_protocols(), today)
    except TaperError:
        return None
    plan = _plan(request, knowledge)
    if plan is None:
        return None
    weeks = max(1, round(plan.total_days / 7))
    switch = plan.switch_step
    if switch is not None:
        label = _text("label_switch", language, target=switch.dose_mg, weeks=weeks)
    else:
        label = _text("label", language, drug=plan.label(plan.drug).name(language), dose=plan.start_dose_mg, weeks=weeks)
    plan_input = input_for(request, language)
    handout = f"{base}/taper/handout?{urlencode(plan_input.query())}" if base else None
    planner = plan_link(base, plan_input.model_dump(mode="json", exclude_none=True, exclude={"language", "patient"}), language) if base else None
    orders = _ORDERS(knowledge).get((request, language), lambda: orjson.dumps(plan_medication_requests(plan, None, language)))
    return Prepared(plan, request, label, _detail(plan, weeks, language), handout, planner, orders, plan_group_key(plan),
                    _text("handout", language))


def taper_suggestion(
    facts: Facts, record: PatientRecord, knowledge: Knowledge, settings: Settings, base: str, language: str
) -> BuiltSuggestion | None:
    """The taper suggestion for the BZRAs in use now, or None when there are none or no plan can be made."""
    prepared = _prepare(in_use_key(facts), facts.today, language, PlanDefaults.from_settings(settings), base, knowledge)
    if prepared is None:
        return None
    orders = _orders(prepared, f"Patient/{record.patient_id}")
    return BuiltSuggestion(
        Suggestion(label=prepared.label, actions=_actions(facts, record, prepared.plan, orders, language)),
        detail=prepared.detail,
        links=_links(prepared, record),
    )
