"""Referral: a `create` of a draft ServiceRequest to specialised care, with the deployment's code,
receiver and local help links."""

from __future__ import annotations

import uuid
from datetime import date

from fhir.resources.R4B.servicerequest import ServiceRequest

from cds_hooks import Action, Link, Suggestion
from service.rules.cards import BuiltSuggestion
from service.settings import Settings
from service.suggestions.texts import text


def referral_suggestion(patient_id: str, reason: str, today: date, settings: Settings, language: str) -> BuiltSuggestion:
    code = settings.referral_code
    resource: dict = {
        "resourceType": "ServiceRequest",
        "id": f"bzra-referral-{uuid.uuid4().hex[:12]}",
        "status": "draft",
        "intent": "proposal",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}]}],
        "code": {"coding": [code.model_dump(exclude_none=True)], "text": settings.referral_text},
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": today.isoformat(),
        "reasonCode": [{"text": text("referral_reason", language, summary=reason)}],
    }
    performer = settings.referral_performer
    if performer:
        resource["performer"] = [{"reference": performer} if "/" in performer else {"display": performer}]
    ServiceRequest.model_validate(resource)  # only valid R4 is offered
    links = tuple(Link(label=help_link.label, url=help_link.url, type="absolute") for help_link in settings.help_links)
    return BuiltSuggestion(
        Suggestion(
            label=text("referral_label", language),
            actions=[Action(type="create", description=text("referral_description", language), resource=resource)],
        ),
        links=links,
    )
