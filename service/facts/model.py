"""The facts the rules see: one `Facts` object per hook call, every figure with its derivation.

Field names are what rule authors write in conditions (`draft.de_mg_per_day >= params.high_dose`),
so they are stable, snake_case and documented in docs/facts.md. A figure that cannot be derived is
null with `*_known` false and a derivation saying why: never a guess.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class FactModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrderFacts(FactModel):
    """One medication order (a draft order, or a past prescription in the history)."""

    reference: str
    medication: str  # what the order names, as the EHR wrote it
    drug: str | None  # BZRA ingredient id (e.g. "lorazepam"), when it is a BZRA
    is_bzra: bool
    matched_by: str  # how the medication was identified (code system or text)
    classes: list[str]  # co-medication classes (e.g. "opioid", "gabapentinoid")
    half_life_class: str | None
    strength_mg: float | None
    mg_per_day: float | None
    max_mg_per_day: float | None
    de_mg_per_day: float | None  # diazepam-equivalent mg/day under the selected table
    dose_known: bool
    as_needed: bool
    dose_derivation: str
    units_per_day: float | None
    quantity: float | None
    repeats: int
    days_supply: float | None  # days the order covers, repeats included, at the prescribed dose
    days_supply_known: bool
    supply_derivation: str
    reasons: list[str]  # condition groups named by reasonCode / reasonReference
    for_insomnia: bool
    for_anxiety: bool
    is_taper_plan: bool  # sequential dosage steps going down: the order is itself a taper plan


class EpisodeFacts(FactModel):
    drug: str  # a BZRA id, or "bzra" for the class as a whole
    start: date
    end: date
    days: int


class DrugUse(FactModel):
    """A BZRA in current use according to the history."""

    drug: str
    mg_per_day: float | None
    de_mg_per_day: float | None
    sources: list[str]
    derivation: str


class TaperSeen(FactModel):
    """A taper already under way, as the history shows it (a written plan, or doses going down)."""

    drug: str
    evidence: str  # "written plan" or "doses going down"
    doses_mg: list[float]  # the daily doses seen, oldest first (a written plan: its steps)
    current_mg: float | None  # the dose now: the plan's step for today, else the latest dose seen
    next_mg: float | None  # the plan's next step, when a plan is written
    next_start: date | None
    sources: list[str]
    derivation: str


class HistoryFacts(FactModel):
    bzra_continuous_days: int  # continuous BZRA use (any BZRA) up to the order date
    bzra_days_last_12_months: int
    distinct_bzra_last_90_days: int
    continuous_days_by_drug: dict[str, int]
    current_bzras: list[DrugUse]
    total_de_mg_per_day: float | None  # the BZRAs in use per the history, without the draft
    total_de_known: bool
    total_de_derivation: str
    dependence_likely: bool  # regular use long enough for physical dependence (history only)
    use_days_per_week: float | None  # days a week with a BZRA in the running episode
    dependence_derivation: str
    ongoing_taper: bool
    taper: TaperSeen | None
    episodes: list[EpisodeFacts]
    exposures: list[str]  # one line per resource: how its dates were read


class CourseFacts(FactModel):
    """How long the course becomes with this order, against the guideline limit for its reason."""

    limit_days: int
    limit_reason: str  # "insomnia" or "other"
    days_so_far: int
    supply_left_days: int  # days after today that the supply in hand still covers
    order_days: float | None
    projected_days: float | None
    days_left_within_limit: int
    derivation: str


class PatientFacts(FactModel):
    age: int | None
    age_known: bool
    gender: str | None


class Facts(FactModel):
    today: date
    hook: str
    equivalence_table: str
    gap_days: int
    patient: PatientFacts
    draft: OrderFacts | None  # the order the advice is about: the first BZRA among the focus orders
    has_draft_bzra: bool
    draft_starts_bzra: bool  # the draft orders a BZRA the patient does not take now, per the history
    tapering: bool  # a taper is under way (history.ongoing_taper) or the draft is a taper plan
    drafts: list[OrderFacts]
    draft_classes: list[str]  # co-medication classes among all draft orders
    history: HistoryFacts
    current_bzras: list[str]  # distinct BZRAs in use now: history plus draft orders
    drug_names: dict[str, dict[str, str]]  # BZRA id -> its name per language (en, nl, fr), for card texts
    distinct_bzra_count: int
    total_bzra_de_mg_per_day: float | None  # all current BZRAs + the draft (the draft replaces the same drug)
    total_de_known: bool
    total_de_derivation: str
    comedication: dict[str, bool]  # class id -> in current use or being ordered (other than BZRA)
    comedication_sources: dict[str, list[str]]  # class id -> resources that show it
    conditions: dict[str, bool]  # condition group id -> recorded (active)
    exemptions: list[str]  # exemption ids (seizure disorder, alcohol withdrawal, end of life) that apply
    exempt: bool
    exemption_derivation: str
    course: CourseFacts
    not_checked: list[str]  # data that was not available, in plain words
    unknown: list[str]  # figures that could not be derived from the data that was read
