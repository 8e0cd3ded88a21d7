"""One input model for every way a plan is asked for: the CLI, `POST /taper`, `GET /taper/handout`,
the planner and the cards all fill a `PlanInput` and turn it into a checked `TaperRequest` with the
same defaults, taken from the deployment's settings (`PlanDefaults`).

What the prescriber leaves out comes from the defaults: protocol (`BZRA_TAPER_PROTOCOL`), pace
(`BZRA_TAPER_PACE`), market (`BZRA_MARKET`), language (`BZRA_LANGUAGE`) and equivalence table
(`BZRA_EQUIVALENCE_TABLE`); the form from the protocol (magistral capsules for the RIZIV programme,
else tablets); the start is today. Every mistake is a `TaperError` naming the field.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.facts.identify import normalize_text
from service.knowledge.models import BzraDrug, Knowledge
from service.taper.errors import TaperError
from service.taper.markets import MarketError, known_markets, load_market
from service.taper.protocol import ProtocolSet
from service.taper.vocabulary import FORMS, PACES, SWITCH_CHOICES, Form, Pace, SwitchChoice
from service.taper.wording import LANGUAGES

__all__ = [
    "FORMS",
    "InUse",
    "PlanDefaults",
    "PlanInput",
    "TaperRequest",
    "parse_dose",
    "resolve_drug",
    "to_request",
]



Choice = TypeVar("Choice", bound=str)
Short = Annotated[str, StringConstraints(max_length=200)]  # names and doses: never megabytes of text


class InUse(BaseModel):
    """A BZRA taken now, when several are tapered together after a switch to diazepam."""

    model_config = ConfigDict(extra="forbid")
    drug: Short = Field(min_length=1)
    dose: Short | float


class PlanInput(BaseModel):
    """What the prescriber and patient choose; every field but drug and dose has a default."""

    model_config = ConfigDict(extra="forbid")

    drug: Short = Field("", description="Required: the drug taken now, generic name or brand.")
    dose: Short | float = Field("", description="Required: the daily dose taken now, as written ('3 mg/day') or in mg.")
    protocol: Short | None = Field(None, description="Taper protocol id; default BZRA_TAPER_PROTOCOL.")
    pace: Short | None = Field(None, description="standard or slow; default BZRA_TAPER_PACE.")
    form: Short | None = Field(None, description="tablets, magistral (BE), strips (NL) or liquid; default from the protocol.")
    switch_to: Short | None = Field(None, description="'diazepam' to switch, 'none' never to; empty: the protocol decides.")
    also_taking: list[InUse] = Field([], max_length=10, description="Other BZRAs taken now besides `drug`: all are switched together to diazepam.")
    start: date | Short | None = Field(None, description="First day of the plan (YYYY-MM-DD); default today.")
    holds: list[int | Short] = Field([], max_length=50, description="Step numbers after which the dose is held one more period.")
    market: Short | None = Field(None, description="Country whose products the plan uses; default BZRA_MARKET.")
    language: Short | None = Field(None, description="en, nl or fr; default BZRA_LANGUAGE.")
    table: Short | None = Field(None, description="Diazepam-equivalence table; default BZRA_EQUIVALENCE_TABLE.")
    patient: Short | None = Field(None, description="Patient id, for the MedicationRequest's subject.")

    @classmethod
    def from_query(cls, items: Iterable[tuple[str, str]]) -> PlanInput:
        """From query parameters: `hold` may repeat (or `holds=2,4`), `also_taking=lorazepam:2` may repeat."""
        single: dict[str, Any] = {}
        holds: list[str] = []
        also_taking: list[dict[str, str]] = []
        for key, value in items:
            if key == "hold":
                holds.append(value)
            elif key == "holds":
                holds.extend(part for part in value.split(",") if part.strip())
            elif key == "also_taking":
                drug, _, dose = value.partition(":")
                also_taking.append({"drug": drug, "dose": dose})
            elif value != "":
                single[key] = value
        return cls.model_validate({**single, "holds": holds, "also_taking": also_taking})

    def query(self) -> list[tuple[str, str]]:
        """The query parameters that give this input back (`from_query`), for links to the handout."""
        pairs: list[tuple[str, str]] = []
        for key in ("drug", "dose", "protocol", "pace", "form", "switch_to", "start", "market", "language", "table"):
            value = getattr(self, key)
            if value not in (None, ""):
                pairs.append((key, value.isoformat() if isinstance(value, date) else _plain(value)))
        pairs += [("hold", str(hold)) for hold in self.holds]
        pairs += [("also_taking", f"{item.drug}:{_plain(item.dose)}") for item in self.also_taking]
        return pairs


def _plain(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class PlanDefaults:
    """The deployment's defaults, the same for every way a plan is asked for."""

    protocol: str = "deprescribing_org"
    pace: Pace = "standard"
    market: str = "BE"
    language: str = "en"
    table: str = "ashton"

    @classmethod
    def from_settings(cls, settings: Any) -> PlanDefaults:
        return cls(
            protocol=settings.taper_protocol,
            pace=settings.taper_pace,
            market=settings.market,
            language=settings.language,
            table=settings.equivalence_table,
        )


