"""The taper protocol data (`service/knowledge/data/taper/taper.yaml`): its model and its loader.

Clinical numbers (step fractions, intervals, the near-end rule, the diazepam switch, how tablets may be
split) live in that YAML file with their sources, so a clinician can review or change them without
reading code.  The loader reports every problem as `file:line:column: message`, like the knowledge
loader, and also checks that every cited source id exists in the file's `sources:` section.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.knowledge.loader import DATA_DIR
from service.knowledge.models import Id, Names, Source, SourceId
from service.yamlsource import Problem, read_yaml, validate

__all__ = [
    "PROTOCOL_FILE",
    "DoseUnits",
    "Limits",
    "NearEnd",
    "Pace",
    "Rounding",
    "SwitchRule",
    "TaperProtocol",
    "TaperProtocolError",
    "load_protocol",
]

PROTOCOL_FILE = DATA_DIR / "taper" / "taper.yaml"

Fraction = Annotated[float, Field(gt=0, lt=1)]
Days = Annotated[int, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NearEnd(_Strict):
    """Smaller steps once the dose is at or below a fraction of the tapered drug's starting dose."""

    at_or_below_fraction_of_start: Fraction
    reduce_fraction: Fraction
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class Pace(_Strict):
    """One pace: take `reduce_fraction` off the current daily dose every `interval_days`."""

    label: Names
    reduce_fraction: Fraction
    interval_days: Days
    near_end: NearEnd
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class Limits(_Strict):
    """The fastest reduction guidelines accept; steps above it are flagged, never planned on purpose."""

    max_reduce_fraction: Fraction
    per_days: Days
    sources: list[SourceId] = Field(min_length=1)


class Rounding(_Strict):
    """`up`: a planned dose the tablets cannot make becomes the nearest achievable dose above it."""

    reduce: Literal["up"]
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class DayRange(_Strict):
    low: Days
    high: Days

    @model_validator(mode="after")
    def _ordered(self) -> DayRange:
        if self.low > self.high:
            raise ValueError("low must not be above high")
        return self


class SwitchRule(_Strict):
    """Switching to a long-acting drug before the taper: target, stabilisation, rounding, advice."""

    to: Id
    stabilise_days: Days
    conversion_rounding: Literal["up", "nearest"]
    review_after_days: DayRange
    recommend_for_half_life: list[Literal["short", "intermediate", "long"]] = []
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class DoseUnits(_Strict):
    """Dose forms that count as units of a daily dose, and which of them may be split (when scored)."""

    forms: list[Id] = Field(min_length=1)
    split_forms: list[Id] = []
    split_parts: Annotated[int, Field(ge=2)]
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _split_forms_are_forms(self) -> DoseUnits:
        unknown = [f for f in self.split_forms if f not in self.forms]
        if unknown:
            raise ValueError(f"split_forms not listed in forms: {', '.join(unknown)}")
        return self


class TaperProtocol(_Strict):
    schema_version: Literal[1] = 1
    sources: dict[SourceId, Source] = Field(min_length=1)
    paces: dict[Id, Pace] = Field(min_length=1)
    limits: Limits
    rounding: Rounding
    switch: SwitchRule
    dose_units: DoseUnits

    def citation(self, source_id: str) -> str:
        """A one-line citation: the title, then the address when there is one."""
        source = self.sources[source_id]
        return f"{source.title}. {source.url}" if source.url else source.title


class TaperProtocolError(Exception):
    """The protocol file could not be loaded; `problems` lists each with file, line and column."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"taper protocol has {len(self.problems)} problem(s):\n{lines}")


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


def read_protocol(path: Path | str) -> TaperProtocol:
    """Read, validate and cross-check one protocol file; raise `TaperProtocolError` on any problem.

    The steps of `yamlsource.load_model` are used one by one so the source-id check can point at the
    line of the unknown id.
    """
    source, problems = read_yaml(path)
    if source is None:
        raise TaperProtocolError(problems)
    protocol, problems = validate(source, TaperProtocol, source.data if source.data is not None else {})
    if protocol is None:
        raise TaperProtocolError(problems)
    unknown = [
        source.problem(loc, f"{'.'.join(map(str, loc))}: unknown source '{ref}'")
        for loc, ref in _cited(source.data, ())
        if ref not in protocol.sources
    ]
    if unknown:
        raise TaperProtocolError(unknown)
    return protocol


@lru_cache(maxsize=4)
def load_protocol(path: Path | str = PROTOCOL_FILE) -> TaperProtocol:
    """The protocol, read once per path (it is immutable)."""
    return read_protocol(path)
