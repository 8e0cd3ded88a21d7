"""The products of one market (`service/knowledge/data/markets/<cc>.yaml`): their model and loader.

A taper plan uses one market's products only, so a Belgian plan never proposes a Dutch 0.5 mg
lorazepam tablet and none ever proposes a US strength. Each market file lists its products (strength,
form, into how many equal doses a tablet may be divided, whether it is still marketed) and the finer
forms it offers at the low end of a taper (Belgian magistral capsules, Dutch tapering strips), every
fact with its source. The loader reports every problem as `file:line:column: message` and checks the
file against the knowledge: drug and dose-form ids must exist, every cited source tag must be listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from service.errors import DeploymentError
from service.knowledge.loader import DATA_DIR
from service.knowledge.models import Id, Knowledge, Names, NonEmpty, Positive
from service.yamlsource import Problem, read_model

__all__ = [
    "MARKETS_DIR",
    "Market",
    "MarketError",
    "Product",
    "known_markets",
    "load_market",
]

MARKETS_DIR = DATA_DIR / "markets"
MarketCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
SourceTag = Annotated[str, StringConstraints(min_length=1)]
Status = Literal["marketed", "withdrawn", "unconfirmed"]
LIQUID_FORMS = ("oral_liquid",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Open(BaseModel):
    """A block of facts the planner reads only in part; the fields it reads are typed, the rest kept."""

    model_config = ConfigDict(extra="allow", frozen=True)


class MarketSource(_Strict):
    title: NonEmpty
    url: str | None = None
    publisher: str | None = None
    date: str | None = None
    year: int | None = None
    grade: Literal["primary", "primary_reproduction", "secondary", "title_only", "code"]
    note: str | None = None


class Product(_Strict):
    """One product, strength and form as marketed; `equal_parts` says into how many equal doses it splits."""

    drug: Id
    product: NonEmpty
    generic: bool
    company: str | None = None
    form: Id
    mg: Positive | None = None
    mg_per_ml: Positive | None = None
    modified_release: bool
    equal_parts: Literal[1, 2, 4]
    equal_parts_quote: str | None = None
    pack_sizes: list[Annotated[int, Field(gt=0)]] = []
    cnk: list[str] | str | None = None
    status: Status
    withdrawn_on: str | None = None
    sources: list[SourceTag] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _strength_and_parts(self) -> Product:
        if (self.mg is None) == (self.mg_per_ml is None):
            raise ValueError("give mg (tablets, capsules) or mg_per_ml (liquids), not both")
        if self.equal_parts > 1 and not self.equal_parts_quote:
            raise ValueError("equal_parts above 1 needs equal_parts_quote: the words of the source")
        if self.form in LIQUID_FORMS and self.mg_per_ml is None:
            raise ValueError("a liquid gives mg_per_ml")
        return self

    @property
    def is_solid(self) -> bool:
        return self.form not in LIQUID_FORMS and self.mg is not None

    @property
    def is_liquid(self) -> bool:
        return self.form in LIQUID_FORMS and self.mg_per_ml is not None


class Stabilisation(_Open):
    max_periods: Annotated[int, Field(ge=0)]
    max_days: Annotated[int, Field(gt=0)]


class Schedules(_Open):
    steps: list[Annotated[int, Field(gt=0)]]
    days_per_step: list[Annotated[int, Field(gt=0)]]
    stabilisation: Stabilisation
    sources: list[SourceTag] = Field(min_length=1)


class ScheduleDoses(_Open):
    steps: Annotated[int, Field(gt=0)]
    percent_of_start: list[Annotated[float, Field(gt=0, le=100)]]
    sources: list[SourceTag] = Field(min_length=1)


class StepDoses(_Open):
    first_step_percent: Annotated[float, Field(gt=0, le=100)]
    last_step_percent_options: list[Annotated[float, Field(gt=0, le=100)]] = []
    by_schedule: list[ScheduleDoses] = []
    sources: list[SourceTag] = Field(min_length=1)


class SourceProduct(_Open):
    not_from: list[str] = []


class MagistralCapsules(_Open):
    """The Belgian RIZIV/INAMI programme: capsules of the patient's own molecule, one step at a time."""

    name: Names
    form: Id
    schedules: Schedules
    step_doses: StepDoses
    source_product: SourceProduct = SourceProduct()


class StripMolecule(_Open):
    drug: Id
    sources: list[SourceTag] = Field(min_length=1)


class TaperingStrips(_Open):
    """Dutch tapering strips: a roll of daily pouches, `strip_days` a strip, for the molecules listed."""

    name: Names
    strip_days: Annotated[int, Field(gt=0)]
    molecules: list[StripMolecule] = []
    sources: list[SourceTag] = Field(min_length=1)


class PackRule(_Open):
    id: Id
    rule: Names
    max_units: Annotated[int, Field(gt=0)]
    sources: list[SourceTag] = Field(min_length=1)


class FinerForms(_Strict):
    magistral_capsules: MagistralCapsules | None = None
    tapering_strips: TaperingStrips | None = None
    pack_rules: list[PackRule] = []


