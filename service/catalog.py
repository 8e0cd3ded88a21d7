"""The services this CDS service offers and the data each one needs.

The prefetch templates are advertised in discovery and reused as the service's own FHIR queries for
whatever the CDS client did not prefetch, so both paths fetch the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

from cds_hooks import ServiceDescriptor
from service.version import VERSION

# The intended use in the words an EHR administrator reads when adding the service (README: "Intended use").
INTENDED_USE = (
    f" Decision support for prescribers (bzra-cds {VERSION}): it informs and never replaces the prescriber's "
    "judgement, and it never blocks a prescription."
)


@dataclass(frozen=True)
class DataQuery:
    key: str  # the prefetch key
    template: str
    resource_types: tuple[str, ...]  # what the answer may hold besides included Medications
    required: bool  # without it the service cannot say anything useful: 412 when it cannot be had
    purpose: str  # what cannot be checked without it, in the prescriber's words


DATA_QUERIES: tuple[DataQuery, ...] = (
    DataQuery("patient", "Patient/{{context.patientId}}", ("Patient",), False, "age"),
    DataQuery(
        "medicationStatements",
        "MedicationStatement?patient={{context.patientId}}&_include=MedicationStatement:medication",
        ("MedicationStatement",),
        True,
        "medication history (statements)",
    ),
    DataQuery(
        "medicationRequests",
        "MedicationRequest?patient={{context.patientId}}&_include=MedicationRequest:medication",
        ("MedicationRequest",),
        True,
        "earlier prescriptions",
    ),
    DataQuery(
        "medicationDispenses",
        "MedicationDispense?patient={{context.patientId}}&_include=MedicationDispense:medication",
        ("MedicationDispense",),
        False,
        "dispensing history",
    ),
    DataQuery("conditions", "Condition?patient={{context.patientId}}", ("Condition",), False, "recorded conditions"),
)


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    hook: str
    title: str
    description: str


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "bzra-order-select",
        "order-select",
        "Benzodiazepine and Z-drug prescribing support (order select)",
        "When a benzodiazepine or Z-drug is selected, checks duration of use, daily dose in diazepam-"
        "equivalents and co-prescribed sedatives, and offers a small pack, a taper plan or a referral.",
    ),
    ServiceSpec(
        "bzra-order-sign",
        "order-sign",
        "Benzodiazepine and Z-drug prescribing support (order sign)",
        "Before a prescription is signed, checks benzodiazepine and Z-drug duration, dose and "
        "co-prescriptions, and offers a small pack, a taper plan or a referral.",
    ),
    ServiceSpec(
        "bzra-medication-prescribe",
        "medication-prescribe",
        "Benzodiazepine and Z-drug prescribing support (legacy medication-prescribe)",
        "The same checks for EHRs that still send the retired medication-prescribe hook.",
    ),
)

SERVICES_BY_ID = {spec.id: spec for spec in SERVICES}
SERVICES_BY_HOOK = {spec.hook: spec for spec in SERVICES}


def discovery_services() -> list[ServiceDescriptor]:
    prefetch = {query.key: query.template for query in DATA_QUERIES}
    return [
        ServiceDescriptor(
            hook=spec.hook,
            id=spec.id,
            title=spec.title,
            description=spec.description + INTENDED_USE,
            prefetch=prefetch,
            usageRequirements="Send the draft medication orders; prefetch or FHIR access to the patient's "
            "medication history (MedicationStatement, MedicationRequest, MedicationDispense), Condition and Patient.",
        )
        for spec in SERVICES
    ]
