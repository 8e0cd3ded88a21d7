"""Lean models of the resources in a medication history: only the elements the facts read.

Why not `fhir.resources` here: validating a whole R4B resource costs about as much as the rest of a
hook call put together, and a history can hold a thousand of them (see `bench/RESULTS.md`). These
models keep the R4 element names and shapes, so the fact functions read them exactly as they read
`fhir.resources` objects. The draft orders are read into them too (`drafts`); full validation stays
where the service writes FHIR (the taper plan's MedicationRequests). Elements the facts do not read
are ignored, not checked; the ones they read are type-checked, so a resource whose dosage or dates
are malformed is still skipped and reported.

Why msgspec Structs, frozen, without garbage-collector tracking, and tuples for lists: parsed histories
are kept between calls (`history_cache`). As pydantic models (a `__dict__` and a fields-set `set` each)
they were ~150k tracked objects, and the collector's full passes over them took 30-140 ms (p99 336 ms
at half capacity). A Struct holding only strings, numbers, tuples and other such Structs cannot be
part of a reference cycle, so it need not be tracked; tuples of untracked items are untracked by the
collector itself. Frozen: the cached resources are shared by every call that reads the same history.

`read` converts plain JSON in two passes: first strictly, as R4 (one call into msgspec's C code, the
common case); only when that fails, again after rewriting the tolerated shapes into R4 (`_r4_shapes`:
a single object where R4 has a list, STU3/DSTU2 dosages and Condition statuses, contained resources
other than Medications) and with lenient scalars (numbers as strings, 2.0 for 2), the way pydantic's
lax mode read them. Elements of older FHIR versions that would otherwise be silently ignored are
declared as `OlderForm` fields: the strict pass cannot read them, so such a resource takes the second.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from service.fhir.tolerant import as_list, dosage_r4

# FHIR R4 dateTime (which includes date): from the specification's regular expression ("\Z", not
# "$": with Python's `re`, "$" would also match before a final newline).
DATE_TIME_PATTERN = (
    r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
    r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?)?)?"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?)?\Z"
)
DATE_TIME = re.compile(DATE_TIME_PATTERN)
# Checked by the `__post_init__` of the Struct holding it (`_checked`), not by a msgspec pattern: that
# costs 3 µs a value in `msgspec.convert`, most of a resource's reading; the same dates recur.
DateTime = str

# A 64-bit integer: beyond, orjson reads a float, which an integer element refuses, and decoded from the
# bytes (`parse`) such a value must be refused as well (msgspec would read it exactly).
Integer = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]

Item = TypeVar("Item")
# A list element (EHRs also send a single object or value: the second pass of `read` takes both).
ListOf = tuple[Item, ...]

ValidationError = msgspec.ValidationError


class OlderForm:
    """The type of an element an older FHIR version puts where R4 has another: never read strictly."""

    __slots__ = ()


LEFT_OVER = OlderForm()  # what such an element holds when its R4 form was there as well
Older = OlderForm | None

NOT_A_DATE_TIME = "is not a FHIR dateTime"


KNOWN_DATE_TIMES: set[str] = set()  # valid ones seen: the same dates recur in every history
MAX_KNOWN_DATE_TIMES = 4096  # a bound on that set's memory; past it a date is checked each time


def is_date_time(value: str) -> bool:
    if value in KNOWN_DATE_TIMES:
        return True
    if DATE_TIME.search(value) is None:
        return False
    if len(KNOWN_DATE_TIMES) < MAX_KNOWN_DATE_TIMES:
        KNOWN_DATE_TIMES.add(value)
    return True


def _checked(*dates: str, one_medication: bool = False) -> Callable[[Any], None]:
    """A `__post_init__` checking the dateTime elements `dates` (single or tuples) and, for a
    MedicationStatement/Request/Dispense, that it names its medication exactly once.

    A known date is found in a set, without a call: this runs for most Structs of a history, and was a
    third of the CPU time of decoding a MedicationRequest (a fifth with the set)."""

    def __post_init__(self: Any) -> None:
        for name in dates:
            value = getattr(self, name)
            if value is not None and value not in KNOWN_DATE_TIMES and not all(map(is_date_time, value if value.__class__ is tuple else (value,))):
                raise ValueError(f"{name} {NOT_A_DATE_TIME}")
        if one_medication and (self.medicationCodeableConcept is None) == (self.medicationReference is None):
            raise ValueError("exactly one of medicationCodeableConcept and medicationReference is required")

    return __post_init__


class Element(msgspec.Struct, frozen=True, gc=False, kw_only=True, omit_defaults=True, forbid_unknown_fields=False):
    """Unknown elements (extensions, narrative, `_value` companions) are ignored."""


class Coding(Element):
    system: str | None = None
    version: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(Element):
    coding: ListOf[Coding] | None = None
    text: str | None = None


class Reference(Element):
    reference: str | None = None
    type: str | None = None
    display: str | None = None


class Quantity(Element):
    value: float | None = None
    comparator: str | None = None
    unit: str | None = None
    system: str | None = None
    code: str | None = None


class Range(Element):
    low: Quantity | None = None
    high: Quantity | None = None


class Ratio(Element):
    numerator: Quantity | None = None
    denominator: Quantity | None = None


class Period(Element):
    start: DateTime | None = None
    end: DateTime | None = None

    __post_init__ = _checked("start", "end")


class TimingRepeat(Element):
    boundsDuration: Quantity | None = None
    boundsRange: Range | None = None
    boundsPeriod: Period | None = None
    count: Integer | None = None
    countMax: Integer | None = None
    duration: float | None = None
    durationMax: float | None = None
    durationUnit: str | None = None
    frequency: Integer | None = None
    frequencyMax: Integer | None = None
    period: float | None = None
    periodMax: float | None = None
    periodUnit: str | None = None
    dayOfWeek: ListOf[str] | None = None
    timeOfDay: ListOf[str] | None = None
    when: ListOf[str] | None = None
    offset: Integer | None = None
    # DSTU2 names (`tolerant.DSTU2_TIMING_RENAMES`), rewritten by `dosage_r4`
    periodUnits: Older = None
    durationUnits: Older = None
    boundsQuantity: Older = None


class Timing(Element):
    event: ListOf[DateTime] | None = None
    repeat: TimingRepeat | None = None
    code: CodeableConcept | None = None

    __post_init__ = _checked("event")


class DoseAndRate(Element):
    type: CodeableConcept | None = None
    doseRange: Range | None = None
    doseQuantity: Quantity | None = None
    rateRatio: Ratio | None = None
    rateRange: Range | None = None
    rateQuantity: Quantity | None = None


class Dosage(Element):
    """R4 Dosage; an STU3 or DSTU2 one (dose and rate on the Dosage itself) is read in its R4 form."""

    sequence: Integer | None = None
    text: str | None = None
    patientInstruction: str | None = None
    timing: Timing | None = None
    asNeededBoolean: bool | None = None
    asNeededCodeableConcept: CodeableConcept | None = None
    route: CodeableConcept | None = None
    doseAndRate: ListOf[DoseAndRate] | None = None
    maxDosePerPeriod: Ratio | None = None
    maxDosePerAdministration: Quantity | None = None
    maxDosePerLifetime: Quantity | None = None
    # STU3/DSTU2 elements (`tolerant.DOSE_AND_RATE_ELEMENTS`), moved into `doseAndRate` by `dosage_r4`
    doseQuantity: Older = None
    doseRange: Older = None
    rateRatio: Older = None
    rateRange: Older = None
    rateQuantity: Older = None


class Resource(Element, kw_only=True):
    resourceType: str
    id: str | None = None

    def get_resource_type(self) -> str:
        """Same call as on `fhir.resources` models, so code can take either."""
        return self.resourceType


class MedicationIngredient(Element):
    itemCodeableConcept: CodeableConcept | None = None
    itemReference: Reference | None = None
    isActive: bool | None = None
    strength: Ratio | None = None


class Medication(Resource, kw_only=True):
    resourceType: Literal["Medication"]
    code: CodeableConcept | None = None
    status: str | None = None
    form: CodeableConcept | None = None
    amount: Ratio | None = None
    ingredient: ListOf[MedicationIngredient] | None = None


class MedicationUse(Resource, kw_only=True):
    """What MedicationStatement, MedicationRequest and MedicationDispense share (R4 cardinalities)."""

    status: str
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    subject: Reference
    contained: ListOf[Medication] | None = None  # only a contained Medication is ever looked up ("#id")


class MedicationStatement(MedicationUse, kw_only=True):
    resourceType: Literal["MedicationStatement"]
    effectiveDateTime: DateTime | None = None
    effectivePeriod: Period | None = None
    dateAsserted: DateTime | None = None
    dosage: ListOf[Dosage] | None = None

    __post_init__ = _checked("effectiveDateTime", "dateAsserted", one_medication=True)


class DispenseRequest(Element):
    validityPeriod: Period | None = None
    numberOfRepeatsAllowed: Integer | None = None
    quantity: Quantity | None = None
    expectedSupplyDuration: Quantity | None = None


class MedicationRequest(MedicationUse, kw_only=True):
    resourceType: Literal["MedicationRequest"]
    intent: str
    authoredOn: DateTime | None = None
    dosageInstruction: ListOf[Dosage] | None = None
    dispenseRequest: DispenseRequest | None = None
    reasonCode: ListOf[CodeableConcept] | None = None
    reasonReference: ListOf[Reference] | None = None

    __post_init__ = _checked("authoredOn", one_medication=True)


class MedicationDispense(MedicationUse, kw_only=True):
    resourceType: Literal["MedicationDispense"]
    subject: Reference | None = None  # 0..1 here, unlike the other two
    quantity: Quantity | None = None
    daysSupply: Quantity | None = None
    whenPrepared: DateTime | None = None
    whenHandedOver: DateTime | None = None
    dosageInstruction: ListOf[Dosage] | None = None

    __post_init__ = _checked("whenPrepared", "whenHandedOver", one_medication=True)


class Condition(Resource, kw_only=True):
    """R4 Condition; STU3's plain-code statuses and `assertedDate` are read in their R4 form."""

    resourceType: Literal["Condition"]
    code: CodeableConcept | None = None
    clinicalStatus: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None
    subject: Reference
    onsetDateTime: DateTime | None = None
    abatementDateTime: DateTime | None = None
    abatementPeriod: Period | None = None
    recordedDate: DateTime | None = None
    assertedDate: Older = None  # STU3: `recordedDate` in R4

    __post_init__ = _checked("onsetDateTime", "abatementDateTime", "recordedDate")


