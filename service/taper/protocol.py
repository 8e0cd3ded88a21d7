"""The taper protocols (`service/knowledge/data/taper/protocols.yaml`): their model and loader.

Every clinical number of a taper plan lives in that file with its source: each named protocol's step
rule per pace, when and how it switches to diazepam, the shape rules plans are held to, the finer forms
and the figures each protocol publishes. The loader reports every problem as `file:line:column`, and
checks that every cited source id exists and every protocol offers both paces.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.errors import DeploymentError
from service.knowledge.loader import DATA_DIR
from service.knowledge.models import Id, Names, Source, SourceId
from service.taper.vocabulary import PACES, Form, Pace
from service.yamlsource import Problem, read_yaml, validate

__all__ = [
    "PACES",
    "PROTOCOL_FILE",
    "BandsRule",
    "FixedStepsRule",
    "FractionOfCurrentRule",
    "FractionOfStartRule",
    "Protocol",
    "ProtocolSet",
    "TaperProtocolError",
    "load_protocols",
    "read_protocols",
]

PROTOCOL_FILE = DATA_DIR / "taper" / "protocols.yaml"

Fraction = Annotated[float, Field(gt=0, lt=1)]
Share = Annotated[float, Field(gt=0, le=1)]
Days = Annotated[int, Field(gt=0)]
Mg = Annotated[float, Field(ge=0)]
Percent = Annotated[float, Field(gt=0, le=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FractionOfCurrentRule(_Strict):
    """Take `fraction` off the current dose every interval; `near_end_fraction` once at or below the near end."""

    rule: Literal["fraction_of_current"]
    fraction: Fraction
    interval_days: Days
    near_end_fraction: Fraction
    stop_at_fraction_of_start: Fraction
    note: str | None = None


class FractionOfStartRule(_Strict):
    """Fixed fractions of the (converted) starting dose, one per interval, after a stabilisation."""

    rule: Literal["fraction_of_start"]
    fractions: list[Fraction] = Field(min_length=1)
    interval_days: Days
    stabilise_days: Days
    note: str | None = None

    @model_validator(mode="after")
    def _falling(self) -> FractionOfStartRule:
        if any(b >= a for a, b in zip(self.fractions, self.fractions[1:], strict=False)):
            raise ValueError("fractions must fall step by step")
        return self


class Band(_Strict):
    above_de_mg: Mg
    step_de_mg: Annotated[float, Field(gt=0)]
    interval_days: Days


class BandsRule(_Strict):
    """Fixed mg steps of diazepam (or its equivalent) that get smaller as the dose falls (CKS)."""

    rule: Literal["diazepam_bands"]
    bands: list[Band] = Field(min_length=1)
    stop_at_de_mg: Annotated[float, Field(gt=0)]
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> BandsRule:
        tops = [band.above_de_mg for band in self.bands]
        if tops != sorted(tops, reverse=True) or tops[-1] != 0:
            raise ValueError("bands go from the highest 'above_de_mg' down to 0")
        return self

    def band(self, de_mg: float) -> Band:
        return next(b for b in self.bands if de_mg > b.above_de_mg + 1e-9 or b.above_de_mg == 0)


class FixedStepsRule(_Strict):
    """A fixed number of steps of fixed length, from `first_percent` to `last_percent` of the start."""

    rule: Literal["fixed_steps"]
    steps: Annotated[int, Field(ge=2)]
    days_per_step: Days
    first_percent: Percent
    last_percent: Percent
    note: str | None = None

    def percents(self) -> list[float]:
        """Equal fractions of the current dose from the first to the last step (see `spacing_note`)."""
        ratio = (self.last_percent / self.first_percent) ** (1 / (self.steps - 1))
        return [self.first_percent * ratio**k for k in range(self.steps)]


PaceRule = Annotated[
    FractionOfCurrentRule | FractionOfStartRule | BandsRule | FixedStepsRule, Field(discriminator="rule")
]


class SwitchPolicy(_Strict):
    """When a protocol switches to diazepam (`never`: only on request) and how (`phase`)."""

    default: Literal["never", "listed", "always"]
    listed: list[Id] = []
    phase: Literal["cross_taper", "switch_day"]


class LowEnd(_Strict):
    mixed_days: bool
    drug_free_days: bool


class Holds(_Strict):
    days: Days
    max: Annotated[int, Field(ge=0)]


class LengthRange(_Strict):
    drug: Id | None = None
    dose_mg: float | None = None
    pace: Pace | None = None
    weeks: tuple[float, float] | None = None
    days_to_stop: tuple[int, int] | None = None


class BandRange(_Strict):
    above_de_mg: Mg
    low: float
    high: float


class Published(BaseModel):
    """The figures a protocol publishes, which the tests hold plans to (read, never used to plan)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None
    interval_days: tuple[int, int] | None = None
    max_step_fraction_of_current: Share | None = None
    last_dose_max_fraction_of_start: Share | None = None
    last_dose_max_de_mg: float | None = None
    fractions_of_start: list[Fraction] = []
    band_steps_de_mg: list[BandRange] = []
    lengths: list[LengthRange] = []
    steps: list[int] = []
    days_per_step: list[int] = []
    first_step_percent: Percent | None = None
    last_step_percent: list[Percent] = []


