"""What a taper plan is made of: steps, what is taken on which days, notes that translate themselves.

Immutable and free of the knowledge, so every rendering (text, Markdown, JSON, FHIR, the handout) can
say a plan in any language with what the plan carries: drug names, ATC codes and dose forms travel in
`labels`, the protocol's name in `protocol_label`, the market's name in `market_country`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Self

__all__ = [
    "DrugLabel",
    "Intake",
    "MagistralPrescription",
    "PlanNote",
    "StepKind",
    "StripOrder",
    "TaperPlan",
    "TaperStep",
]

StepKind = Literal["cross", "switch", "stabilise", "reduce", "hold", "stop"]
Names = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Intake:
    """What is taken on `days_per_week` days of a step: `mg` of a drug, made of `units`.

    `units` are (strength, count): mg a tablet or capsule and how many (0.5: half), or, for a liquid,
    mg per ml and the ml to measure. `form` is the dose form (tablet, capsule, oral_liquid,
    magistral_capsule, strip_pouch).
    """

    drug: str
    mg: float
    days_per_week: int
    units: tuple[tuple[float, float], ...]
    form: str


@dataclass(frozen=True)
class TaperStep:
    """One period of the plan. `dose_mg` is the average mg a day of `drug` over the step.

    `intakes` say what is taken on which days; `free_days` are the planned drug-free days a week. A
    cross-taper step has intakes of two drugs; a strip step's pouches go down day by day from
    `first_mg` to the step's own dose.
    """

    number: int
    kind: StepKind
    start: date
    end: date
    days: int
    drug: str
    dose_mg: float
    intakes: tuple[Intake, ...]
    free_days: int
    de_mg: float | None
    first_mg: float | None = None

    @property
    def tablets(self) -> tuple[tuple[float, float], ...]:
        """The units of the day that holds most of the dose (the first intake of `drug`)."""
        own = [intake for intake in self.intakes if intake.drug == self.drug]
        return own[0].units if own else ()

    @property
    def daily_mg(self) -> float:
        """The dose on a dosing day (the highest intake of `drug`); 0 at the stop."""
        return max((intake.mg for intake in self.intakes if intake.drug == self.drug), default=0.0)


@dataclass(frozen=True)
class DrugLabel:
    """What renderings need to name a drug without the knowledge: names, ATC, dose forms."""

    id: str
    names: Names
    atc: str | None = None
    forms: tuple[tuple[float, str], ...] = ()

    def name(self, language: str = "en") -> str:
        found = dict(self.names)
        return found.get(language) or found.get("en") or self.id

    def form(self, strength_mg: float) -> str:
        return dict(self.forms).get(strength_mg, "tablet")


class PlanNote(str):
    """A note in English (it *is* the string) that remembers its code and values for translation."""

    code: str
    values: Mapping[str, Any]

    def __new__(cls, code: str, text: str, values: Mapping[str, Any]) -> Self:
        note = super().__new__(cls, text)
        note.code = code
        note.values = dict(values)
        return note

    def __reduce__(self) -> tuple[Any, ...]:
        return (PlanNote, (self.code, str(self), dict(self.values)))


@dataclass(frozen=True)
class StripOrder:
    """One 28-day tapering strip as the order form asks: its days and its first and last pouch."""

    number: int
    start: date
    end: date
    first_mg: float
    last_mg: float


@dataclass(frozen=True)
class MagistralPrescription:
    """The Belgian prescription of one step's magistral capsules, in each language ("R/ ... S/ ...")."""

    step: int
    capsule_mg: float
    capsules: int
    texts: Names

    def text(self, language: str) -> str:
        found = dict(self.texts)
        return found.get(language) or found["nl"]


@dataclass(frozen=True)
class TaperPlan:
    drug: str
    start_dose_mg: float
    taper_drug: str
    switched: bool
    pace: str
    steps: tuple[TaperStep, ...]
    total_days: int
    end: date
    notes: tuple[str, ...]
    sources: tuple[str, ...]
    labels: tuple[DrugLabel, ...] = ()
    table: str | None = None
    interval_days: int = 0
    protocol: str = ""
    protocol_label: Names = ()
    form: str = "tablets"
    market: str = ""
    market_country: Names = ()
    switch_reason: str | None = None
    switch_phase: str | None = None
    also_taking: tuple[tuple[str, float], ...] = ()
    strips: tuple[StripOrder, ...] = ()
    prescriptions: tuple[MagistralPrescription, ...] = ()

    def label(self, drug_id: str) -> DrugLabel:
        for label in self.labels:
            if label.id == drug_id:
                return label
        return DrugLabel(id=drug_id, names=(("en", drug_id),))

    def protocol_name(self, language: str) -> str:
        found = dict(self.protocol_label)
        return found.get(language) or found.get("en") or self.protocol

    def country(self, language: str) -> str:
        found = dict(self.market_country)
        return found.get(language) or found.get("en") or self.market

    @property
    def switch_step(self) -> TaperStep | None:
        """The first step taken fully on the switch target (a switch day, or the end of a cross-taper)."""
        return next((step for step in self.steps if step.kind == "switch"), None) if self.switched else None

    @property
    def reductions(self) -> tuple[TaperStep, ...]:
        return tuple(step for step in self.steps if step.kind == "reduce")