class Patient(Resource, kw_only=True):
    resourceType: Literal["Patient"]
    birthDate: DateTime | None = None
    gender: str | None = None

    __post_init__ = _checked("birthDate")


HISTORY_MODELS: dict[str, type[Resource]] = {
    "Medication": Medication,
    "MedicationStatement": MedicationStatement,
    "MedicationRequest": MedicationRequest,
    "MedicationDispense": MedicationDispense,
    "Condition": Condition,
    "Patient": Patient,
}

Model = TypeVar("Model", bound=Element)


def read(model: type[Model], data: Any) -> Model:
    """`data` (plain JSON) as `model`: strictly as R4 first, else in the tolerated shapes (see above).

    Raises `ValidationError`, whose message names the failing path but never the value."""
    try:
        return msgspec.convert(data, model)
    except msgspec.ValidationError:
        return msgspec.convert(_r4_shapes(model, data), model, strict=False, dec_hook=_ignore_older)


def _ignore_older(kind: type, value: Any) -> Any:
    """Second pass: an older version's element left in place (its R4 one was there too) is ignored."""
    if kind is OlderForm:
        return LEFT_OVER
    raise NotImplementedError


def error_path(error: msgspec.ValidationError) -> tuple[str, ...]:
    """The failing element of a msgspec error as names and indexes ("$.a[0].b" -> ("a", "0", "b"))."""
    return _error_parts(error)[0]


