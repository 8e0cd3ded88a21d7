"""What the service remembers of a hook call: the audit record, keyed by a patient hash.

`AnsweredCall` gathers what the pipeline already knows once the answer is made; `call_audit` turns it
into the `CallAudit` the store writes in the background. The patient is named only by its hash
(`service.store.patient_hash`, keyed by the deployment's audit secret), made by the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cds_hooks import CDSResponse, HookRequest
from service.fhir.record import PatientRecord
from service.rules.engine import Evaluation
from service.store import CallAudit, CardAudit


@dataclass(frozen=True)
class AnsweredCall:
    """One answered hook call, as the audit trail needs it (one value instead of a long argument list)."""

    request: HookRequest
    service_id: str
    record: PatientRecord
    evaluation: Evaluation | None
    response: CDSResponse
    patient_hash: str
    received_at: datetime
    latency_ms: float
    errors: tuple[str, ...] = ()


def call_audit(call: AnsweredCall) -> CallAudit:
    outcomes = call.evaluation.outcomes if call.evaluation is not None else []
    card_rules = call.evaluation.card_rules if call.evaluation is not None else {}
    return CallAudit(
        hook_instance=call.request.hookInstance,
        service_id=call.service_id,
        hook=call.request.hook,
        received_at=call.received_at,
        latency_ms=call.latency_ms,
        patient_hash=call.patient_hash,
        rules_evaluated=tuple((o.rule.id, o.rule.rule.version) for o in outcomes if o.status != "skipped"),
        rules_fired=tuple((o.rule.id, o.rule.rule.version) for o in outcomes if o.status == "fired"),
        cards=tuple(CardAudit(c.uuid, c.indicator, tuple(card_rules.get(c.uuid, ()))) for c in call.response.cards),
        sources=dict(call.record.sources),
        errors=call.errors,
    )
