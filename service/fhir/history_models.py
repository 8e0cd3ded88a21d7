"""Lean models of the resources in a medication history: only the elements the facts read.

Why not `fhir.resources` here: validating a whole R4B resource costs about as much as the rest of a
hook call put together, and a history can hold a thousand of them (see `bench/RESULTS.md`). These
models keep the R4 element names and shapes, so the fact functions read them exactly as they read
`fhir.resources` objects. The draft orders are read into them too (`drafts`); full validation stays
where the service writes FHIR (the taper plan's MedicationRequests). Elements the facts do not read are ignored, not checked; the ones they read are
type-checked, so a resource whose dosage or dates are malformed is still skipped and reported.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, field_validator, model_validator

from service.fhir.tolerant import as_list, dosage_r4

# FHIR R4 dateTime (which includes date): from the specification's regular expression.
DATE_TIME_PATTERN = (
    r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
    r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?)?)?"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?)?$"
)
DateTime = Annotated[str, StringConstraints(pattern=DATE_TIME_PATTERN)]

Item = TypeVar("Item")
# A list element that EHRs also send as a single object or value (a tolerant reader takes both).
ListOf = Annotated[list[Item], BeforeValidator(as_list)]


class Element(BaseModel):
    """Unknown elements (extensions, narrative, `_value` companions) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


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


class TimingRepeat(Element):
    boundsDuration: Quantity | None = None
    boundsRange: Range | None = None
    boundsPeriod: Period | None = None
    count: int | None = None
    countMax: int | None = None
    duration: float | None = None
    durationMax: float | None = None
    durationUnit: str | None = None
    frequency: int | None = None
    frequencyMax: int | None = None
    period: float | None = None
    periodMax: float | None = None
    periodUnit: str | None = None
    dayOfWeek: ListOf[str] | None = None
    timeOfDay: ListOf[str] | None = None
    when: ListOf[str] | None = None
    offset: int | None = None


class Timing(Element):
    event: ListOf[DateTime] | None = None
    repeat: TimingRepeat | None = None
    code: CodeableConcept | None = None


class DoseAndRate(Element):
    type: CodeableConcept | None = None
    doseRange: Range | None = None
    doseQuantity: Quantity | None = None
    rateRatio: Ratio | None = None
    rateRange: Range | None = None
    rateQuantity: Quantity | None = None


class Dosage(Element):
    """R4 Dosage; an STU3 or DSTU2 one (dose and rate on the Dosage itself) is read in its R4 form."""

    @model_validator(mode="before")
    @classmethod
    def _r4_form(cls, data: Any) -> Any:
        return dosage_r4(data)

    sequence: int | None = None
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


class Resource(Element):
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


class Medication(Resource):
    resourceType: Literal["Medication"]
    code: CodeableConcept | None = None
    status: str | None = None
    form: CodeableConcept | None = None
    amount: Ratio | None = None
    ingredient: ListOf[MedicationIngredient] | None = None


class MedicationUse(Resource):
    """What MedicationStatement, MedicationRequest and MedicationDispense share (R4 cardinalities)."""

    status: str
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    subject: Reference
    contained: ListOf[Medication] | None = None

    @model_validator(mode="after")
    def _one_medication(self) -> MedicationUse:
        if (self.medicationCodeableConcept is None) == (self.medicationReference is None):
            raise ValueError("exactly one of medicationCodeableConcept and medicationReference is required")
        return self

    @field_validator("contained", mode="before")
    @classmethod
    def _only_medications(cls, value: Any) -> Any:
        """Only a contained Medication is ever looked up (`medicationReference` "#id")."""
        if isinstance(value, list | dict):
            return [item for item in as_list(value) if isinstance(item, dict) and item.get("resourceType") == "Medication"]
        return value


class MedicationStatement(MedicationUse):
    resourceType: Literal["MedicationStatement"]
    effectiveDateTime: DateTime | None = None
    effectivePeriod: Period | None = None
    dateAsserted: DateTime | None = None
    dosage: ListOf[Dosage] | None = None


class DispenseRequest(Element):
    validityPeriod: Period | None = None
    numberOfRepeatsAllowed: int | None = None
    quantity: Quantity | None = None
    expectedSupplyDuration: Quantity | None = None


class MedicationRequest(MedicationUse):
    resourceType: Literal["MedicationRequest"]
    intent: str
    authoredOn: DateTime | None = None
    dosageInstruction: ListOf[Dosage] | None = None
    dispenseRequest: DispenseRequest | None = None
    reasonCode: ListOf[CodeableConcept] | None = None
    reasonReference: ListOf[Reference] | None = None


class MedicationDispense(MedicationUse):
    resourceType: Literal["MedicationDispense"]
    subject: Reference | None = None  # 0..1 here, unlike the other two
    quantity: Quantity | None = None
    daysSupply: Quantity | None = None
    whenPrepared: DateTime | None = None
    whenHandedOver: DateTime | None = None
    dosageInstruction: ListOf[Dosage] | None = None


class Condition(Resource):
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

    @field_validator("clinicalStatus", "verificationStatus", mode="before")
    @classmethod
    def _code_as_concept(cls, value: Any) -> Any:
        return {"coding": [{"code": value}]} if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _stu3_asserted_date(cls, data: Any) -> Any:
        if isinstance(data, dict) and "assertedDate" in data and "recordedDate" not in data:
            return {**data, "recordedDate": data["assertedDate"]}
        return data


class Patient(Resource):
    resourceType: Literal["Patient"]
    birthDate: DateTime | None = None
    gender: str | None = None


HISTORY_MODELS: dict[str, type[Resource]] = {
    "Medication": Medication,
    "MedicationStatement": MedicationStatement,
    "MedicationRequest": MedicationRequest,
    "MedicationDispense": MedicationDispense,
    "Condition": Condition,
    "Patient": Patient,
}
