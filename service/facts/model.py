"""The facts the rules see: one `Facts` object per hook call, every figure with its derivation.

Field names are what rule authors write in conditions (`draft.de_mg_per_day >= params.high_dose`),
so they are stable and snake_case. The docstring under each field is its meaning in the rule
reference (docs/rule-reference.md, generated from this file). A figure that cannot be derived is
null with `*_known` false and a derivation saying why: never a guess.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from service.facts.unknown import Unknown


class FactModel(BaseModel):
    # The docstring under a field is its description: the rule reference prints it.
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class OrderFacts(FactModel):
    """One medication order (a draft order, or a past prescription in the history)."""

    reference: str
    """`MedicationRequest/id`."""
    medication: str
    """The medication as the EHR named it."""
    drug: str | None
    """The BZRA ingredient id (e.g. `lorazepam`), or null when it is not a BZRA."""
    is_bzra: bool
    """Whether it is a benzodiazepine or Z-drug."""
    matched_by: str
    """How the medication was identified (`rxnorm-product`, `atc`, `text`, …)."""
    classes: list[str]
    """Its co-medication classes (e.g. `opioid_analgesic`, `gabapentinoid`), if it is not a BZRA."""
    half_life_class: str | None
    """`short`, `intermediate` or `long` (BZRAs)."""
    strength_mg: float | None
    """mg per tablet or capsule, when known."""
    mg_per_day: float | None
    """The daily dose in mg (a range counts at its upper end)."""
    max_mg_per_day: float | None
    """The highest daily dose among sequential dosage steps."""
    de_mg_per_day: float | None
    """The daily dose in diazepam-equivalent mg, under the selected equivalence table."""
    dose_known: bool
    """Whether the daily dose could be derived."""
    as_needed: bool
    """Taken as needed (its maximum per period is then the daily dose)."""
    dose_derivation: str
    """How the daily dose was derived, or why it could not be."""
    units_per_day: float | None
    """Tablets or capsules a day, when known."""
    quantity: float | None
    """`dispenseRequest.quantity`."""
    repeats: int
    """`dispenseRequest.numberOfRepeatsAllowed`."""
    days_supply: float | None
    """Days the order covers, repeats included, at the prescribed dose."""
    days_supply_known: bool
    """Whether `days_supply` could be derived."""
    supply_derivation: str
    """How `days_supply` was derived, or why it could not be."""
    reasons: list[str]
    """Condition groups named by `reasonCode` or `reasonReference`."""
    for_insomnia: bool
    """Ordered for insomnia (the course limit depends on it)."""
    for_anxiety: bool
    """Ordered for anxiety."""
    is_taper_plan: bool
    """Sequential dosage steps going down: the order is itself a taper plan."""


class EpisodeFacts(FactModel):
    """A merged period of use: gaps up to the gap tolerance are bridged."""

    drug: str
    """A BZRA id, or `bzra` for the class as a whole."""
    start: date
    """First day of the episode."""
    end: date
    """Last day of the episode."""
    days: int
    """Days the episode lasts."""


class DrugUse(FactModel):
    """A BZRA in current use according to the history."""

    drug: str
    """The BZRA id."""
    mg_per_day: float | None
    """The daily dose in mg on the order date."""
    de_mg_per_day: float | None
    """That dose in diazepam-equivalent mg."""
    sources: list[str]
    """The resources that show the use."""
    derivation: str
    """How the dose was derived."""


class TaperSeen(FactModel):
    """A taper already under way, as the history shows it (a written plan, or doses going down)."""

    drug: str
    """The BZRA being tapered."""
    evidence: str
    """`written plan` or `doses going down`."""
    doses_mg: list[float]
    """The daily doses seen, oldest first (a written plan: its steps)."""
    current_mg: float | None
    """The dose now: the plan's step for today, else the latest dose seen."""
    next_mg: float | None
    """The plan's next step, when a plan is written."""
    next_start: date | None
    """When the plan's next step starts."""
    sources: list[str]
    """The resources that show the taper."""
    derivation: str
    """How the taper was recognised."""


