"""Identify a medication, and classify a condition, from the shapes EHRs send.

Pure functions over a loaded `Knowledge`: no HTTP, no file reading.  A medication is recognised by,
in this order of trust: an RxNorm clinical/branded drug or a mapped national product code (which also
give strength and form), an RxNorm ingredient or SNOMED CT substance, an ATC code, and finally the
text (generic or brand name, strength with decimal comma or µg, dose-form words in en/nl/fr).
Unknown input gives an empty identity, never an exception: a CDS hook must not fail on odd data.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from service.fhir.history_models import CodeableConcept, Medication, read

from service.knowledge.models import Knowledge
from service.memo import MemoPerObject

__all__ = [
    "MedicationIdentity",
    "ConditionClassification",
    "identify_concept",
    "identify_medication",
    "identify_text",
    "classify_condition",
    "normalize_text",
]

log = logging.getLogger(__name__)

# Unit conversions to mg (SI prefixes, not clinical figures).
_TO_MG = {"mg": Decimal(1), "ug": Decimal("0.001"), "g": Decimal(1000)}


@dataclass(frozen=True)
class MedicationIdentity:
    """What a medication is, and how we know it (shown to prescribers as the derivation).

    `strength_mg` is per unit (tablet, capsule, dose) when `strength_per` is "unit", per mL when it is
    "mL"; it belongs to the BZRA ingredient when there is one, else to the first ingredient found.
    `matched_by`: rxnorm-product, product-code, rxnorm-ingredient, snomed, atc, atc-class, text.
    `strength_from`: medication.ingredient.strength, rxnorm-product, product-code or text.
    """

    ingredients: tuple[str, ...] = ()
    bzra: str | None = None
    is_bzra: bool = False
    comedication_classes: tuple[str, ...] = ()
    strength_mg: float | None = None
    strength_per: str | None = None
    dose_form: str | None = None
    modified_release: bool | None = None
    orodispersible: bool | None = None
    matched_by: str | None = None
    matched_code: str | None = None
    strength_from: str | None = None

    @property
    def recognised(self) -> bool:
        return bool(self.ingredients or self.is_bzra or self.comedication_classes)


@dataclass(frozen=True)
class ConditionClassification:
    """Condition groups a coded condition belongs to, with the (group, system, code) that matched."""

    groups: tuple[str, ...] = ()
    matches: tuple[tuple[str, str, str], ...] = ()

    def __contains__(self, group: object) -> bool:
        return group in self.groups


# ---- text normalisation -----------------------------------------------------------------------

_MICRO = re.compile(r"(?<![a-z])(?:mcg|micrograms?|microgrammes?|microgr)(?![a-z])")


def normalize_text(text: str) -> str:
    """Lower case, accents and hyphens removed, decimal comma to point, µg/mcg to 'ug'."""
    decomposed = unicodedata.normalize("NFKD", text).replace("\u03bc", "u")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = re.sub(r"(?<=\d),(?=\d)", ".", plain)
    plain = _MICRO.sub("ug", plain)
    plain = re.sub(r"[-_]", " ", plain)
    return re.sub(r"\s+", " ", plain).strip()


_STRENGTH = re.compile(
    r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*(mg|ug|g)(?![a-z])(?:\s*/\s*(\d+(?:\.\d+)?)?\s*ml(?![a-z]))?"
)


@dataclass(frozen=True)
class _TextIndex:
    names: re.Pattern[str] | None
    lookup: Mapping[str, tuple[str, str]]
    forms: re.Pattern[str] | None
    form_lookup: Mapping[str, str]
    modified_release: re.Pattern[str] | None
    orodispersible: re.Pattern[str] | None


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({w for w in words if w}, key=len, reverse=True)
    if not unique:
        return None
    body = "|".join(re.escape(w) for w in unique)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


_INDEXES: weakref.WeakKeyDictionary[Knowledge, _TextIndex] = weakref.WeakKeyDictionary()


def _text_index(kn: Knowledge) -> _TextIndex:
    index = _INDEXES.get(kn)
    if index is not None:
        return index
    lookup: dict[str, tuple[str, str]] = {}
    for drug_id, drug in kn.drugs.items():
        for name in (*drug.display.all(), *drug.synonyms, *drug.brands, drug_id.replace("_", " ")):
            lookup.setdefault(normalize_text(name), ("drug", drug_id))
    for member_id, member in kn.members.items():
        for name in (*member.display.all(), *member.names, member_id.replace("_", " ")):
            lookup.setdefault(normalize_text(name), ("member", member_id))
    form_lookup: dict[str, str] = {}
    for form_id, form in kn.dose_forms.items():
        for word in form.words:
            form_lookup.setdefault(normalize_text(word), form_id)
    modifiers = kn.form_modifiers
    index = _TextIndex(
        names=_alternation(lookup),
        lookup=lookup,
        forms=_alternation(form_lookup),
        form_lookup=form_lookup,
        modified_release=_alternation(normalize_text(w) for w in modifiers.modified_release),
        orodispersible=_alternation(normalize_text(w) for w in modifiers.orodispersible),
    )
    _INDEXES[kn] = index
    return index


# ---- building an identity ---------------------------------------------------------------------


@dataclass
class _Builder:
    kn: Knowledge
    ingredients: list[str] = field(default_factory=list)
    bzra: str | None = None
    is_bzra: bool = False
    classes: list[str] = field(default_factory=list)
    strength: Decimal | None = None
    per: str | None = None
    form: str | None = None
    mr: bool | None = None
    odt: bool | None = None
    matched_by: str | None = None
    matched_code: str | None = None
    strength_from: str | None = None

    def add_ingredient(self, ingredient_id: str) -> None:
        if ingredient_id in self.kn.drugs:
            self.is_bzra = True
            self.bzra = self.bzra or ingredient_id
        if ingredient_id not in self.ingredients:
            self.ingredients.append(ingredient_id)
        for class_id in self.kn.classes_by_member.get(ingredient_id, ()):
            self.add_class(class_id)

    def add_class(self, class_id: str) -> None:
        if class_id not in self.classes:
            self.classes.append(class_id)

    def found(self) -> bool:
        return bool(self.ingredients or self.is_bzra or self.classes)

    def set_strength(self, mg: Decimal | None, per: str, origin: str) -> None:
        if mg is not None and mg > 0 and self.strength is None:
            self.strength, self.per, self.strength_from = mg, per, origin

    def build(self) -> MedicationIdentity:
        if not self.found():
            return MedicationIdentity()
        return MedicationIdentity(
            ingredients=tuple(self.ingredients),
            bzra=self.bzra,
            is_bzra=self.is_bzra,
            comedication_classes=tuple(self.classes),
            strength_mg=float(self.strength) if self.strength is not None else None,
            strength_per=self.per if self.strength is not None else None,
            dose_form=self.form,
            modified_release=self.mr,
            orodispersible=self.odt,
            matched_by=self.matched_by,
            matched_code=self.matched_code,
            strength_from=self.strength_from if self.strength is not None else None,
        )


def _per(unit: str) -> str:
    return "mL" if unit == "mg/mL" else "unit"


def _coding_identity(kn: Knowledge, system: str | None, code: str | None) -> tuple[int, _Builder] | None:
    """(trust rank, partial identity) for one coding; lower rank = more trusted."""
    if not code or not isinstance(code, str):
        return None
    code = code.strip()
    b = _Builder(kn)
    mapped = kn.mapped_product(system, code)
    if mapped is not None:
        b.add_ingredient(mapped.ingredient)
        if mapped.strength is not None:
            b.set_strength(Decimal(str(mapped.strength)), _per(mapped.unit), "product-code")
        b.form = mapped.form
        b.matched_by, b.matched_code = "product-code", code
        return 0, b
    kind = kn.system_kind(system)
    if kind == "rxnorm":
        if code in kn.rxnorm_product:
            drug_id, product = kn.rxnorm_product[code]
            b.add_ingredient(drug_id)
            for other in product.combination_with:
                b.add_ingredient(other)
            if product.strength is not None:
                b.set_strength(Decimal(str(product.strength)), _per(product.unit), "rxnorm-product")
            b.form, b.mr, b.odt = product.form, product.modified_release, product.orodispersible
            b.matched_by, b.matched_code = "rxnorm-product", code
            return 0, b
        ingredient = kn.drug_by_rxnorm_ingredient.get(code) or kn.member_by_rxnorm.get(code)
        if ingredient:
            b.add_ingredient(ingredient)
            b.matched_by, b.matched_code = "rxnorm-ingredient", code
            return 1, b
        return None
    if kind == "snomed":
        drug_id = kn.drug_by_snomed.get(code)
        if drug_id:
            b.add_ingredient(drug_id)
            b.matched_by, b.matched_code = "snomed", code
            return 1, b
        return None
    if kind == "atc":
        atc = code.upper()
        drug_id = kn.drug_by_atc.get(atc)
        if drug_id:
            b.add_ingredient(drug_id)
        elif kn.in_bzra_atc_class(atc):
            b.is_bzra = True
        member = kn.member_by_atc.get(atc)
        if member:
            b.add_ingredient(member)
        for class_id in kn.classes_for_atc(atc):
            b.add_class(class_id)
        if b.found():
            b.matched_by = "atc" if (drug_id or member) else "atc-class"
            b.matched_code = atc
            return 2, b
    return None


def _text_builder(kn: Knowledge, text: str) -> _Builder:
    b = _Builder(kn)
    if not text or not isinstance(text, str):
        return b
    norm = normalize_text(text)
    index = _text_index(kn)
    hits: list[tuple[int, int, str]] = []
    if index.names is not None:
        for m in index.names.finditer(norm):
            kind_id = index.lookup.get(m.group(0))
            if kind_id:
                hits.append((m.start(), m.end(), kind_id[1]))
    for _, _, ingredient in hits:
        b.add_ingredient(ingredient)
    if not b.found():
        return b
    b.matched_by, b.matched_code = "text", text.strip()
    primary = b.bzra or b.ingredients[0]
    strengths = list(_STRENGTH.finditer(norm))
    chosen = None
    for i, (start, end, ingredient) in enumerate(hits):
        if ingredient != primary:
            continue
        stop = next((s for s, _, other in hits[i + 1 :] if other != primary), len(norm))
        chosen = next((m for m in strengths if end <= m.start() < stop), None)
        break
    if chosen is None and len(b.ingredients) == 1 and strengths:
        chosen = strengths[0]
    if chosen is not None:
        amount, unit, per_ml = chosen.group(1), chosen.group(2), chosen.group(3)
        mg = Decimal(amount) * _TO_MG[unit]
        if chosen.group(0).rstrip().endswith("ml"):
            b.set_strength(mg / Decimal(per_ml or 1), "mL", "text")
        else:
            b.set_strength(mg, "unit", "text")
    _text_form(index, norm, b)
    return b


def _text_form(index: _TextIndex, norm: str, b: _Builder) -> None:
    if index.forms is not None:
        found = [m.group(0) for m in index.forms.finditer(norm)]
        if found:
            b.form = index.form_lookup[max(found, key=len)]
    if index.modified_release is not None and index.modified_release.search(norm):
        b.mr = True
    if index.orodispersible is not None and index.orodispersible.search(norm):
        b.odt = True


def _texts(concept: CodeableConcept) -> list[str]:
    texts = [concept.text] if concept.text else []
    texts += [c.display for c in concept.coding or [] if c.display]
    return texts


def _as_concept(value: Any) -> CodeableConcept | None:
    """JSON becomes a concept; a parsed one (lean or `fhir.resources`, same element names) is kept."""
    if isinstance(value, Mapping):
        return read(CodeableConcept, value)
    return value if hasattr(value, "coding") else None


def _concept_builder(kn: Knowledge, concept: CodeableConcept | None) -> _Builder:
    if concept is None:
        return _Builder(kn)
    ranked = [
        found
        for c in concept.coding or []
        if (found := _coding_identity(kn, c.system, c.code)) is not None
    ]
    texts = _texts(concept)
    if ranked:
        ranked.sort(key=lambda pair: pair[0])
        b = ranked[0][1]
        # Fill strength and form from the text when the code did not give them and the text
        # does not name a different ingredient.
        for text in texts:
            t = _text_builder(kn, text)
            primary = b.bzra or (b.ingredients[0] if b.ingredients else None)
            t_primary = t.bzra or (t.ingredients[0] if t.ingredients else None)
            if t_primary is not None and primary is not None and t_primary != primary:
                continue
            if t.strength is None and not t.found():
                t = _strength_only(kn, text)
            if b.strength is None and t.strength is not None:
                b.set_strength(t.strength, t.per or "unit", "text")
            b.form = b.form or t.form
            b.mr = b.mr if b.mr is not None else t.mr
            b.odt = b.odt if b.odt is not None else t.odt
        return b
    for text in texts:
        t = _text_builder(kn, text)
        if t.found():
            return t
    return _Builder(kn)


def _strength_only(kn: Knowledge, text: str) -> _Builder:
    """Strength and form from text that names no ingredient (e.g. '2,5 mg tablet')."""
    b = _Builder(kn)
    norm = normalize_text(text)
    strengths = list(_STRENGTH.finditer(norm))
    if len(strengths) == 1:
        m = strengths[0]
        mg = Decimal(m.group(1)) * _TO_MG[m.group(2)]
        if m.group(0).rstrip().endswith("ml"):
            b.set_strength(mg / Decimal(m.group(3) or 1), "mL", "text")
        else:
            b.set_strength(mg, "unit", "text")
    _text_form(_text_index(kn), norm, b)
    return b


# ---- public API -------------------------------------------------------------------------------


_IDENTITIES: MemoPerObject[Any] = MemoPerObject(20_000)


def _remembered(knowledge: Knowledge, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """`compute()`, remembered per knowledge and key: a history repeats the same few medications
    (every refill) and conditions, and identification is pure. The key must hold every element read."""
    return _IDENTITIES(knowledge).get(key, compute)


def identify_text(text: str | None, knowledge: Knowledge) -> MedicationIdentity:
    """Identify a medication from free text ('Temesta 2,5 mg', 'zolpidem 10mg')."""
    try:
        if text.__class__ is not str:
            return _text_builder(knowledge, text or "").build()
        return _remembered(knowledge, ("text", text), lambda: _text_builder(knowledge, text).build())
    except Exception:  # noqa: BLE001 - never fail a hook on odd input
        log.warning("could not identify medication text", exc_info=True)
        return MedicationIdentity()


def _concept_key(concept: CodeableConcept) -> tuple[Any, ...]:
    codings = tuple((c.system, c.code, c.display) for c in concept.coding or [])
    return (codings, concept.text)


def identify_concept(concept: CodeableConcept | Mapping[str, Any] | None, knowledge: Knowledge) -> MedicationIdentity:
    """Identify a medication from a CodeableConcept (codes first, then its text and displays).

    Results are remembered per knowledge and concept: a history repeats the same few medications
    (every refill), and identification is pure.
    """
    try:
        parsed = _as_concept(concept)
        if parsed is None:
            return MedicationIdentity()
        return _remembered(knowledge, _concept_key(parsed), lambda: _concept_builder(knowledge, parsed).build())
    except Exception:  # noqa: BLE001 - never fail a hook on odd input
        log.warning("could not identify medication concept", exc_info=True)
        return MedicationIdentity()


def _number_key(value: Any) -> Any:
    """Exact key for a number: -0.0 and 0.0 compare equal, their hex forms do not."""
    return value.hex() if value.__class__ is float else value


def _medication_key(medication: Medication) -> tuple[Any, ...]:
    """Every element of a lean Medication that `_identify_medication` reads."""

    def concept(c: CodeableConcept | None) -> tuple[Any, ...] | None:
        return None if c is None else _concept_key(c)

    def quantity(q: Any) -> tuple[Any, ...] | None:
        return None if q is None else (_number_key(q.value), q.code, q.unit)

    def ratio(r: Any) -> tuple[Any, ...] | None:
        return None if r is None else (quantity(r.numerator), quantity(r.denominator))

    ingredients = tuple((concept(i.itemCodeableConcept), ratio(i.strength)) for i in medication.ingredient or ())
    return ("medication", concept(medication.code), ingredients, concept(medication.form))


def identify_medication(medication: Medication | None, knowledge: Knowledge) -> MedicationIdentity:
    """Identify a Medication resource: its code, its ingredients and their strengths, its form.

    A lean (history) Medication's identity is remembered; one contained in a draft order is not."""
    try:
        if medication.__class__ is Medication:
            key = _medication_key(medication)
            return _remembered(knowledge, key, lambda: _identify_medication(medication, knowledge))
        return _identify_medication(medication, knowledge)
    except Exception:  # noqa: BLE001 - never fail a hook on odd input
        log.warning("could not identify Medication", exc_info=True)
        return MedicationIdentity()


