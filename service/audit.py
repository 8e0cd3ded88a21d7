"""What the service remembers of a hook call: the audit record, keyed by a patient hash.

Builds the `CallAudit` from what the pipeline already knows; the store writes it in the background.
The secret that keys the patient hash is `service.audit_secret`'s.
"""

from __future__ import annotations

from datetime import datetime

from cds_hooks import CDSResponse, HookRequest
from service.fhir.record import PatientRecord
from service.rules.engine import Evaluation
from service.store import CallAudit, CardAudit, patient_hash


def call_audit(
    request: HookRequest,
    service_id: str,
    record: PatientRecord,
    evaluation: Evaluation | None,
    response: CDSResponse,
    secret: str,
    received_at: datetime,
    latency_ms: float,
    errors: list[str],
) -> CallAudit:
    outcomes = evaluation.outcomes if evaluation is not None else []
    card_rules = evaluation.card_rules if evaluation is not None else {}
    return CallAudit(
        hook_instance=request.hookInstance,
        service_id=service_id,
        hook=request.hook,
        received_at=received_at,
        latency_ms=latency_ms,
        patient_hash=patient_hash(secret, request.fhir_base_url, record.patient_id),
        rules_evaluated=tuple((o.rule.id, o.rule.rule.version) for o in outcomes if o.status != "skipped"),
        rules_fired=tuple((o.rule.id, o.rule.rule.version) for o in outcomes if o.status == "fired"),
        cards=tuple(CardAudit(card.uuid, card.indicator, tuple(card_rules.get(card.uuid, ()))) for card in response.cards),
        sources=dict(record.sources),
        errors=tuple(errors),
    )
