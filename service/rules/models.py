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
DraftClass = Annotated[str, StringConstraints(pattern=r"^(params\.)?[a-z][a-z0-9_]*$")]
SuggestionKind = Literal["small_pack", "taper_plan", "referral", "reconsider_start"]

BZRA_CLASS = "bzra"  # in `fires_on`: a BZRA draft order (the other values are co-medication classes)
SEVERITY: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Text(Strict):
    """A text template in each language; `{{ ... }}` is filled from the facts and `params`."""

    en: str = Field(min_length=1, description="English: required, and used where another language is missing.")
    nl: str | None = Field(None, description="Dutch.")
    fr: str | None = Field(None, description="French.")

    def for_language(self, language: str) -> str:
        return getattr(self, language, None) or self.en


class Parameter(Strict):
    """A named number (threshold, duration) a rule uses, with where it comes from."""

    value: int | float | bool | str | list[str] = Field(description="The value, read as `params.NAME` in `when` and in texts.")
    unit: str | None = Field(None, description="Its unit (days, mg, years), for readers.")
    description: str = Field(min_length=1, description="What the value means.")
    source: str = Field(min_length=1, description="The guideline or reference the value comes from.")


class CardSource(Strict):
    """The guideline a card rests on, shown under the card."""

    label: str = Field(min_length=1, description="Its short name.")
    url: str | None = Field(None, description="Where to read it.")


class CardLink(Strict):
    """A link the card offers (a guideline page, a tool)."""

    label: Text = Field(description="The link's text (a template).")
    url: str = Field(min_length=1, description="Where it goes.")
    type: Literal["absolute", "smart"] = Field("absolute", description="`absolute` (a web page) or `smart` (a SMART app launch).")


class CardTemplate(Strict):
    """The card a rule shows when it fires, before merging with other rules of its group."""

    indicator: Indicator = Field(description="`info`, `warning` or `critical`: the most severe leads a merged card.")
    summary: Text = Field(description="Shown first; under 140 characters once filled in.")
    detail: Text | None = Field(None, description="Two or three short sentences; in a merged card only the lead rule's detail is shown.")
    source: CardSource = Field(description="The guideline the card rests on.")
    links: list[CardLink] = Field(default=[], description="Links of the card (only the lead rule's, in a merged card).")
    group: str | None = Field(
        None, description="Rules with the same group are merged into one card (default: the rule id)."
    )
    priority: int = Field(
        0, description="Within a merged card of equal severity, the rule with the highest priority leads."
    )


class Rule(Strict):
    """One clinical rule: when it fires, the card it shows, the suggestions it offers."""

    id: RuleId = Field(description="Unique, lowercase with dashes; recorded in the audit trail with every card.")
    version: Annotated[int, Field(ge=1)] = Field(description="Raised on every clinical change; recorded with every card.")
    title: str = Field(min_length=1, description="A one-line name, for reports and for a card without a summary.")
    description: str | None = Field(None, description="Why the rule exists, for reviewers.")
    hooks: list[Hook] = Field(min_length=1, description="The hooks the rule is evaluated for.")
    enabled: bool = Field(True, description="A disabled rule is skipped (a deployment may switch it in its overrides).")
    parameters: dict[ParamName, Parameter] = Field(default={}, description="Named values the rule uses, each with its source.")
    when: str = Field(min_length=1, description="A CEL expression over the facts and `params`.")
    fires_on: list[DraftClass] | None = Field(
        None,
        description=(
            "The draft orders this rule can fire on: `bzra`, co-medication class ids from the knowledge "
            "(`opioid_analgesic`, `antipsychotic`…), or `params.<name>` for a list parameter of such ids. "
            "A call whose drafts are none of these skips the history when no rule in service can fire. "
            "Left out: the rule can fire on any draft, and no call is ever skipped for it. A rule test in "
            "which the rule fires on drafts outside its declaration fails."
        ),
    )
    card: CardTemplate = Field(description="The card shown when the rule fires.")
    suggestions: list[SuggestionKind] = Field(default=[], description="Suggestion kinds the card may offer (each built only where it fits).")
    override_reasons: list[str] = Field(default=[], description="Codes from rules/override-reasons.yaml.")


class RuleFile(Strict):
    """A rule file in `rules/`: one or more rules."""

    rules: list[Rule] = Field(min_length=1, description="The rules of the file.")


class OverrideReason(Strict):
    """A reason a prescriber may give for not following a card."""

    display: Text = Field(description="The reason as the prescriber reads it.")
    suppresses: bool = Field(
        False, description="Whether overriding with this reason silences the rule for this patient for a while."
    )


class OverrideReasonFile(Strict):
    """`rules/override-reasons.yaml`: every override reason a rule may list, by code."""

    system: str = Field(min_length=1, description="The code system of the reasons, sent in each card's overrideReasons.")
    reasons: dict[str, OverrideReason] = Field(min_length=1, description="Code → the reason.")

    def suppressing_codes(self) -> set[str]:
        """The codes whose override silences the rule (`suppresses: true` in the file)."""
        return {code for code, reason in self.reasons.items() if reason.suppresses}


