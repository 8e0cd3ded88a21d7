"""The taper plan generator: from what a patient takes now to a dated, tablet-by-tablet plan to stop.

Pure: it reads the knowledge (drugs, strengths, equivalences) and the taper protocol (every clinical
number, with its source) and returns an immutable `TaperPlan`.  The rules, in the order they apply:

1. Resolve the drug; refuse drugs that have no outpatient taper (procedural sedation only) or that can
   neither be tapered with their own tablets nor switched (no strengths and no equivalence).
2. Switch to the protocol's long-acting drug (diazepam) when asked, or automatically when the drug's
   marketed strengths allow no dose below the current one.  The conversion uses the chosen
   equivalence table (DE = mg x 10 / eq10), is rounded to a dose the diazepam tablets allow, and is
   held for the stabilisation period.  Short-acting drugs get a note recommending the switch.
3. Every interval, take the pace's fraction off the current dose (the near-end fraction once the dose
   is at or below the near-end threshold).  A planned dose the tablets cannot make is rounded up to
   the nearest achievable dose (a smaller step); when there is none below the current dose, the step
   is the smallest the tablets allow.  Doses never go up, each reduction is strictly lower, and the
   plan ends with a `stop` step at 0 mg.
4. Holds repeat a step's dose for one more interval after the step numbers the patient chose.  The
   numbers refer to the plan without holds (the plan the patient saw); a number given twice holds twice.

Dates are contiguous: each step starts the day after the previous one ends, `days` counts both ends.
The `stop` step is a marker on the first day without the drug: start == end, `days` 0, so
`total_days` (the sum of step days) is the number of days the patient still takes the drug.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, Self

from service.facts.identify import normalize_text
from service.knowledge.models import BzraDrug, Knowledge
from service.taper.protocol import Pace, TaperProtocol, load_protocol
from service.taper.tablets import TabletSet, tablet_set

__all__ = [
    "DrugLabel",
    "PlanNote",
    "TaperError",
    "TaperPlan",
    "TaperRequest",
    "TaperStep",
    "make_plan",
    "parse_dose",
    "resolve_drug",
]

StepKind = Literal["switch", "stabilise", "reduce", "hold", "stop"]
LANGUAGES = ("en", "nl", "fr")


class TaperError(ValueError):
    """Input that cannot give a plan; `field` names the input, `message` says why in plain words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TaperRequest:
    drug: str
    daily_dose_mg: float
    pace: Literal["standard", "slow"] = "standard"
    switch_to_diazepam: bool = False
    start: date = field(default_factory=date.today)
    holds: tuple[int, ...] = ()
    markets: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaperStep:
    number: int
    kind: StepKind
    start: date
    end: date
    days: int
    drug: str
    dose_mg: float
    tablets: tuple[tuple[float, float], ...]
    de_mg: float | None


@dataclass(frozen=True)
class DrugLabel:
    """What renderings need to name a drug without the knowledge: names, ATC, dose forms."""

    id: str
    names: tuple[tuple[str, str], ...]
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
    # Additions beyond the agreed API, so renderings need no knowledge at hand:
    labels: tuple[DrugLabel, ...] = ()
    table: str | None = None
    interval_days: int = 0
    markets: tuple[str, ...] = ()

    def label(self, drug_id: str) -> DrugLabel:
        for label in self.labels:
            if label.id == drug_id:
                return label
        return DrugLabel(id=drug_id, names=(("en", drug_id),))


# ---- input parsing -------------------------------------------------------------------------

_DOSE = re.compile(
    r"^(?P<number>\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?P<unit>mg|milligrams?|ug|mcg|micrograms?|g|grams?)?\s*"
    r"(?P<per>(?:/|per|a|each)\s*(?:day|d|24\s*h(?:ours?)?|dag|jour|j)|daily|(?:per|a)\s+day)?$"
)
_TO_MG = {"mg": 1.0, "ug": 0.001, "g": 1000.0}


