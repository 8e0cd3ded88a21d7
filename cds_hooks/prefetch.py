"""Prefetch templates: `{{context.patientId}}`-style tokens filled from the hook request.

The same templates the discovery document advertises are used by the service to fetch what the
CDS client did not prefetch, so both paths ask the FHIR server the same questions.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from cds_hooks.errors import HookError

_TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


class TemplateError(HookError):
    """A template names a token that the request does not provide."""

    code = "incomplete_request"


def render(template: str, context: dict[str, Any], user_practitioner_id: str | None = None) -> str:
    """Fill a prefetch template; values are URL-encoded so an id cannot inject query parameters."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith("context."):
            value = context.get(token.removeprefix("context."))
        elif token in ("userPractitionerId", "userPractitionerRoleId", "userPatientId", "userRelatedPersonId"):
            value = user_practitioner_id
        else:
            value = None
        if value is None or isinstance(value, (dict, list)):
            raise TemplateError(f"prefetch token '{token}' has no value in this request")
        return quote(str(value), safe="")

    return _TOKEN.sub(substitute, template)


# CDS Hooks 2.0: "If the CDS Client has no data to populate a template prefetch key, the prefetch
# template key MUST have a value of null" (an absent key means it was not prefetched). null stands
# for a search that found nothing, or a read that found no resource.
EMPTY_SEARCH_RESULT: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}


def null_keys(prefetch: dict[str, Any] | None) -> list[str]:
    """The keys the CDS client sent as null: it has no data for them."""
    return [key for key, value in (prefetch or {}).items() if value is None]


def with_no_data_as_empty(prefetch: dict[str, Any] | None) -> dict[str, Any] | None:
    """The prefetch with every null key read as an empty search result, so nothing asks for it again."""
    if not null_keys(prefetch):
        return prefetch
    return {key: EMPTY_SEARCH_RESULT if value is None else value for key, value in (prefetch or {}).items()}