class RuleOverride(Strict):
    """A deployment's change to one shipped rule."""

    enabled: bool | None = Field(None, description="Switch the rule on or off.")
    parameters: dict[ParamName, int | float | bool | str | list[str]] = Field(default={}, description="New values of declared parameters, by name.")


class Overrides(Strict):
    """A deployment's changes to the shipped rules, without editing them."""

    rules: dict[RuleId, RuleOverride] = Field(default={}, description="Rule id → its changes.")


# ---- rule tests ---------------------------------------------------------------------------------


class CodeEntry(Strict):
    """A code as an EHR sends it, e.g. an ICD-10-CM reason code."""

    system: Literal["snomed", "icd10_who", "icd10_cm"] = Field(description="SNOMED CT, ICD-10 (WHO) or ICD-10-CM.")
    code: str = Field(min_length=1, description="The code.")


class PlanStep(Strict):
    """One step of a written taper plan: a dose a day from `start` to `end` (a Dosage with boundsPeriod)."""

    mg: float = Field(ge=0, description="The step's dose a day, in mg.")
    start: date = Field(description="First day of the step.")
    end: date = Field(description="Last day of the step.")


class MedicationEntry(Strict):
    """A medication in a test patient, in the words an EHR would send (identified like real data)."""

    drug: str = Field(min_length=1, description='As an EHR names it, e.g. "lorazepam 1 mg tablet".')
    dose: str | None = Field(None, description='Dosage text, e.g. "1 tablet twice a day".')
    start: date | None = Field(None, description="Start of use; the date written (an order) or handed over (a dispense).")
    end: date | None = Field(None, description="End of use; none: still in use.")
    status: str | None = Field(None, description="The resource's status (default: active, or completed with an end).")
    quantity: float | None = Field(None, description="Tablets (or capsules) ordered or dispensed.")
    repeats: int = Field(0, description="numberOfRepeatsAllowed.")
    as_needed: bool = Field(False, description="asNeededBoolean: true.")
    max_per_day: float | None = Field(None, description="maxDosePerPeriod: at most this many tablets (or capsules) a day.")
    reason: str | None = Field(None, description="A condition group id (insomnia, anxiety, epilepsy, ...), sent as reasonCode.")
    reason_code: CodeEntry | None = Field(None, description="A reasonCode with this exact code.")
    reason_reference: str | None = Field(
        None, description="A condition group id, recorded as a Condition and named by reasonReference."
    )
    steps: list[PlanStep] = Field(default=[], description="A written plan: one sequential dosage step each (orders only).")


class HistoryEntry(MedicationEntry):
    """A medication in the test patient's history."""

    record: Literal["statement", "order", "dispense"] = Field(
        "statement", description="MedicationStatement (default), a past MedicationRequest, or a MedicationDispense."
    )
    days_supply: float | None = Field(None, description="daysSupply (dispense) or expectedSupplyDuration (order).")


class OrderEntry(MedicationEntry):
    """A draft order."""


class Expectation(Strict):
    """What a test case expects of the answer; name at least one thing."""

    fires: list[RuleId] = Field(default=[], description="Rules that must fire.")
    not_fires: list[RuleId] = Field(default=[], description="Rules that must not fire.")
    cards: list[Indicator] | None = Field(None, description="The indicators of the merged cards, most severe first.")
    suggests: list[SuggestionKind] = Field(default=[], description="Suggestions the answer offers (on any card).")
    not_suggests: list[SuggestionKind] = Field(default=[], description="Suggestions the answer must not offer.")
    says: list[str] = Field(default=[], description="Phrases that must appear in a card (summary or detail, in English).")
    facts: dict[str, Any] = Field(default={}, description='Facts and their values, e.g. "history.dependence_likely": false.')


class RuleTestCase(Strict):
    """One test patient, the orders being written, and what the answer must hold."""

    name: str = Field(min_length=1, description="What the case shows, in the PASS/FAIL table.")
    hook: Hook = Field("order-sign", description="The hook called.")
    today: date = Field(date(2026, 11, 23), description="The order date.")
    age: int | None = Field(None, description="The patient's age on `today`; none: no birth date.")
    history: list[HistoryEntry] = Field(default=[], description="The medication history.")
    conditions: list[str] = Field(default=[], description="Condition group ids recorded for the patient.")
    orders: list[OrderEntry] = Field(min_length=1, description="The draft orders (the first is selected for order-select).")
    fhir: list[dict[str, Any]] = Field(default=[], description="Extra history resources as FHIR R4 JSON.")
    expect: Expectation = Field(description="What the answer must hold.")

    @model_validator(mode="after")
    def _expects_something(self) -> RuleTestCase:
        expect = self.expect
        if not (expect.fires or expect.not_fires or expect.cards is not None or expect.suggests or expect.not_suggests or expect.says or expect.facts):
            raise ValueError("expect must name rules, cards, suggestions, phrases or facts")
        return self


class RuleTestFile(Strict):
    """`NAME.test.yaml` beside a rule file: its test cases."""

    tests: list[RuleTestCase] = Field(min_length=1, description="The cases.")
