"""Referral: a `create` of a draft ServiceRequest to specialised care, with the deployment's code,
receiver and local help links.

Only valid R4 is offered, without paying for a full validation on every call: a referral differs
between calls only in its id, patient reference and date, which are valid by construction (a
generated id, "Patient/" + the context's non-empty patientId, an ISO date). Everything else comes
from the settings and the texts, so each distinct rest is validated once; one that is invalid (a
bad setting) still fails every call, as before.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest

from cds_hooks import Action, Link, Suggestion
from service.memo import Memo
from service.rules.cards import BuiltSuggestion
from service.settings import Settings
from service.suggestions.texts import text


PER_CALL = ("id", "subject", "authoredOn")  # valid by construction, see above
_VALIDATED: Memo[None] = Memo(1_000)


def _check_r4(resource: dict[str, Any]) -> None:
    """Raise pydantic's ValidationError unless the resource is a valid R4 ServiceRequest."""

    def validate() -> None:
        ServiceRequest.model_validate(resource)

    _VALIDATED.get(json.dumps({k: v for k, v in resource.items() if k not in PER_CALL}, sort_keys=True), validate)


def referral_suggestion(patient_id: str, reason: str, today: date, settings: Settings, language: str) -> BuiltSuggestion:
    """`reason`: why, in the card's language (the summary of the rule that offers the referral)."""
    code = settings.referral_code
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": f"bzra-referral-{uuid.uuid4().hex[:12]}",
        "status": "draft",
        "intent": "proposal",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}]}],
        "code": {"coding": [code.model_dump(exclude_none=True)], "text": settings.referral_text or text("referral_code_text", language)},
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": today.isoformat(),
        "reasonCode": [{"text": text("referral_reason", language, summary=reason)}],
    }
    performer = settings.referral_performer
    if performer:
        resource["performer"] = [{"reference": performer} if "/" in performer else {"display": performer}]
    _check_r4(resource)  # only valid R4 is offered
    links = tuple(Link(label=help_link.label, url=help_link.url, type="absolute") for help_link in settings.help_links)
    return BuiltSuggestion(
        Suggestion(
            label=text("referral_label", language),
            actions=[Action(type="create", description=text("referral_description", language), resource=resource)],
        ),
        links=links,
    )