class HistoryFacts(FactModel):
    """The medication history alone: the draft orders are never part of it."""

    bzra_continuous_days: int
    """Days of continuous BZRA use (any BZRA) up to the order date; 0 if none is running."""
    bzra_days_last_12_months: int
    """Days covered by any BZRA in the 365 days before the order date."""
    distinct_bzra_last_90_days: int
    """Number of distinct BZRAs used in the last 90 days."""
    continuous_days_by_drug: dict[str, int]
    """Continuous days per BZRA id (e.g. `{"zolpidem": 63}`)."""
    current_bzras: list[DrugUse]
    """BZRAs in use now per the history (the draft not counted)."""
    total_de_mg_per_day: float | None
    """The dose in use now, in diazepam-equivalent mg, without the draft: what a taper starts from."""
    total_de_known: bool
    """Every dose in that total was known."""
    total_de_derivation: str
    """The terms of that total."""
    dependence_likely: bool
    """Physical dependence is likely: regular use for more than about 4 weeks, from the history only."""
    use_days_per_week: float | None
    """Days a week with a BZRA in the running episode."""
    dependence_derivation: str
    """How `dependence_likely` was decided."""
    ongoing_taper: bool
    """A taper is under way per the history."""
    taper: TaperSeen | None
    """The taper seen, or null."""
    episodes: list[EpisodeFacts]
    """Merged episodes, per BZRA and for the class."""
    exposures: list[str]
    """One line per history resource: how its dates were read."""


class CourseFacts(FactModel):
    """How long the course becomes with this order, against the guideline limit for its reason."""

    limit_days: int
    """The guideline limit for the order's reason, in days."""
    limit_reason: str
    """`insomnia` or `other`."""
    days_so_far: int
    """Days of the running course up to the order date."""
    supply_left_days: int
    """Days after today that the supply in hand still covers."""
    order_days: float | None
    """Days this order covers."""
    projected_days: float | None
    """The course with this order: days so far + supply left + this order."""
    days_left_within_limit: int
    """Days the course may still last within its limit."""
    derivation: str
    """The terms of the sum."""


class PatientFacts(FactModel):
    """The patient, from the Patient resource."""

    age: int | None
    """Age in whole years on `today`, from `Patient.birthDate`."""
    age_known: bool
    """Whether the age could be computed."""
    gender: str | None
    """`Patient.gender`."""


class Facts(FactModel):
    """Everything a rule's condition and texts can read about one hook call."""

    today: date
    """The order date (the day of the hook call)."""
    hook: str
    """`order-select`, `order-sign` or `medication-prescribe`."""
    equivalence_table: str
    """The diazepam-equivalence table used (`BZRA_EQUIVALENCE_TABLE`)."""
    gap_days: int
    """The gap tolerance used to merge the history (`BZRA_EXPOSURE_GAP_DAYS`)."""
    patient: PatientFacts
    """The patient."""
    draft: OrderFacts | None
    """The order the advice is about: the first BZRA among the selected or signed orders, else the first of them."""
    has_draft_bzra: bool
    """A BZRA is among the selected or signed orders."""
    draft_starts_bzra: bool
    """The draft orders a BZRA the patient does not take now, per the history: a new start."""
    tapering: bool
    """A taper is under way (`history.ongoing_taper`) or the draft is itself a taper plan."""
    drafts: list[OrderFacts]
    """Every draft medication order."""
    draft_classes: list[str]
    """Co-medication classes among all draft orders."""
    history: HistoryFacts
    """What the medication history shows, without the draft."""
    current_bzras: list[str]
    """Distinct BZRAs in use now: the history plus the draft orders."""
    drug_names: dict[str, dict[str, str]]
    """BZRA id → its name per language (`en`, `nl`, `fr`); card texts use it through the `drug` filter."""
    distinct_bzra_count: int
    """How many BZRAs are in `current_bzras` (2 or more is duplicate therapy)."""
    total_bzra_de_mg_per_day: float | None
    """The dose with this order: DE over `current_bzras`, a draft replacing the history's dose of the same drug; the known part when some are unknown."""
    total_de_known: bool
    """Every dose in that total was known."""
    total_de_derivation: str
    """The terms of that total."""
    comedication: dict[str, bool]
    """Co-medication class id → in current use or being ordered (other than BZRA)."""
    comedication_sources: dict[str, list[str]]
    """Co-medication class id → the resources that show it."""
    conditions: dict[str, bool]
    """Condition group id → recorded and active."""
    exemptions: list[str]
    """Exemption ids that apply (a Condition, or an order's reason, shows each)."""
    exempt: bool
    """An exemption applies: no high-dose, long-term, too-long or projected-use card, and no taper plan."""
    exemption_derivation: str
    """What shows each exemption."""
    course: CourseFacts
    """This course against its guideline limit."""
    not_checked: list[str]
    """Data that was not available (not prefetched, FHIR server failed), in plain words."""
    unknown: list[Unknown]
    """Figures that could not be derived from the data that was read (a dose, an equivalence, the age)."""
