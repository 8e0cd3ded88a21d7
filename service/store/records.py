"""The store's value types: what the service hands in (audits) and what it gets back (outcomes, reports).

They are plain frozen dataclasses so that the hook path builds them without touching the database, and
they convert to and from JSON so that a record can wait in the spool file when the database is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class CardAudit:
    uuid: str
    indicator: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class CallAudit:
    """One hook call. The patient appears only as `patient_hash` (see `hashing.patient_hash`)."""

    hook_instance: str
    service_id: str
    hook: str
    received_at: datetime
    latency_ms: float
    patient_hash: str
    rules_evaluated: tuple[tuple[str, int], ...]
    rules_fired: tuple[tuple[str, int], ...]
    cards: tuple[CardAudit, ...]
    sources: dict[str, str]
    errors: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "hook_instance": self.hook_instance,
            "service_id": self.service_id,
            "hook": self.hook,
            "received_at": as_utc(self.received_at).isoformat(),
            "latency_ms": float(self.latency_ms),
            "patient_hash": self.patient_hash,
            "rules_evaluated": [[rule_id, int(version)] for rule_id, version in self.rules_evaluated],
            "rules_fired": [[rule_id, int(version)] for rule_id, version in self.rules_fired],
            "cards": [{"uuid": c.uuid, "indicator": c.indicator, "rules": list(c.rules)} for c in self.cards],
            "sources": dict(self.sources),
            "errors": list(self.errors),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallAudit:
        return cls(
            hook_instance=data["hook_instance"],
            service_id=data["service_id"],
            hook=data["hook"],
            received_at=as_utc(datetime.fromisoformat(data["received_at"])),
            latency_ms=float(data["latency_ms"]),
            patient_hash=data["patient_hash"],
            rules_evaluated=tuple((str(r), int(v)) for r, v in data["rules_evaluated"]),
            rules_fired=tuple((str(r), int(v)) for r, v in data["rules_fired"]),
            cards=tuple(CardAudit(c["uuid"], c["indicator"], tuple(c["rules"])) for c in data["cards"]),
            sources={str(k): str(v) for k, v in data["sources"].items()},
            errors=tuple(str(e) for e in data["errors"]),
        )


@dataclass(frozen=True)
class FeedbackOutcome:
    stored: int
    duplicates: int
    unknown_cards: int
    suppressions_created: int


@dataclass(frozen=True)
class Suppression:
    id: int
    patient_hash: str
    rule_id: str
    reason_code: str
    created_at: datetime
    until: datetime
    lifted: bool


@dataclass(frozen=True)
class RuleReport:
    rule_id: str
    fired: int
    accepted: int
    overridden: int
    override_reasons: dict[str, int]
    median_latency_ms: float | None