@dataclass(frozen=True)
class TaperRequest:
    """A checked request: ids resolved, defaults filled in. Hashable, so plans can be remembered."""

    drug: str
    daily_dose_mg: float
    protocol: str = "deprescribing_org"
    pace: Pace = "standard"
    form: Form = "tablets"
    switch: SwitchChoice = "auto"
    also_taking: tuple[tuple[str, float], ...] = ()
    start: date = field(default_factory=date.today)
    holds: tuple[int, ...] = ()
    market: str = "BE"
    table: str = "ashton"


# ---- single fields ---------------------------------------------------------------------------------

_DOSE = re.compile(
    r"^(?P<number>\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?P<unit>mg|milligrams?|ug|mcg|micrograms?|g|grams?)?\s*"
    r"(?P<per>(?:/|per|a|each)\s*(?:day|d|24\s*h(?:ours?)?|dag|jour|j)|daily|(?:per|a)\s+day)?$"
)
_TO_MG = {"mg": 1.0, "ug": 0.001, "g": 1000.0}


def parse_dose(text: str | float | int, field_name: str = "dose") -> float:
    """A daily dose in mg from text such as '3mg/day', '0,5 mg/d', '500 µg/day' or '2.5mg', or a number.

    A bare number is read as mg. Anything else, zero or a negative dose is a `TaperError`.
    """
    if isinstance(text, bool):
        raise TaperError(field_name, "dose_unreadable", value=str(text))
    if isinstance(text, (int, float)):
        if not math.isfinite(text) or text <= 0:
            raise TaperError(field_name, "dose_not_positive", value=f"{text:g}")
        return float(text)
    raw = (text or "").strip()
    plain = re.sub(r"\s+", " ", normalize_text(raw))
    if not plain:
        raise TaperError(field_name, "dose_missing")
    if raw.startswith(("-", "\u2212")):
        raise TaperError(field_name, "dose_not_positive", value=raw)
    match = _DOSE.match(plain)
    if match is None:
        raise TaperError(field_name, "dose_unreadable", value=raw[:80])
    unit = match["unit"] or "mg"
    unit = "ug" if unit.startswith(("ug", "mcg", "micro")) else "g" if unit.startswith("g") else "mg"
    mg = float(match["number"]) * _TO_MG[unit]
    if not math.isfinite(mg) or mg <= 0:
        raise TaperError(field_name, "dose_not_positive", value=raw)
    return mg


def _names(drug_id: str, drug: BzraDrug) -> list[str]:
    return [drug_id, drug_id.replace("_", " "), *drug.display.all(), *drug.synonyms, *drug.brands]


@lru_cache(maxsize=8)
def _name_index(knowledge: Knowledge) -> dict[str, frozenset[str]]:
    """Every normalised name of every drug, once per knowledge object (it is read-only)."""
    index: dict[str, set[str]] = {}
    for drug_id, drug in knowledge.drugs.items():
        for name in _names(drug_id, drug):
            index.setdefault(normalize_text(name), set()).add(drug_id)
    return {name: frozenset(ids) for name, ids in index.items()}


