"""Turn the FHIR R4 JSON of a medication history into models, one resource at a time.

Resources are validated one by one so that a single malformed entry in a history is skipped and
reported instead of rejecting the whole Bundle. History resources get the lean models of
`history_models` (so do the draft orders, in `drafts`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from service.fhir.history_models import HISTORY_MODELS, Resource, ValidationError, error_path, error_problem, read
from service.fhir.record import DataIssue


def resource_label(data: dict[str, Any]) -> str:
    """`Type/id` for messages: identifies a resource without showing its contents."""
    kind = data.get("resourceType") if isinstance(data.get("resourceType"), str) else "resource"
    rid = data.get("id")
    return f"{kind}/{rid}" if isinstance(rid, str) else f"{kind} (no id)"


def validation_summary(error: ValidationError) -> str:
    """The failing field path and the problem, without the offending value (which may hold patient data)."""
    return f"{'.'.join(error_path(error)) or '(resource)'}: {error_problem(error)[:120]}"


def is_fhir_type(kind: str) -> bool:
    try:
        get_fhir_model_class(kind)
    except (KeyError, ValueError):  # fhir.resources raises ValueError for an unknown type
        return False
    return True


def parse_resource(data: Any, where: str) -> tuple[Resource | None, DataIssue | None]:
    """Parse one history resource; on failure return the issue to report instead.

    (None, None): a valid FHIR type the history does not use (e.g. an OperationOutcome entry).
    """
    if not isinstance(data, dict):
        return None, DataIssue(where, "not a JSON object", reason="not_a_resource")
    kind = data.get("resourceType")
    if not isinstance(kind, str):
        return None, DataIssue(where, "no resourceType", skipped=resource_label(data))
    model = HISTORY_MODELS.get(kind)
    if model is None:
        if is_fhir_type(kind):
            return None, None
        return None, DataIssue(where, f"unknown resourceType '{kind}'", skipped=resource_label(data))
    try:
        return read(model, data), None
    except ValidationError as error:
        return None, DataIssue(where, f"invalid {kind}: {validation_summary(error)}", skipped=resource_label(data))


def bundle_entries(bundle: dict[str, Any], where: str) -> Iterator[tuple[str | None, Any, str]]:
    """(fullUrl, resource JSON, location) of each entry; tolerant of missing pieces."""
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        location = f"{where} entry {index}"
        if not isinstance(entry, dict):
            yield None, entry, location
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        yield full_url, entry.get("resource"), location


def next_link(bundle: dict[str, Any]) -> str | None:
    """The `next` page of a search-set Bundle, if any."""
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None