class Market(_Strict):
    """One market's file: its products and finer forms, each with its sources."""

    schema_version: Literal[1]
    market: MarketCode
    country: Names
    checked: str
    sources: dict[SourceTag, MarketSource] = Field(min_length=1)
    products: list[Product] = Field(min_length=1)
    finer_forms: FinerForms = FinerForms()

    def country_name(self, language: str) -> str:
        return getattr(self.country, language, None) or self.country.en

    def products_for(self, drug: str, *, solid: bool = True) -> tuple[tuple[Product, ...], bool]:
        """(usable products of a drug, whether they are only unconfirmed ones).

        Usable: immediate release, solid (tablets, capsules) or liquid as asked. Marketed products come
        first; when a drug has none, the unconfirmed ones are used and the plan says so.
        """
        kind = [p for p in self.products if p.drug == drug and not p.modified_release]
        kind = [p for p in kind if (p.is_solid if solid else p.is_liquid)]
        marketed = tuple(p for p in kind if p.status == "marketed")
        if marketed:
            return marketed, False
        unconfirmed = tuple(p for p in kind if p.status == "unconfirmed")
        return unconfirmed, bool(unconfirmed)

    def unconfirmed_for(self, drug: str) -> tuple[Product, ...]:
        """Immediate-release tablets and capsules of a drug seen only in older or uncertain sources."""
        return tuple(
            p for p in self.products
            if p.drug == drug and not p.modified_release and p.is_solid and p.status == "unconfirmed"
        )

    def marketed_drugs(self) -> tuple[str, ...]:
        """Drugs with at least one marketed immediate-release tablet or capsule here."""
        return tuple(sorted({p.drug for p in self.products if p.status == "marketed" and p.is_solid and not p.modified_release}))

    def strips_for(self, drug: str) -> bool:
        strips = self.finer_forms.tapering_strips
        return strips is not None and any(m.drug == drug for m in strips.molecules)

    def cites(self) -> Iterable[tuple[tuple[str | int, ...], str]]:
        """(path, tag) of every source tag the file cites, for the cross-check."""
        for i, product in enumerate(self.products):
            for j, tag in enumerate(product.sources):
                yield ("products", i, "sources", j), tag
        yield from _finer_tags(self.finer_forms.model_dump(), ("finer_forms",))


def _finer_tags(value: Any, loc: tuple[str | int, ...]) -> Iterable[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "sources" and isinstance(child, list):
                yield from ((loc + (key, i), tag) for i, tag in enumerate(child) if isinstance(tag, str))
            else:
                yield from _finer_tags(child, loc + (str(key),))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _finer_tags(child, loc + (i,))


class MarketError(DeploymentError):
    """A market that cannot be used: unknown, or its file is invalid; `problems` has file and line."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = tuple(problems)
        lines = "".join(f"\n  {p}" for p in self.problems)
        super().__init__(f"{message}{lines}")
        self.reason = message


@lru_cache(maxsize=8)
def known_markets(directory: Path = MARKETS_DIR) -> tuple[str, ...]:
    """The market codes that have a file, upper case (BE, NL, US)."""
    if not directory.is_dir():
        return ()
    return tuple(sorted(p.stem.upper() for p in directory.glob("*.yaml") if len(p.stem) == 2))


def _check(market: Market, code: str, knowledge: Knowledge | None) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, message) of every cross-check that fails."""
    wrong = []
    if market.market != code:
        wrong.append((("market",), f"the file is for {market.market}, not {code}"))
    for loc, tag in market.cites():
        if tag not in market.sources:
            wrong.append((loc, f"unknown source '{tag}'"))
    if knowledge is None:
        return wrong
    for i, product in enumerate(market.products):
        if product.drug not in knowledge.drugs:
            wrong.append((("products", i, "drug"), f"unknown drug '{product.drug}'"))
        form = knowledge.dose_forms.get(product.form)
        if form is None or form.route != "oral":
            wrong.append((("products", i, "form"), f"'{product.form}' is not an oral dose form of the knowledge"))
    return wrong


@lru_cache(maxsize=16)
def _read(path: Path, code: str, knowledge: Knowledge | None) -> Market:
    source, market, problems = read_model(path, Market)
    if source is None or market is None:
        raise MarketError(f"market {code}: the file {path.name} is invalid", problems)
    wrong = _check(market, code, knowledge)
    if wrong:
        raise MarketError(f"market {code}: the file {path.name} is invalid", [source.problem(loc, m) for loc, m in wrong])
    return market


def load_market(code: str, knowledge: Knowledge | None = None, directory: Path = MARKETS_DIR) -> Market:
    """The market `code` (BE, NL, US; any case), read once; `MarketError` when unknown or invalid."""
    wanted = (code or "").strip().upper()
    known = known_markets(directory)
    if wanted not in known:
        raise MarketError(f"unknown market '{code}'; known markets: {', '.join(known)}")
    return _read(directory / f"{wanted.lower()}.yaml", wanted, knowledge)