def _ratio_mg(strength: Any) -> tuple[Decimal, str] | None:
    """(mg, 'unit' | 'mL') from a Ratio like 1 mg / 1 tablet or 10 mg / 2 mL."""
    if strength is None or strength.numerator is None or strength.numerator.value is None:
        return None
    unit = normalize_text(strength.numerator.code or strength.numerator.unit or "")
    factor = _TO_MG.get(unit)
    if factor is None:
        return None
    mg = Decimal(str(strength.numerator.value)) * factor
    per, amount = "unit", Decimal(1)
    denominator = strength.denominator
    if denominator is not None:
        if denominator.value is not None:
            amount = Decimal(str(denominator.value))
        if normalize_text(denominator.code or denominator.unit or "") == "ml":
            per = "mL"
    if amount <= 0:
        return None
    return mg / amount, per


def _identify_medication(medication: Medication | None, kn: Knowledge) -> MedicationIdentity:
    if medication is None:
        return MedicationIdentity()
    b = _concept_builder(kn, medication.code)
    parts: list[tuple[_Builder, tuple[Decimal, str] | None]] = []
    for ingredient in medication.ingredient or []:
        part = _concept_builder(kn, ingredient.itemCodeableConcept)
        parts.append((part, _ratio_mg(ingredient.strength)))
    from_code = b.found()
    for part, _ in parts:
        for ingredient_id in part.ingredients:
            b.add_ingredient(ingredient_id)
        for class_id in part.classes:
            b.add_class(class_id)
        b.is_bzra = b.is_bzra or part.is_bzra
    if not from_code:
        first = next((p for p, _ in parts if p.found()), None)
        if first is not None:
            b.matched_by = f"medication-ingredient/{first.matched_by}"
            b.matched_code = first.matched_code
    primary = b.bzra or (b.ingredients[0] if b.ingredients else None)
    for part, ratio in parts:
        if ratio is not None and primary is not None and primary in part.ingredients:
            b.strength = None  # an explicit ingredient strength beats a code or text
            b.set_strength(ratio[0], ratio[1], "medication.ingredient.strength")
            break
    if b.strength is None:
        for part, _ in parts:
            if part.strength is not None and primary in part.ingredients:
                b.set_strength(part.strength, part.per or "unit", part.strength_from or "text")
                break
    if medication.form is not None:
        form = _Builder(kn)
        for text in _texts(medication.form):
            _text_form(_text_index(kn), normalize_text(text), form)
        b.form = form.form or b.form
        b.mr = form.mr if form.mr is not None else b.mr
        b.odt = form.odt if form.odt is not None else b.odt
    return b.build()


def classify_condition(
    concept: CodeableConcept | Mapping[str, Any] | None, knowledge: Knowledge
) -> ConditionClassification:
    """Condition groups (parents included) for a Condition.code, by SNOMED CT and ICD-10 codes."""
    try:
        cc = _as_concept(concept)
        if cc is None:
            return ConditionClassification()
        codings = tuple((c.system, c.code) for c in cc.coding or [])
        return _remembered(knowledge, ("condition", codings), lambda: _classify_codings(codings, knowledge))
    except Exception:  # noqa: BLE001 - never fail a hook on odd input
        log.warning("could not classify condition", exc_info=True)
        return ConditionClassification()


def _classify_codings(codings: tuple[tuple[Any, Any], ...], knowledge: Knowledge) -> ConditionClassification:
    """Groups for (system, code) pairs: all that `classify_condition` reads, so they are its memo key."""
    groups: list[str] = []
    matches: list[tuple[str, str, str]] = []
    for system, code in codings:
        kind = knowledge.system_kind(system)
        if kind is None or not code:
            continue
        for group in knowledge.condition_groups_for(kind, code):
            matches.append((group, kind, code))
            if group not in groups:
                groups.append(group)
    return ConditionClassification(tuple(groups), tuple(matches))
