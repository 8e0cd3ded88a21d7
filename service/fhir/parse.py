"""Turn the FHIR R4 JSON of a medication history into models, one resource at a time.

Resources are validated one by one so that a single malformed entry in a history is skipped and
reported instead of rejecting the whole Bundle. History resources get the lean models of
`history_models` (so do the draft orders, in `drafts`).

JSON kept as the bytes it was sent in is decoded straight into the models (`split_entries`,
`decode_resource`): msgspec's typed decoders build no dicts to convert and free afterwards (reading a
bench history of 36 resources, body included: 0.68 ms of CPU instead of 0.83). They are strict R4;
whatever they cannot read (another FHIR version's shapes, wrong types, a lone surrogate, an unknown
resource type...) is read as plain JSON by the tolerant path as before, which accepts it or gives the
same message. The caller checks the bytes' UTF-8 beforehand (`strict_json.is_utf8`): msgspec does not
check the strings it skips (the elements the models do not read).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from fhir.resources.R4B import get_fhir_model_class
from service.fhir.history_models import HISTORY_MODELS, Resource, ValidationError, error_path, error_problem, read
from service.fhir.record import DataIssue
from service.strict_json import is_utf8, loads_strict

Json = bytes | msgspec.Raw  # JSON still as sent


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


# ---- straight from the bytes -------------------------------------------------------------------


_NULL = msgspec.Raw(b"null")


class _Entry(msgspec.Struct, gc=False):
    fullUrl: Any = None
    resource: msgspec.Raw = _NULL  # as `entry.get("resource")`: a missing one reads as null


class TopLevel(msgspec.Struct, gc=False):
    """What the reading of a history payload uses of its top level: its type and, in a Bundle, its
    entries, still as sent. Nothing else of a Bundle (its id, meta, links, total) is read, which is
    why the parsed history is kept by its entries alone (`history_cache.what_is_read`)."""

    resourceType: Any = None
    entry: msgspec.Raw = _NULL  # absent reads as null: no entries either way


class Head(msgspec.Struct, gc=False):
    """What is read of a resource before its model: its type, and the elements that say whose it is
    (as plain JSON: `subject` and DSTU2's `patient`, which the models do not all read)."""

    resourceType: Any = None
    subject: Any = None
    patient: Any = None


_TOP_LEVEL = msgspec.json.Decoder(TopLevel)
_ENTRIES = msgspec.json.Decoder(tuple[_Entry, ...] | None)
_HEAD = msgspec.json.Decoder(Head)
_DECODERS = {kind: msgspec.json.Decoder(model) for kind, model in HISTORY_MODELS.items()}
_NOT_READ = (msgspec.DecodeError, RecursionError)  # ValidationError included; too deep for msgspec


def top_level(raw: bytes) -> TopLevel | None:
    """The `TopLevel` of the JSON object in `raw`; None when msgspec cannot read it so (e.g. a list)."""
    try:
        return _TOP_LEVEL.decode(raw)
    except _NOT_READ:
        return None


def split_entries(raw: bytes, where: str, top: TopLevel | None = None) -> list[tuple[str | None, Json, str]] | None:
    """`bundle_entries` of a Bundle (or the one resource) in `raw`, each resource still as bytes; None
    when msgspec cannot split it (e.g. a list of resources, an entry that is not an object).
    `top`: the `top_level(raw)` already read, if any."""
    top = top if top is not None else top_level(raw)
    if top is None:
        return None
    if top.resourceType != "Bundle":
        return [(None, raw, where)]
    try:
        entries = _ENTRIES.decode(top.entry)
    except _NOT_READ:
        return None
    return [
        (entry.fullUrl if isinstance(entry.fullUrl, str) else None, entry.resource, f"{where} entry {index}")
        for index, entry in enumerate(entries or ())
    ]


def decode_resource(raw: Json) -> tuple[Resource, Head] | None:
    """The resource in `raw` read strictly as R4 into its model, with its `Head`; None when it is not
    a history resource that reads so (`parse_resource` then reads it tolerantly or says why not)."""
    try:
        head = _HEAD.decode(raw)
        decoder = _DECODERS.get(head.resourceType) if isinstance(head.resourceType, str) else None
        return (decoder.decode(raw), head) if decoder is not None else None
    except _NOT_READ:
        return None


class PageHead(msgspec.Struct, gc=False):
    """What is read of a FHIR answer to check it: its type, and its links (a search page's `next`)."""

    resourceType: Any = None
    link: Any = None


_PAGE_HEAD = msgspec.json.Decoder(PageHead)


def page_head(raw: bytes) -> PageHead | None:
    """The type and the links of an answer, in one pass over its bytes; None unless `raw` is plainly
    valid JSON of an object with a string resourceType (the caller then reads it with `loads_strict`,
    which accepts, repairs or refuses it as before)."""
    if not is_utf8(raw):
        return None
    try:
        head = _PAGE_HEAD.decode(raw)
    except _NOT_READ:
        return None
    return head if isinstance(head.resourceType, str) else None


class _Unknown:
    """A page's next link not read yet (the tolerant path checked the page, or it was kept without it)."""


UNKNOWN = _Unknown()
NextLink = str | None | _Unknown  # a page's `next` link, None when it has none


def next_link(page: bytes) -> str | None:
    """The `next` page of a search-set Bundle, if any: its links read without the rest of the page."""
    try:
        links = _PAGE_HEAD.decode(page).link
    except _NOT_READ:  # e.g. a lone surrogate: read as plain JSON
        value = loads_strict(page)
        links = value.get("link") if isinstance(value, dict) else None
    return next_in(links)


def next_in(links: Any) -> str | None:
    """The url of the `next` link among a Bundle's `link` JSON, if any."""
    for link in links or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None
