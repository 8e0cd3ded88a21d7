"""What the service knows of one patient for one hook call, and what it could not read.

A `PatientRecord` is assembled from prefetch and FHIR reads; the clinical computations only ever see
this object, never HTTP. `DataIssue`s travel with it so the answer can say what was not checked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from service.fhir.history_models import MedicationRequest as DraftOrder

from service.fhir.history_models import (
    Condition,
    Medication,
    MedicationDispense,
    MedicationRequest,
    MedicationStatement,
    Patient,
)

DataSource = Literal["prefetch", "fhir", "unavailable"]


@dataclass(frozen=True)
class DataIssue:
    """One thing the service could not read or use; shown to the prescriber and logged (no contents)."""

    where: str  # e.g. "prefetch.medicationRequests entry 3", "FHIR search MedicationRequest"
    problem: str  # plain words, no resource contents
    skipped: str | None = None  # e.g. "MedicationRequest/123": what was left out of the history
    not_checked: str | None = None  # e.g. "age": what the advice could not take into account
    reason: str | None = None  # why, for the data card: a `client.FAILURE_KINDS` value, "pages_left", "resource_limit"
    data_key: str | None = None  # what was not (fully) read: a prefetch key ("medicationStatements") or "draftOrder..."
    values: tuple[tuple[str, str], ...] = ()  # filled into the data card's words for data_key, e.g. (("order", "MedicationRequest/2"),)


@dataclass
class PatientRecord:
    patient_id: str
    patient: Patient | None = None
    medication_statements: list[MedicationStatement] = field(default_factory=list)
    medication_requests: list[MedicationRequest] = field(default_factory=list)
    medication_dispenses: list[MedicationDispense] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    medications: dict[str, Medication] = field(default_factory=dict)  # keyed by "Medication/id" and fullUrl
    draft_orders: list[DraftOrder] = field(default_factory=list)  # every draft medication order
    focus_orders: list[DraftOrder] = field(default_factory=list)  # the ones selected / being signed
    # Each draft order's JSON as the EHR sent it, keyed like the facts (`draft_reference`): the small
    # pack edits this rather than a re-serialisation of the parsed order. Shared with the request:
    # copy before changing it.
    draft_json: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, DataSource] = field(default_factory=dict)  # prefetch key -> where it came from
    issues: list[DataIssue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # resources read per prefetch key (for the limit)
    seen: set[str] = field(default_factory=set)  # "Type/id" already in the lists (pages may overlap)
    # Content keys of every payload read into the history, in order (`history_cache.content_key`); None
    # in the list: a payload without a key, so the history has no content key either.
    contents: list[str | None] = field(default_factory=list)

    def add_content(self, key: str | None) -> None:
        self.contents.append(key)

    @property
    def history_key(self) -> str | None:
        """A digest of the whole history read (None when a part could not be keyed): equal keys, equal history."""
        if None in self.contents:
            return None
        return hashlib.blake2b("|".join(self.contents).encode(), digest_size=20).hexdigest()  # type: ignore[arg-type]

    def as_sent(self, reference: str) -> str:
        """A draft's reference in the EHR's own resource type: the draft of a DSTU2 EHR is a
        `MedicationOrder`, read as the R4 MedicationRequest it became, and an action on it names it so."""
        sent = self.draft_json.get(reference)
        kind = sent.get("resourceType") if isinstance(sent, dict) else None
        if not isinstance(kind, str) or "/" not in reference:
            return reference
        return f"{kind}/{reference.split('/', 1)[1]}"

    def unavailable(self) -> list[str]:
        """The prefetch keys for which no data could be had at all."""
        return [key for key, source in self.sources.items() if source == "unavailable"]


def draft_reference(order: DraftOrder) -> str:
    """How a draft order is named in facts and suggestions: "MedicationRequest/<id>" ("?" without an id)."""
    return f"MedicationRequest/{order.id or '?'}"
