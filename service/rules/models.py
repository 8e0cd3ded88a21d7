"""The shape of rule files, rule test files and deployment overrides (YAML, edited by clinicians).

These models are the single definition: the loader validates against them and the JSON Schema that
editors use (`rules/schema/`) is generated from them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from service.language import LANGUAGES, Language

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
ParamName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Indicator = Literal["info", "warning", "critical"]
Hook = Literal["order-select", "order-sign", "medication-prescribe"]
SuggestionKind = Literal["small_pack", "taper_plan", "referral", "reconsider_start"]

SEVERITY: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Text(Strict):
    """A text template in each language; `{{ ... }}` is filled from the facts and `params`."""

    en: str = Field(min_length=1)
    nl: str | None = None
    fr: str | None = None

    def for_language(self, language: str) -> str:
        return getattr(self, language, None) or self.en


class Parameter(Strict):
    """A named number (threshold, duration) a rule uses, with where it comes from."""

    value: int | float | bool | str | list[str]
    unit: str | None = None
    description: str = Field(min_length=1)
    source: str = Field(min_length=1, description="The guideline or reference the value comes from.")


class CardSource(Strict):
    label: str = Field(min_length=1)
    url: str | None = None


class CardLink(Strict):
    label: Text
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"] = "absolute"


class CardTemplate(Strict):
    indicator: Indicator
    summary: Text = Field(description="Shown first; under 140 characters once filled in.")
    detail: Text | None = None
    source: CardSource
    links: list[CardLink] = []
    group: str | None = Field(
        None, description="Rules with the same group are merged into one card (default: the rule id)."
    )
    priority: int = Field(
        0, description="Within a merged card of equal severity, the rule with the highest priority leads."
    )


class Rule(Strict):
    id: RuleId
    version: Annotated[int, Field(ge=1)]
    title: str = Field(min_length=1)
    description: str | None = None
    hooks: list[Hook] = Field(min_length=1)
    enabled: bool = True
    parameters: dict[ParamName, Parameter] = {}
    when: str = Field(min_length=1, description="A CEL expression over the facts and `params`.")
    card: CardTemplate
    suggestions: list[SuggestionKind] = []
    override_reasons: list[str] = Field(default=[], description="Codes from rules/override-reasons.yaml.")


class RuleFile(Strict):
    rules: list[Rule] = Field(min_length=1)


class OverrideReason(Strict):
    display: Text
    suppresses: bool = Field(
        False, description="Whether overriding with this reason silences the rule for this patient for a while."
    )


class OverrideReasonFile(Strict):
    system: str = Field(min_length=1)
    reasons: dict[str, OverrideReason] = Field(min_length=1)

    def suppressing_codes(self) -> set[str]:
        """The codes whose override silences the rule (`suppresses: true` in the file)."""
        return {code for code, reason in self.reasons.items() if reason.suppresses}


class RuleOverride(Strict):
    enabled: bool | None = None
    parameters: dict[ParamName, int | float | bool | str | list[str]] = {}


class Overrides(Strict):
    """A deployment's changes to the shipped rules, without editing them."""

    rules: dict[RuleId, RuleOverride] = {}


# ---- rule tests ---------------------------------------------------------------------------------


class CodeEntry(Strict):
    """A code as an EHR sends it, e.g. an ICD-10-CM reason code."""

    system: Literal["snomed", "icd10_who", "icd10_cm"]
    code: str = Field(min_length=1)


class PlanStep(Strict):
    """One step of a written taper plan: a dose a day from `start` to `end` (a Dosage with boundsPeriod)."""

    mg: float = Field(ge=0)
    start: date
    end: date


class MedicationEntry(Strict):
    """A medication in a test patient, in the words an EHR would send (identified like real data)."""

    drug: str = Field(min_length=1, description='As an EHR names it, e.g. "lorazepam 1 mg tablet".')
    dose: str | None = Field(None, description='Dosage text, e.g. "1 tablet twice a day".')
    start: date | None = Field(None, description="Start of use; the date written (an order) or handed over (a dispense).")
    end: date | None = None
    status: str | None = None
    quantity: float | None = Field(None, description="Tablets (or capsules) ordered or dispensed.")
    repeats: int = 0
    as_needed: bool = Field(False, description="asNeededBoolean: true.")
    max_per_day: float | None = Field(None, description="maxDosePerPeriod: at most this many tablets (or capsules) a day.")
    reason: str | None = Field(None, description="A condition group id (insomnia, anxiety, epilepsy, ...), sent as reasonCode.")
    reason_code: CodeEntry | None = Field(None, description="A reasonCode with this exact code.")
    reason_reference: str | None = Field(
        None, description="A condition group id, recorded as a Condition and named by reasonReference."
    )
    steps: list[PlanStep] = Field(default=[], description="A written plan: one sequential dosage step each (orders only).")


class HistoryEntry(MedicationEntry):
    record: Literal["statement", "order", "dispense"] = Field(
        "statement", description="MedicationStatement (default), a past MedicationRequest, or a MedicationDispense."
    )
    days_supply: float | None = Field(None, description="daysSupply (dispense) or expectedSupplyDuration (order).")


class OrderEntry(MedicationEntry):
    """A draft order."""


class Expectation(Strict):
    fires: list[RuleId] = []
    not_fires: list[RuleId] = []
    cards: list[Indicator] | None = Field(None, description="The indicators of the merged cards, most severe first.")
    suggests: list[SuggestionKind] = Field(default=[], description="Suggestions the answer offers (on any card).")
    not_suggests: list[SuggestionKind] = Field(default=[], description="Suggestions the answer must not offer.")
    says: list[str] = Field(default=[], description="Phrases that must appear in a card (summary or detail, in English).")
    facts: dict[str, Any] = Field(default={}, description='Facts and their values, e.g. "history.dependence_likely": false.')


class RuleTestCase(Strict):
    name: str = Field(min_length=1)
    hook: Hook = "order-sign"
    today: date = date(2026, 11, 23)
    age: int | None = None
    history: list[HistoryEntry] = []
    conditions: list[str] = Field(default=[], description="Condition group ids recorded for the patient.")
    orders: list[OrderEntry] = Field(min_length=1)
    fhir: list[dict[str, Any]] = Field(default=[], description="Extra history resources as FHIR R4 JSON.")
    expect: Expectation

    @model_validator(mode="after")
    def _expects_something(self) -> RuleTestCase:
        expect = self.expect
        if not (expect.fires or expect.not_fires or expect.cards is not None or expect.suggests or expect.not_suggests or expect.says or expect.facts):
            raise ValueError("expect must name rules, cards, suggestions, phrases or facts")
        return self


class RuleTestFile(Strict):
    tests: list[RuleTestCase] = Field(min_length=1)