def error_problem(error: msgspec.ValidationError) -> str:
    """The problem of a msgspec error without its path."""
    return _error_parts(error)[1]


def _error_parts(error: msgspec.ValidationError) -> tuple[tuple[str, ...], str]:
    problem, at, where = str(error).rpartition(" - at `")
    if not at:
        problem, where = str(error), ""
    path = tuple(part for part in where.rstrip("`").removeprefix("$").replace("[", ".").replace("]", "").split(".") if part)
    name, _, rest = problem.partition(" ")
    if rest == NOT_A_DATE_TIME:  # from `_checked`, which names the element in the Struct msgspec points at
        return (*path, name), "Expected a FHIR dateTime"
    return path, problem


# ---- the second pass: tolerated shapes rewritten into R4 (on copies) -----------------------------


def _condition_r4(data: dict[str, Any]) -> dict[str, Any]:
    """STU3 Condition: statuses as plain codes, `assertedDate` for `recordedDate`."""
    data = dict(data)
    for name in ("clinicalStatus", "verificationStatus"):
        if isinstance(data.get(name), str):
            data[name] = {"coding": [{"code": data[name]}]}
    if "assertedDate" in data and "recordedDate" not in data:
        data["recordedDate"] = data["assertedDate"]
    return data


def _only_medications(data: dict[str, Any]) -> dict[str, Any]:
    """Contained resources other than Medications are never looked up: left out rather than read."""
    contained = data.get("contained")
    if not isinstance(contained, list | dict):
        return data
    kept = [item for item in as_list(contained) if isinstance(item, dict) and item.get("resourceType") == "Medication"]
    return {**data, "contained": kept}


