"""Prefetch templates: `{{context.patientId}}`-style tokens filled from the hook request.

The same templates the discovery document advertises are used by the service to fetch what the
CDS client did not prefetch, so both paths ask the FHIR server the same questions.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

_TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


class TemplateError(ValueError):
    """A template names a token that the request does not provide."""


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
