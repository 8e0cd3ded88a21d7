"""Pydantic models of the knowledge files, and the merged `Knowledge` object the rules read.

Every knowledge file has the same shape (`KnowledgeFile`, all sections optional), so a rule author can
add a drug, a co-medication class, a condition code set or a product-code mapping in a file of their
own.  Models are strict (`extra="forbid"`) and frozen: a typo in a field name is a load error, and the
loaded knowledge cannot be changed by accident at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
SourceId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
AtcCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Positive = Annotated[float, Field(gt=0)]

CodeSystemKind = Literal["rxnorm", "atc", "snomed", "icd10_who", "icd10_cm"]
Grade = Literal["primary", "primary_reproduction", "secondary", "code"]
DrugGroup = Literal["benzodiazepine", "z-drug"]
HalfLifeClass = Literal["short", "intermediate", "long"]
ConditionRole = Literal["risk", "referral", "suppress", "indication"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(Strict):
    """Display names; en is required, nl and fr are used for cards and for text matching."""

    en: NonEmpty
    nl: NonEmpty | None = None
    fr: NonEmpty | None = None

    def all(self) -> tuple[str, ...]:
        return tuple(n for n in (self.en, self.nl, self.fr) if n)


class Source(Strict):
    """A citation.  `via` names the reproduction actually read when the original was not reachable."""

    title: NonEmpty
    url: str | None = None
    year: int | None = None
    publisher: str | None = None
    grade: Grade
    via: str | None = None
    note: str | None = None


class CodeRef(Strict):
    """A code with its provenance; `verified: false` marks a candidate no curated source confirmed."""

    code: NonEmpty
    display: str | None = None
    verified: bool = True
    source: SourceId | None = None
    note: str | None = None


class DoseForm(Strict):
    """A basic dose form, and the words (any language, lower case, no accents) that name it."""

    display: Names
    route: Literal["oral", "parenteral", "nasal", "rectal", "oromucosal"]
    words: list[NonEmpty] = Field(min_length=1)


class FormModifiers(Strict):
    """Words that flag modified-release or orodispersible products in free text."""

    modified_release: list[NonEmpty] = []
    orodispersible: list[NonEmpty] = []


class ProductCode(Strict):
    """A coded product (RxNorm SCD/SBD/pack, or a national code) with its BZRA strength and form."""

    code: NonEmpty
    tty: Literal["SCD", "SBD", "GPCK", "BPCK", "product"] = "SCD"
    strength: Positive | None = None
    unit: Literal["mg", "mg/mL"] = "mg"
    form: Id
    modified_release: bool = False
    orodispersible: bool = False
    brand: str | None = None
    combination_with: list[Id] = []
    verified: bool = True
    source: SourceId


class Strength(Strict):
    """A usual oral strength.  `scored` is null unless a source says whether the tablet can be split.

    Which strengths a country markets is in the market files (`data/markets/<cc>.yaml`), which taper
    plans read; these strengths describe the molecule.
    """

    mg: Positive
    form: Id
    modified_release: bool = False
    scored: bool | None = None
    source: SourceId
    note: str | None = None


class PackSize(Strict):
    units: Annotated[int, Field(gt=0)]
    market: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    source: SourceId


class HalfLife(Strict):
    """Elimination half-life class (rule in the data README) plus the figures as the sources give them."""

    cls: HalfLifeClass
    text: NonEmpty
    sps_label: Literal["short", "long"] | None = None
    verified: bool = True
    sources: list[SourceId] = Field(min_length=1)


class Eq10(Strict):
    """mg of a drug taken to equal 10 mg oral diazepam in one table.

    `original` keeps the figure as printed (per 5 mg, a range, an example dose); `value` is the single
    number the table's `range_reduction` produced; `low`/`high` keep the range when there was one.
    """

    value: Positive
    low: Positive | None = None
    high: Positive | None = None
    original: NonEmpty
    note: str | None = None

    @model_validator(mode="after")
    def _range_holds_value(self) -> Eq10:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and self.high is not None and not self.low <= self.value <= self.high:
            raise ValueError("value must lie between low and high")
        return self


class EdgeCase(Strict):
    """A documented exception the rules must honour (procedural-only drugs, epilepsy use, ...)."""

    kind: Literal[
        "procedural_sedation_only",
        "parenteral_is_procedural",
        "seizure_rescue_products",
        "epilepsy_use_no_switch",
        "no_equivalence_value",
        "atc_outside_bzra_classes",
        "combination_products",
        "not_in_prescribing_lists",
    ]
    note: NonEmpty
    sources: list[SourceId] = []


class BzraDrug(Strict):
    display: Names
    group: DrugGroup
    atc: list[AtcCode] = Field(min_length=1)
    atc_combinations: list[AtcCode] = []
    rxnorm_ingredient: CodeRef | None = None
    rxnorm_products: list[ProductCode] = []
    snomed_substance: CodeRef | None = None
    synonyms: list[NonEmpty] = []
    brands: list[NonEmpty] = []
    half_life: HalfLife | None = None
    strengths: list[Strength] = []
    pack_sizes: list[PackSize] = []
    eq10: dict[Id, Eq10] = {}
    edge_cases: list[EdgeCase] = []
    sources: list[SourceId] = []
    note: str | None = None

    def has_edge_case(self, kind: str) -> bool:
        return any(e.kind == kind for e in self.edge_cases)


class EquivalenceTable(Strict):
    """One selectable diazepam-equivalence table, with its citation and how its figures were reduced."""

    title: NonEmpty
    author: str | None = None
    url: str | None = None
    year: int | None = None
    grade: Grade
    via: str | None = None
    basis: NonEmpty
    range_reduction: NonEmpty
    fallback: list[Id] = []
    note: str | None = None


class Member(Strict):
    """An ingredient of a co-medication class."""

    display: Names
    names: list[NonEmpty] = []
    atc: list[AtcCode] = []
    rxnorm: CodeRef | None = None


class ComedicationClass(Strict):
    display: Names
    atc_prefixes: list[AtcCode] = []
    atc_exclude: list[AtcCode] = []
    members: dict[Id, Member] = {}
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class ConditionGroup(Strict):
    """Codes that put a patient in a group.  ICD-10 entries are prefixes (F10 matches F10.239)."""

    display: Names
    roles: list[ConditionRole] = []
    parent: Id | None = None
    snomed: list[CodeRef] = []
    icd10_who: list[NonEmpty] = []
    icd10_who_exclude: list[NonEmpty] = []
    icd10_cm: list[NonEmpty] = []
    icd10_cm_exclude: list[NonEmpty] = []
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class MappedProduct(Strict):
    """A national product code (CNK, G-Standaard, ...) mapped to the ingredient it contains."""

    ingredient: Id
    strength: Positive | None = None
    unit: Literal["mg", "mg/mL"] = "mg"
    form: Id | None = None
    pack_size: Annotated[int, Field(gt=0)] | None = None
    display: str | None = None


class ProductCodeSystem(Strict):
    display: NonEmpty
    source: SourceId
    codes: dict[NonEmpty, MappedProduct] = {}


class DependenceThreshold(Strict):
    """When physical dependence is likely: use on most days of the week for longer than a number of days."""

    more_than_days: Annotated[int, Field(gt=0)]
    min_days_per_week: Annotated[float, Field(gt=0, le=7)]
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class TaperRecognition(Strict):
    """How a taper already under way is read from recent orders and dispenses of one BZRA."""

    window_days: Annotated[int, Field(gt=0)]
    min_reductions: Annotated[int, Field(ge=1)]
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class CourseLimits(Strict):
    """The longest advised course, by the reason for the order."""

    insomnia_days: Annotated[int, Field(gt=0)]
    other_days: Annotated[int, Field(gt=0)]
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class UseThresholds(Strict):
    dependence: DependenceThreshold
    ongoing_taper: TaperRecognition
    course_limits: CourseLimits


class Exemption(Strict):
    """A reason for long-term or high-dose use that deprescribing advice does not apply to."""

    display: Names
    condition_groups: list[Id] = Field(min_length=1)
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class KnowledgeFile(Strict):
    """The shape of every knowledge file; all sections are optional and merged by id across files."""

    schema_version: Literal[1] = 1
    description: str | None = None
    sources: dict[SourceId, Source] = {}
    code_systems: dict[CodeSystemKind, list[NonEmpty]] = {}
    default_equivalence_table: Id | None = None
    bzra_atc_classes: list[AtcCode] | None = None
    dose_forms: dict[Id, DoseForm] = {}
    form_modifiers: FormModifiers | None = None
    equivalence_tables: dict[Id, EquivalenceTable] = {}
    drugs: dict[Id, BzraDrug] = {}
    comedication_classes: dict[Id, ComedicationClass] = {}
    condition_groups: dict[Id, ConditionGroup] = {}
    product_codes: dict[NonEmpty, ProductCodeSystem] = {}
    use_thresholds: UseThresholds | None = None
    exemptions: dict[Id, Exemption] = {}


def normalize_icd10(code: str) -> str:
    """ICD-10 codes compare without dots or case: 'f10.239' == 'F10239'."""
    return code.replace(".", "").replace(" ", "").upper()


class Knowledge:
    """Everything the rules know about BZRAs, co-medication and conditions, merged and checked.

    Built by `load_knowledge`; read-only.  Lookup helpers answer by code so callers never scan lists.
    """

    def __init__(
        self,
        *,
        sources: dict[str, Source],
        code_systems: dict[str, tuple[str, ...]],
        default_equivalence_table: str,
        bzra_atc_classes: tuple[str, ...],
        dose_forms: dict[str, DoseForm],
        form_modifiers: FormModifiers,
        equivalence_tables: dict[str, EquivalenceTable],
        drugs: dict[str, BzraDrug],
        comedication_classes: dict[str, ComedicationClass],
        condition_groups: dict[str, ConditionGroup],
        product_codes: dict[str, ProductCodeSystem],
        use_thresholds: UseThresholds,
        exemptions: dict[str, Exemption],
        files: tuple[str, ...] = (),
    ) -> None:
        self.sources: Mapping[str, Source] = MappingProxyType(dict(sources))
        self.code_systems: Mapping[str, tuple[str, ...]] = MappingProxyType(dict(code_systems))
        self.default_equivalence_table = default_equivalence_table
        self.bzra_atc_classes = bzra_atc_classes
        self.dose_forms: Mapping[str, DoseForm] = MappingProxyType(dict(dose_forms))
        self.form_modifiers = form_modifiers
        self.equivalence_tables: Mapping[str, EquivalenceTable] = MappingProxyType(dict(equivalence_tables))
        self.drugs: Mapping[str, BzraDrug] = MappingProxyType(dict(drugs))
        self.comedication_classes: Mapping[str, ComedicationClass] = MappingProxyType(dict(comedication_classes))
        self.condition_groups: Mapping[str, ConditionGroup] = MappingProxyType(dict(condition_groups))
        self.product_codes: Mapping[str, ProductCodeSystem] = MappingProxyType(dict(product_codes))
        self.use_thresholds = use_thresholds
        self.exemptions: Mapping[str, Exemption] = MappingProxyType(dict(exemptions))
        self.files = files

    # ---- drugs and equivalence -------------------------------------------------------------

    def drug(self, drug_id: str) -> BzraDrug | None:
        return self.drugs.get(drug_id)

    def table(self, table_id: str | None = None) -> EquivalenceTable | None:
        return self.equivalence_tables.get(table_id or self.default_equivalence_table)

    def eq10(
        self, drug_id: str, table_id: str | None = None, *, use_fallback: bool = True
    ) -> tuple[str, Eq10] | None:
        """(table actually used, value) for a drug; follows the table's fallback list if allowed."""
        chosen = table_id or self.default_equivalence_table
        drug = self.drugs.get(drug_id)
        table = self.equivalence_tables.get(chosen)
        if drug is None or table is None:
            return None
        candidates = [chosen] + (table.fallback if use_fallback else [])
        for candidate in candidates:
            if candidate in drug.eq10:
                return candidate, drug.eq10[candidate]
        return None

    def eq10_span(self, drug_id: str) -> tuple[float, float] | None:
        """Lowest and highest eq10 any table gives for the drug (ranges included)."""
        drug = self.drugs.get(drug_id)
        if drug is None or not drug.eq10:
            return None
        lows = [e.low if e.low is not None else e.value for e in drug.eq10.values()]
        highs = [e.high if e.high is not None else e.value for e in drug.eq10.values()]
        return min(lows), max(highs)

    # ---- code lookups (indexes are built once, on first use) --------------------------------

    def system_kind(self, system: str | None) -> str | None:
        """'rxnorm', 'atc', 'snomed', 'icd10_who', 'icd10_cm' for a FHIR system URI, else None."""
        if not system:
            return None
        return self._system_kinds.get(system.strip().rstrip("/").lower())

    @cached_property
    def _system_kinds(self) -> dict[str, str]:
        return {
            uri.strip().rstrip("/").lower(): kind
            for kind, uris in self.code_systems.items()
            for uri in uris
        }

    @cached_property
    def drug_by_atc(self) -> dict[str, str]:
        return {code: drug_id for drug_id, d in self.drugs.items() for code in (*d.atc, *d.atc_combinations)}

    @cached_property
    def drug_by_rxnorm_ingredient(self) -> dict[str, str]:
        return {d.rxnorm_ingredient.code: i for i, d in self.drugs.items() if d.rxnorm_ingredient}

    @cached_property
    def drug_by_snomed(self) -> dict[str, str]:
        return {d.snomed_substance.code: i for i, d in self.drugs.items() if d.snomed_substance}

    @cached_property
    def rxnorm_product(self) -> dict[str, tuple[str, ProductCode]]:
        return {p.code: (i, p) for i, d in self.drugs.items() for p in d.rxnorm_products}

    @cached_property
    def members(self) -> dict[str, Member]:
        """Every co-medication ingredient by id (the first definition wins for display)."""
        found: dict[str, Member] = {}
        for cls in self.comedication_classes.values():
            for member_id, member in cls.members.items():
                found.setdefault(member_id, member)
        return found

    @cached_property
    def classes_by_member(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {}
        for class_id, cls in self.comedication_classes.items():
            for member_id in cls.members:
                found.setdefault(member_id, []).append(class_id)
        return {k: tuple(v) for k, v in found.items()}

    @cached_property
    def member_by_rxnorm(self) -> dict[str, str]:
        return {
            m.rxnorm.code: member_id
            for cls in self.comedication_classes.values()
            for member_id, m in cls.members.items()
            if m.rxnorm
        }

    @cached_property
    def member_by_atc(self) -> dict[str, str]:
        return {
            code: member_id
            for cls in self.comedication_classes.values()
            for member_id, m in cls.members.items()
            for code in m.atc
        }

    def classes_for_atc(self, atc: str) -> tuple[str, ...]:
        """Co-medication classes whose ATC prefixes cover the code, minus their exclusions."""
        code = atc.strip().upper()
        return tuple(
            class_id
            for class_id, cls in self.comedication_classes.items()
            if any(code.startswith(p) for p in cls.atc_prefixes)
            and not any(code.startswith(x) for x in cls.atc_exclude)
        )

    def in_bzra_atc_class(self, atc: str) -> bool:
        code = atc.strip().upper()
        return any(code.startswith(prefix) for prefix in self.bzra_atc_classes)

    def mapped_product(self, system: str | None, code: str | None) -> MappedProduct | None:
        if not system or not code:
            return None
        mapping = self.product_codes.get(system.strip())
        return mapping.codes.get(code.strip()) if mapping else None

    def condition_groups_for(self, kind: str, code: str) -> tuple[str, ...]:
        """Condition groups a code belongs to, parents included.  `kind` as from `system_kind`."""
        found: list[str] = []
        for group_id, group in self.condition_groups.items():
            if _group_matches(group, kind, code):
                for gid in self._with_parents(group_id):
                    if gid not in found:
                        found.append(gid)
        return tuple(found)

    def _with_parents(self, group_id: str) -> list[str]:
        chain, seen = [], set()
        current: str | None = group_id
        while current and current not in seen and current in self.condition_groups:
            seen.add(current)
            chain.append(current)
            current = self.condition_groups[current].parent
        return chain


def _group_matches(group: ConditionGroup, kind: str, code: str) -> bool:
    if kind == "snomed":
        return any(ref.code == code.strip() for ref in group.snomed)
    if kind in ("icd10_who", "icd10_cm"):
        include = group.icd10_who if kind == "icd10_who" else group.icd10_cm
        exclude = group.icd10_who_exclude if kind == "icd10_who" else group.icd10_cm_exclude
        normalized = normalize_icd10(code)
        return any(normalized.startswith(normalize_icd10(p)) for p in include) and not any(
            normalized.startswith(normalize_icd10(x)) for x in exclude
        )
    return False
