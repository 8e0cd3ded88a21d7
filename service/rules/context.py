"""What a rule's condition and texts can read: the facts as plain data, plus `params`.

Also a complete sample of that data, so the linter can try every template without a patient.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import date
from typing import Any

from service.facts.model import CourseFacts, DrugUse, EpisodeFacts, Facts, HistoryFacts, OrderFacts, PatientFacts, TaperSeen
from service.facts.unknown import Unknown
from service.knowledge.models import Knowledge

NO_ORDER = OrderFacts(
    reference="",
    medication="no medication order",
    drug=None,
    is_bzra=False,
    matched_by="none",
    classes=[],
    half_life_class=None,
    strength_mg=None,
    mg_per_day=None,
    max_mg_per_day=None,
    de_mg_per_day=None,
    dose_known=False,
    as_needed=False,
    dose_derivation="no order",
    units_per_day=None,
    quantity=None,
    repeats=0,
    days_supply=None,
    days_supply_known=False,
    supply_derivation="no order",
    reasons=[],
    for_insomnia=False,
    for_anxiety=False,
    is_taper_plan=False,
)


_LAST_DUMP: list[tuple[weakref.ref[Facts], dict[str, Any]]] = []  # the last facts dumped, by identity


def facts_data(facts: Facts) -> dict[str, Any]:
    """The facts as plain data, once per hook call (every rule reads the same dump). The last facts
    dumped are remembered by identity: the conditions and then the referral's reason read the same
    facts (frozen), and a dump costs as much as the rest of a card. Shared: read it, never change it."""
    if _LAST_DUMP and _LAST_DUMP[0][0]() is facts:
        return _LAST_DUMP[0][1]
    data = facts.model_dump(mode="json")
    if data["draft"] is None:
        data["draft"] = NO_ORDER.model_dump(mode="json")
    _LAST_DUMP[:] = [(weakref.ref(facts), data)]
    return data


def evaluation_context(data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """What one rule sees: the shared facts data plus its own `params` (the facts are not copied)."""
    return {**data, "params": params}


ReadTree = dict[str, "ReadTree | None"]  # None: the whole value at that name


def read_tree(paths: Iterable[tuple[str, ...]]) -> ReadTree:
    """The dotted names a condition reads as a tree; a name read whole covers its longer paths."""
    tree: ReadTree = {}
    for path in sorted(paths, key=len):
        node = tree
        for depth, part in enumerate(path):
            if part in node and node[part] is None:
                break
            if depth == len(path) - 1:
                node[part] = None
                break
            child = node.setdefault(part, {})
            assert child is not None
            node = child
    return tree


def project(data: dict[str, Any], tree: ReadTree) -> dict[str, Any]:
    """Only the parts of `data` in `tree`: CEL converts every value it is given, so it gets no more."""
    picked: dict[str, Any] = {}
    for name, below in tree.items():
        if name in data:
            value = data[name]
            picked[name] = project(value, below) if below and isinstance(value, dict) else value
    return picked


def _sample_order() -> OrderFacts:
    """A BZRA draft order with every figure known."""
    return NO_ORDER.model_copy(
        update={
            "reference": "MedicationRequest/sample",
            "medication": "lorazepam 1 mg tablet",
            "drug": "lorazepam",
            "is_bzra": True,
            "matched_by": "text",
            "half_life_class": "intermediate",
            "strength_mg": 1.0,
            "mg_per_day": 2.0,
            "max_mg_per_day": 2.0,
            "de_mg_per_day": 20.0,
            "dose_known": True,
            "dose_derivation": "sample",
            "units_per_day": 2.0,
            "quantity": 60.0,
            "days_supply": 30.0,
            "days_supply_known": True,
            "supply_derivation": "sample",
            "reasons": ["insomnia"],
            "for_insomnia": True,
        }
    )


def _sample_history() -> HistoryFacts:
    """A history with a BZRA in use, dependence likely and a written taper plan under way."""
    use = DrugUse(drug="lorazepam", mg_per_day=2.0, de_mg_per_day=20.0, sources=["MedicationStatement/sample"], derivation="sample")
    return HistoryFacts(
        bzra_continuous_days=60,
        bzra_days_last_12_months=120,
        distinct_bzra_last_90_days=1,
        continuous_days_by_drug={"lorazepam": 60},
        current_bzras=[use],
        total_de_mg_per_day=20.0,
        total_de_known=True,
        total_de_derivation="sample",
        dependence_likely=True,
        use_days_per_week=7.0,
        dependence_derivation="sample",
        ongoing_taper=True,
        taper=TaperSeen(
            drug="lorazepam",
            evidence="written plan",
            doses_mg=[3.0, 2.0],
            current_mg=2.0,
            next_mg=1.0,
            next_start=date(2026, 12, 7),
            sources=["MedicationRequest/sample"],
            derivation="sample",
        ),
        episodes=[EpisodeFacts(drug="lorazepam", start=date(2026, 9, 24), end=date(2026, 11, 22), days=60)],
        exposures=["sample"],
    )


def sample_facts(knowledge: Knowledge) -> Facts:
    """A patient with every field filled in, for checking templates and names."""
    order = _sample_order()
    return Facts(
        today=date(2026, 11, 23),
        hook="order-sign",
        equivalence_table="ashton",
        gap_days=14,
        patient=PatientFacts(age=70, age_known=True, gender="female"),
        draft=order,
        has_draft_bzra=True,
        draft_starts_bzra=True,
        tapering=True,
        drafts=[order],
        draft_classes=[],
        history=_sample_history(),
        current_bzras=["lorazepam"],
        drug_names={"lorazepam": {"en": "lorazepam", "nl": "lorazepam", "fr": "lorazépam"}},
        distinct_bzra_count=1,
        total_bzra_de_mg_per_day=20.0,
        total_de_known=True,
        total_de_derivation="sample",
        comedication={class_id: True for class_id in knowledge.comedication_classes},
        comedication_sources={class_id: ["MedicationRequest/sample"] for class_id in knowledge.comedication_classes},
        conditions={group_id: True for group_id in knowledge.condition_groups},
        exemptions=list(knowledge.exemptions),
        exempt=True,
        exemption_derivation="sample",
        course=CourseFacts(
            limit_days=14,
            limit_reason="insomnia",
            days_so_far=10,
            supply_left_days=0,
            order_days=14.0,
            projected_days=24.0,
            days_left_within_limit=4,
            derivation="sample",
        ),
        not_checked=["sample"],
        unknown=[Unknown(what="age")],
    )