def parse_dose(text: str) -> float:
    """A daily dose in mg from text such as '3mg/day', '0,5 mg/d', '500 µg/day' or '2.5mg'.

    A bare number is read as mg.  Anything else, zero or a negative dose is a `TaperError("dose")`.
    """
    raw = (text or "").strip()
    plain = normalize_text(raw).replace(" per ", " per ")
    plain = re.sub(r"\s+", " ", plain)
    if not plain:
        raise TaperError("dose", "no dose given; write the daily dose like '3 mg/day'")
    if raw.startswith(("-", "\u2212")):
        raise TaperError("dose", f"the daily dose must be more than 0 mg, not '{raw}'")
    match = _DOSE.match(plain)
    if match is None:
        raise TaperError(
            "dose", f"cannot read the dose '{raw}'; write the daily dose like '3 mg/day', '0.5 mg' or '500 µg/day'"
        )
    unit = match["unit"] or "mg"
    unit = "ug" if unit.startswith(("ug", "mcg", "micro")) else "g" if unit.startswith("g") else "mg"
    mg = float(match["number"]) * _TO_MG[unit]
    if not math.isfinite(mg) or mg <= 0:
        raise TaperError("dose", f"the daily dose must be more than 0 mg, not '{raw}'")
    return mg


def _names(drug_id: str, drug: BzraDrug) -> list[str]:
    return [drug_id, drug_id.replace("_", " "), *drug.display.all(), *drug.synonyms, *drug.brands]


def resolve_drug(text: str, knowledge: Knowledge) -> str:
    """The BZRA id for an id, a display name (en/nl/fr), a synonym or a brand, in any case."""
    wanted = normalize_text(text or "")
    if not wanted:
        raise TaperError("drug", "no drug given; name a benzodiazepine or Z-drug, e.g. 'lorazepam'")
    index: dict[str, set[str]] = {}
    for drug_id, drug in knowledge.drugs.items():
        for name in _names(drug_id, drug):
            index.setdefault(normalize_text(name), set()).add(drug_id)
    found = index.get(wanted)
    if found and len(found) == 1:
        return next(iter(found))
    if found:
        choices = " or ".join(sorted(knowledge.drugs[i].display.en for i in found))
        raise TaperError("drug", f"'{text}' can mean {choices}; name the ingredient")
    close = difflib.get_close_matches(wanted, list(index), n=1, cutoff=0.75)
    if close:
        suggestion = knowledge.drugs[min(index[close[0]])].display.en
        raise TaperError("drug", f"unknown drug '{text}'; did you mean {suggestion}?")
    raise TaperError("drug", f"unknown drug '{text}': not a benzodiazepine or Z-drug this service knows")


# ---- the generator -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    kind: StepKind
    dose_mg: float
    days: int


def _note(code: str, **values: Any) -> PlanNote:
    """A note; drug names and labels are passed as {language: text} so renderings can translate it."""
    from service.taper.handout_texts import note_text

    return PlanNote(code, note_text(code, values, "en"), values)


def _names_of(drug_id: str, drug: BzraDrug) -> dict[str, str]:
    return {lang: getattr(drug.display, lang) or drug.display.en for lang in LANGUAGES}


def _label(drug_id: str, drug: BzraDrug, tablets: TabletSet) -> DrugLabel:
    return DrugLabel(
        id=drug_id,
        names=tuple(_names_of(drug_id, drug).items()),
        atc=drug.atc[0] if drug.atc else None,
        forms=tuple(sorted(tablets.forms.items())),
    )


def _tablets(knowledge: Knowledge, protocol: TaperProtocol, drug_id: str, markets: tuple[str, ...]) -> TabletSet:
    units = protocol.dose_units
    return tablet_set(
        drug_id,
        knowledge.drugs[drug_id],
        knowledge,
        forms=units.forms,
        split_forms=units.split_forms,
        split_parts=units.split_parts,
        markets=markets,
    )