def resolve_drug(text: str, knowledge: Knowledge, field_name: str = "drug") -> str:
    """The BZRA id for an id, a display name (en/nl/fr), a synonym or a brand, in any case."""
    if text in knowledge.drugs:
        return text
    wanted = normalize_text(text or "")
    if not wanted:
        raise TaperError(field_name, "drug_missing")
    index = _name_index(knowledge)
    found = index.get(wanted)
    if found and len(found) == 1:
        return next(iter(found))
    shown = (text or "")[:80]
    if found:
        choices = " / ".join(sorted(knowledge.drugs[i].display.en for i in found))
        raise TaperError(field_name, "drug_ambiguous", value=shown, choices=choices)
    close = difflib.get_close_matches(wanted, list(index), n=1, cutoff=0.75)
    if close:
        suggestion = knowledge.drugs[min(index[close[0]])].display.en
        raise TaperError(field_name, "drug_did_you_mean", value=shown, suggestion=suggestion)
    raise TaperError(field_name, "drug_unknown", value=shown)


def _choice(field_name: str, code: str, value: str, choices: Iterable[Choice]) -> Choice:
    """The choice `value` names (typed as the choices are: a `Pace`, a `Form`…), else a `TaperError`."""
    known = tuple(choices)
    for choice in known:
        if choice == value:
            return choice
    raise TaperError(field_name, code, value=str(value)[:80], choices=", ".join(known))


def _start(value: date | str | None, today: date) -> date:
    if value in (None, ""):
        return today
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise TaperError("start", "start_invalid", value=str(value)[:40]) from None


def _holds(values: Iterable[int | str]) -> tuple[int, ...]:
    holds = []
    for value in values:
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            raise TaperError("holds", "hold_invalid", value=text[:20])
        holds.append(int(text))
    return tuple(sorted(holds))


def _market(value: str | None, default: str) -> str:
    code = (value or default or "").strip().upper()
    try:
        load_market(code)
    except MarketError:
        raise TaperError("market", "market_unknown", value=(value or default or "")[:20], choices=", ".join(known_markets())) from None
    return code


def _switch(value: str | None) -> SwitchChoice:
    wanted = (value or "").strip().lower()
    if wanted in ("", "auto"):
        return "auto"
    for choice in SWITCH_CHOICES:
        if choice == wanted:
            return choice
    raise TaperError("switch_to", "switch_unknown", value=str(value)[:40])


def language_of(plan_input: PlanInput, defaults: PlanDefaults) -> str:
    language = plan_input.language or defaults.language
    if language not in LANGUAGES:
        raise TaperError("language", "language_unknown", value=str(language)[:20])
    return language


def to_request(
    plan_input: PlanInput, defaults: PlanDefaults, knowledge: Knowledge, protocols: ProtocolSet, today: date
) -> TaperRequest:
    """Check every field and fill in the defaults; the first mistake is a `TaperError` naming its field."""
    language_of(plan_input, defaults)
    drug = resolve_drug(plan_input.drug, knowledge)
    dose = parse_dose(plan_input.dose)
    protocol = _choice("protocol", "protocol_unknown", plan_input.protocol or defaults.protocol, protocols.protocols)
    pace = _choice("pace", "pace_unknown", plan_input.pace or defaults.pace, PACES)
    default_form = (protocols.protocol(protocol).forms or ["tablets"])[0]
    form = _choice("form", "form_unknown", plan_input.form or default_form, FORMS)
    table = _choice("table", "table_unknown", plan_input.table or defaults.table, sorted(knowledge.equivalence_tables))
    also_taking = tuple(
        (resolve_drug(item.drug, knowledge, "also_taking"), parse_dose(item.dose, "also_taking"))
        for item in plan_input.also_taking
    )
    return TaperRequest(
        drug=drug,
        daily_dose_mg=dose,
        protocol=protocol,
        pace=pace,
        form=form,
        switch=_switch(plan_input.switch_to),
        also_taking=also_taking,
        start=_start(plan_input.start, today),
        holds=_holds(plan_input.holds),
        market=_market(plan_input.market, defaults.market),
        table=table,
    )


def input_for(request: TaperRequest, language: str, patient: str | None = None) -> PlanInput:
    """The input that gives this request back (for links from a card to the planner and the handout)."""
    return PlanInput(
        drug=request.drug,
        dose=request.daily_dose_mg,
        protocol=request.protocol,
        pace=request.pace,
        form=request.form,
        switch_to=None if request.switch == "auto" else request.switch,
        also_taking=[InUse(drug=d, dose=mg) for d, mg in request.also_taking],
        start=request.start,
        holds=list(request.holds),
        market=request.market,
        language=language,
        table=request.table,
        patient=patient,
    )