R4_FORMS: dict[type[Element], Callable[[dict[str, Any]], Any]] = {
    Dosage: dosage_r4,
    Condition: _condition_r4,
    MedicationStatement: _only_medications,
    MedicationRequest: _only_medications,
    MedicationDispense: _only_medications,
}


def _r4_shapes(model: type[Element], data: Any) -> Any:
    """A copy of `data` with lists where `model` has tuples and the `R4_FORMS` applied, at any depth."""
    if not isinstance(data, Mapping):
        return data
    data = data if isinstance(data, dict) else dict(data)
    form = R4_FORMS.get(model)
    converted = form(data) if form is not None else data
    if not isinstance(converted, dict):
        return converted
    plan = _plan(model)
    if not plan or not plan.keys() & converted.keys():
        return converted
    converted = dict(converted)
    for name, (is_list, child) in plan.items():
        if name not in converted:
            continue
        value = as_list(converted[name]) if is_list else converted[name]
        if child is not None and isinstance(value, list):
            value = [_r4_shapes(child, item) for item in value]
        elif child is not None:
            value = _r4_shapes(child, value)
        converted[name] = value
    return converted


@cache
def _plan(model: type[Element]) -> dict[str, tuple[bool, type[Element] | None]]:
    """Elements of `model` that may need rewriting: (a list in R4, the model of its items or value)."""
    plan = {}
    for field in msgspec.structs.fields(model):
        is_list, child = _element_type(field.type)
        if is_list or (child is not None and _needs_rewriting(child)):
            plan[field.encode_name] = (is_list, child if child is not None and _needs_rewriting(child) else None)
    return plan


def _needs_rewriting(model: type[Element]) -> bool:
    return model in R4_FORMS or bool(_plan(model))


def _element_type(annotation: Any) -> tuple[bool, type[Element] | None]:
    """(a tuple, the Struct inside) for a field's type, through `| None` and `Annotated`."""
    info = msgspec.inspect.type_info(annotation)
    if isinstance(info, msgspec.inspect.UnionType):
        info = next((t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)), info)
    is_list = isinstance(info, msgspec.inspect.VarTupleType)
    item = info.item_type if is_list else info
    return is_list, item.cls if isinstance(item, msgspec.inspect.StructType) else None