def _where(markets: tuple[str, ...]) -> str:
    return f" in {', '.join(markets)}" if markets else ""


def _check_request(request: TaperRequest, knowledge: Knowledge, protocol: TaperProtocol, table: str) -> str:
    if table not in knowledge.equivalence_tables:
        known = ", ".join(sorted(knowledge.equivalence_tables))
        raise TaperError("table", f"unknown equivalence table '{table}'; known tables: {known}")
    if request.pace not in protocol.paces:
        known = ", ".join(protocol.paces)
        raise TaperError("pace", f"unknown pace '{request.pace}'; choose {known}")
    if not isinstance(request.start, date):
        raise TaperError("start", f"the start must be a date like 2026-12-01, not '{request.start}'")
    dose = request.daily_dose_mg
    if isinstance(dose, bool) or not isinstance(dose, (int, float)) or not math.isfinite(dose) or dose <= 0:
        raise TaperError("dose", f"the daily dose must be more than 0 mg, not '{dose}'")
    for market in request.markets:
        if not re.fullmatch(r"[A-Z]{2}", market):
            raise TaperError("market", f"a market is a two-letter country code like NL, not '{market}'")
    for hold in request.holds:
        if isinstance(hold, bool) or not isinstance(hold, int) or hold < 1:
            raise TaperError("holds", f"a hold names a step number (1, 2, ...), not '{hold}'")
    drug_id = request.drug if request.drug in knowledge.drugs else resolve_drug(request.drug, knowledge)
    drug = knowledge.drugs[drug_id]
    if drug.has_edge_case("procedural_sedation_only"):
        raise TaperError(
            "drug", f"{drug.display.en} is given only for procedural sedation (intravenously); there is no outpatient taper"
        )
    return drug_id


def _next_dose(current: float, reference: float, pace: Pace, tablets: TabletSet) -> float:
    """The next dose: the pace's fraction off the current dose, rounded up to what the tablets allow."""
    near_end = current <= pace.near_end.at_or_below_fraction_of_start * reference + 1e-9
    fraction = pace.near_end.reduce_fraction if near_end else pace.reduce_fraction
    target = current * (1 - fraction)
    rounded = tablets.smallest_from(target, below_mg=current)
    return rounded if rounded is not None else tablets.largest_below(current)


def _fmt(mg: float) -> float:
    return round(mg, 4)