class Protocol(_Strict):
    label: Names
    sources: list[SourceId] = Field(min_length=1)
    percent_of: Literal["current", "start", "bands"]
    follows_cap: bool
    follows_cap_note: str | None = None
    markets: list[str] = []
    forms: list[Form] = []
    switch: SwitchPolicy
    low_end: LowEnd
    holds: Holds | None = None
    paces: dict[Pace, PaceRule]
    spacing_note: str | None = None
    published: Published

    @model_validator(mode="after")
    def _both_paces(self) -> Protocol:
        missing = [pace for pace in PACES if pace not in self.paces]
        if missing:
            raise ValueError(f"every protocol offers both paces; missing: {', '.join(missing)}")
        if not self.follows_cap and not self.follows_cap_note:
            raise ValueError("a protocol that does not follow the cap says why (follows_cap_note)")
        return self


class Limits(_Strict):
    max_step_fraction_of_current: Fraction
    per_days: Days
    last_dose_max_fraction_of_start: Fraction
    near_end_fraction_of_start: Fraction
    max_daily_de_mg: Annotated[float, Field(gt=0)]
    max_steps: Annotated[int, Field(gt=0)]
    daily_dose_within_step_factor: Annotated[float, Field(ge=1)]
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class CrossStep(_Strict):
    replaced_fraction: Share
    days: Days


class CrossTaper(_Strict):
    steps: list[CrossStep] = Field(min_length=1)
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _ends_replaced(self) -> CrossTaper:
        if self.steps[-1].replaced_fraction != 1:
            raise ValueError("the last cross-taper step replaces the whole dose (replaced_fraction: 1)")
        return self


class SwitchRule(_Strict):
    to: Id
    conversion_rounding: Literal["up", "nearest"]
    stabilise_days: Days
    recommend_for_half_life: list[Literal["short", "intermediate", "long"]] = []
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None
    cross_taper: CrossTaper


class LowEndRule(_Strict):
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class LowEndRules(_Strict):
    days_per_week: Literal[7]
    mixed_days: LowEndRule
    drug_free_days: LowEndRule


class FormRule(_Strict):
    label: Names
    markets: list[str] = []
    significant_digits: Annotated[int, Field(ge=1, le=4)] | None = None
    measure_ml: Annotated[float, Field(gt=0)] | None = None
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class ReferenceCase(_Strict):
    """A published reference case (taper-references.md section 10) and its figures, for the tests."""

    id: Id
    case: int
    protocol: Id
    paces: list[Pace] = ["standard"]
    markets: list[str] = []
    drug: Id
    dose_mg: float
    table: Id | None = None
    weeks: tuple[float, float] | None = None
    weeks_of_reduction: tuple[float, float] | None = None
    days_to_stop: tuple[int, int] | None = None
    max_non_final_step_de_mg: float | None = None
    max_non_final_step_fraction: Share | None = None
    last_dose_max_de_mg: float | None = None
    last_dose_max_fraction_of_start: Share | None = None
    first_step_fraction: tuple[float, float] | None = None
    interval_days: tuple[int, int] | None = None
    cross_taper_steps: int | None = None
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class ProtocolSet(_Strict):
    schema_version: Literal[2]
    sources: dict[SourceId, Source] = Field(min_length=1)
    limits: Limits
    switch: SwitchRule
    low_end: LowEndRules
    forms: dict[Form, FormRule]
    protocols: dict[Id, Protocol] = Field(min_length=1)
    reference_cases: list[ReferenceCase] = []

    def citation(self, source_id: str) -> str:
        """A one-line citation: the title, then the address when there is one."""
        source = self.sources[source_id]
        return f"{source.title}. {source.url}" if source.url else source.title

    def protocol(self, protocol_id: str) -> Protocol:
        return self.protocols[protocol_id]


class TaperProtocolError(DeploymentError):
    """The protocol file could not be loaded; `problems` lists each with file, line and column."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"taper protocols have {len(self.problems)} problem(s):\n{lines}")


def _cited(value: Any, loc: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, id) of every entry of a `sources:` list below the top level."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "sources" and isinstance(child, list) and loc:
                found += [(loc + (key, i), ref) for i, ref in enumerate(child) if isinstance(ref, str)]
            else:
                found += _cited(child, loc + (str(key),))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _cited(child, loc + (i,))
    return found


def read_protocols(path: Path | str) -> ProtocolSet:
    """Read, validate and cross-check one protocol file; raise `TaperProtocolError` on any problem."""
    source, problems = read_yaml(path)
    if source is None:
        raise TaperProtocolError(problems)
    protocols, problems = validate(source, ProtocolSet, source.data if source.data is not None else {})
    if protocols is None:
        raise TaperProtocolError(problems)
    unknown = [
        source.problem(loc, f"{'.'.join(map(str, loc))}: unknown source '{ref}'")
        for loc, ref in _cited(source.data, ())
        if ref not in protocols.sources
    ]
    unknown += [
        source.problem(("reference_cases", i, "protocol"), f"unknown protocol '{case.protocol}'")
        for i, case in enumerate(protocols.reference_cases)
        if case.protocol not in protocols.protocols
    ]
    if unknown:
        raise TaperProtocolError(unknown)
    return protocols


@lru_cache(maxsize=4)
def load_protocols(path: Path | str = PROTOCOL_FILE) -> ProtocolSet:
    """The protocols, read once per path (they are immutable)."""
    return read_protocols(path)