def make_plan(
    request: TaperRequest, knowledge: Knowledge, table: str = "ashton", *, protocol: TaperProtocol | None = None
) -> TaperPlan:
    """A dated taper plan for the request; `TaperError` (with the field at fault) when there is none."""
    protocol = protocol or load_protocol()
    drug_id = _check_request(request, knowledge, protocol, table)
    drug = knowledge.drugs[drug_id]
    pace = protocol.paces[request.pace]
    rule = protocol.switch
    markets = tuple(dict.fromkeys(request.markets))
    dose = float(request.daily_dose_mg)
    name = drug.display.en
    if rule.to not in knowledge.drugs:
        raise TaperError("switch_to", f"the protocol switches to '{rule.to}', which the knowledge does not list")
    dn, tn = _names_of(drug_id, drug), _names_of(rule.to, knowledge.drugs[rule.to])
    own = _tablets(knowledge, protocol, drug_id, markets)
    notes: list[PlanNote] = []
    labels = {drug_id: _label(drug_id, drug, own)}

    # 1. direct taper or switch?
    reason: str | None = None
    if request.switch_to_diazepam and drug_id == rule.to:
        notes.append(_note("already_target", drug=dn))
    elif request.switch_to_diazepam:
        reason = "requested"
    elif drug_id != rule.to and own.empty:
        reason = "no_strengths"
    elif dose < own.smallest_mg - 1e-9:
        raise TaperError(
            "dose",
            f"{_num(dose)} mg a day is too small to taper with the marketed strengths: the smallest "
            f"{name} dose the tablets{_where(markets)} allow is {_num(own.smallest_mg)} mg",
        )
    elif drug_id != rule.to and own.largest_below(dose) <= 0:
        reason = "no_smaller_dose"

    if own.empty and reason is None:  # the target drug itself has no strengths here
        raise TaperError("market", f"no marketed oral strengths of {name}{_where(markets)}")

    taper_id, tablets, current, eq = drug_id, own, dose, knowledge.eq10(drug_id, table)
    steps: list[_Planned] = []
    if reason is not None:
        if eq is None:
            if reason == "requested":
                raise TaperError(
                    "switch_to",
                    f"the {table} equivalence table (with its fallbacks) gives no diazepam equivalent for {name}, "
                    "so a switch cannot be planned",
                )
            why = "has no marketed oral strengths" if own.empty else "has no marketed oral strengths that allow a smaller dose"
            raise TaperError(
                "drug",
                f"{name} cannot be planned: it {why}{_where(markets)}, and the {table} equivalence table "
                "(with its fallbacks) gives no diazepam equivalent to switch to",
            )
        target = knowledge.drugs[rule.to]
        tablets = _tablets(knowledge, protocol, rule.to, markets)
        if tablets.empty:
            if reason == "no_strengths":
                raise TaperError("market", f"no marketed oral strengths of {name} or of {target.display.en}{_where(markets)}")
            raise TaperError("market", f"no marketed oral strengths of {target.display.en}{_where(markets)} to switch to")
        table_used, eq10 = eq
        equivalent = dose * 10 / eq10.value
        if equivalent < tablets.smallest_mg - 1e-9:
            raise TaperError(
                "dose",
                f"{_num(dose)} mg a day is too small to taper with the marketed strengths: it equals "
                f"{_num(equivalent)} mg {target.display.en}, less than the smallest dose the tablets allow "
                f"({_num(tablets.smallest_mg)} mg)",
            )
        current = tablets.at_or_above(equivalent) if rule.conversion_rounding == "up" else tablets.nearest(equivalent)
        taper_id = rule.to
        labels[taper_id] = _label(taper_id, target, tablets)
        notes.append(_note(f"switch_{reason}", drug=dn, target=tn, dose=_fmt(dose), markets=", ".join(markets)))
        notes.append(
            _note(
                "conversion",
                drug=dn,
                dose=_fmt(dose),
                de=_fmt(equivalent),
                table=table_used,
                eq10=eq10.value,
                target=tn,
                target_dose=_fmt(current),
            )
        )
        if table_used != table:
            notes.append(_note("table_fallback", drug=dn, table=table, used=table_used))
        notes.append(
            _note(
                "stabilise",
                target=tn,
                target_dose=_fmt(current),
                days=rule.stabilise_days,
                low=rule.review_after_days.low,
                high=rule.review_after_days.high,
            )
        )
        steps.append(_Planned("switch", current, rule.stabilise_days))
    elif drug_id != rule.to and drug.half_life is not None and drug.half_life.cls in rule.recommend_for_half_life:
        notes.append(_note("recommend_switch", drug=dn, target=tn))
    if drug.has_edge_case("epilepsy_use_no_switch"):
        notes.append(_note("epilepsy", drug=dn))

    # 2. reductions
    reference = current
    first_reduce = len(steps)
    while True:
        following = _next_dose(current, reference, pace, tablets)
        if following <= 0:
            break
        steps.append(_Planned("reduce", following, pace.interval_days))
        current = following
    base_count = len(steps)

    # 3. holds
    holds = sorted(request.holds)
    if holds and holds[-1] > base_count:
        raise TaperError(
            "holds",
            f"cannot hold after step {holds[-1]}: the plan has steps 1 to {base_count} before it stops",
        )
    planned: list[_Planned] = []
    for number, step in enumerate(steps, start=1):
        planned.append(step)
        planned.extend(_Planned("hold", step.dose_mg, pace.interval_days) for h in holds if h == number)

    # 4. notes about the schedule
    start_dose = dose if reason is None else steps[0].dose_mg
    if not tablets.achievable(start_dose) and first_reduce < len(steps):
        notes.append(_note("start_not_achievable", drug=dn, dose=_fmt(start_dose), first=_fmt(steps[first_reduce].dose_mg)))
    threshold = pace.near_end.at_or_below_fraction_of_start * reference
    notes.append(
        _note(
            "pace",
            pace=dict(pace.label.model_dump(exclude_none=True)),
            pct=_fmt(pace.reduce_fraction * 100),
            days=pace.interval_days,
            threshold=_fmt(threshold),
            near_pct=_fmt(pace.near_end.reduce_fraction * 100),
            unit=_fmt(tablets.smallest_mg),
            drug=_names_of(taper_id, knowledge.drugs[taper_id]),
        )
    )
    limit = protocol.limits
    large, previous = [], (steps[first_reduce - 1].dose_mg if first_reduce else dose)
    for number, step in enumerate(planned, start=1):
        if step.kind == "reduce":
            if (previous - step.dose_mg) > limit.max_reduce_fraction * previous + 1e-9:
                large.append(number)
            previous = step.dose_mg
    if large:
        notes.append(_note("large_steps", steps=", ".join(map(str, large)), max=_fmt(limit.max_reduce_fraction * 100)))
    held = [number for number, step in enumerate(planned, start=1) if step.kind == "hold"]
    if held:
        notes.append(_note("holds", steps=", ".join(map(str, held)), days=pace.interval_days))
    if markets:
        notes.append(_note("markets", markets=", ".join(markets)))

    # 5. dates
    eq_taper = knowledge.eq10(taper_id, table)
    out: list[TaperStep] = []
    day = request.start
    for number, step in enumerate(planned, start=1):
        end = day + timedelta(days=step.days - 1)
        out.append(
            TaperStep(
                number=number,
                kind=step.kind,
                start=day,
                end=end,
                days=step.days,
                drug=taper_id,
                dose_mg=_fmt(step.dose_mg),
                tablets=tablets.composition(step.dose_mg),
                de_mg=_fmt(step.dose_mg * 10 / eq_taper[1].value) if eq_taper else None,
            )
        )
        day = end + timedelta(days=1)
    out.append(
        TaperStep(
            number=len(out) + 1, kind="stop", start=day, end=day, days=0, drug=taper_id,
            dose_mg=0.0, tablets=(), de_mg=0.0 if eq_taper else None,
        )
    )

    return TaperPlan(
        drug=drug_id,
        start_dose_mg=dose,
        taper_drug=taper_id,
        switched=reason is not None,
        pace=request.pace,
        steps=tuple(out),
        total_days=sum(s.days for s in out),
        end=day,
        notes=tuple(notes),
        sources=_sources(protocol, knowledge, pace, reason is not None, table, eq),
        labels=tuple(labels.values()),
        table=table,
        interval_days=pace.interval_days,
        markets=markets,
    )


def _sources(
    protocol: TaperProtocol, knowledge: Knowledge, pace: Pace, switched: bool, table: str, eq: Any
) -> tuple[str, ...]:
    ids = [*pace.sources, *pace.near_end.sources, *protocol.rounding.sources, *protocol.limits.sources]
    if switched:
        ids += protocol.switch.sources
    citations = [protocol.citation(i) for i in dict.fromkeys(ids)]
    if switched and eq is not None:
        used = knowledge.equivalence_tables.get(eq[0])
        if used is not None:
            title = f"{used.author}. {used.title}" if used.author else used.title
            citations.append(f"{title}. {used.url}" if used.url else title)
    return tuple(citations)


def _num(value: float) -> str:
    """A dose for a message: no trailing zeros (2.5, 10, 0.125)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")
