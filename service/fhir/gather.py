"""Assemble a `PatientRecord` from prefetch, then from the FHIR server for whatever is missing.

Order of preference: what the CDS client prefetched (a key may be absent or null), then one FHIR
search per missing key, all concurrently and within the hook call's time budget. Searches of the
medication history ask for the recent history first (`FhirSession.search_recent`), so a server with
small pages and a long history still shows today's drugs within the page cap. Referenced Medications
not found in the data are read from the server. Failures become `DataIssue`s that say why.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from typing import Any

import msgspec

from cds_hooks import HookContext, HookRequest
from cds_hooks.prefetch import TemplateError, render
from service import metrics
from service.catalog import DATA_QUERIES, DataQuery
from service.errors import RequestError
from service.fhir.client import FhirError, FhirSession, SearchResult
from service.fhir.history_cache import ParsedHistory, ReadItem, ReadPayload, content_key, what_is_read
from service.fhir.history_models import Resource
from service.fhir.parse import TopLevel, bundle_entries, decode_resource, parse_resource, split_entries, top_level
from service.fhir.record import DataIssue, PatientRecord
from service.fhir.references import medication_reference, resolve_medication
from service.strict_json import RawJson, loads_strict

log = logging.getLogger(__name__)

DAYS_PER_MONTH = 30.44  # the mean length of a month in the Gregorian calendar

# The date search parameter of each history resource (FHIR R4): what "recent first" filters and sorts on.
# Conditions have none: an old diagnosis still matters.
RECENT_BY = {
    "MedicationStatement": "effective",
    "MedicationRequest": "authoredon",
    "MedicationDispense": "whenhandedover",
}

RECORD_LISTS = {
    "MedicationStatement": "medication_statements",
    "MedicationRequest": "medication_requests",
    "MedicationDispense": "medication_dispenses",
    "Condition": "conditions",
}


class MissingData(RequestError):
    """Required data was neither prefetched nor fetchable: HTTP 412 per the spec."""

    status = 412
    code = "missing_data"

    def __init__(self, keys: list[str], why: str | None = None):
        self.keys = keys
        reason = why or "no fhirServer was given to fetch it"
        fields = [{"field": f"prefetch.{key}", "problem": "not prefetched and no fhirServer"} for key in keys]
        super().__init__(f"required data was not prefetched and {reason}: " + ", ".join(keys), fields)


def _prefetched(request: HookRequest, key: str) -> Any | None:
    return (request.prefetch or {}).get(key)


def check_required_data(request: HookRequest, server_usable: bool, why: str | None = None) -> None:
    """Raise `MissingData` before any work when the call cannot be answered at all."""
    if server_usable:
        return
    missing = [q.key for q in DATA_QUERIES if q.required and _prefetched(request, q.key) is None]
    if missing:
        raise MissingData(missing, f"the fhirServer cannot be used ({why})" if why else None)


def _other_patient(subject: Any, patient: Any, patient_id: str) -> bool:
    """Whether a resource's `subject` (or DSTU2 `patient`), as JSON, clearly names another patient (Patient/<other>)."""
    for ref in (subject, patient):
        reference = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(reference, str) and "Patient/" in reference:
            return reference.rstrip("/").split("Patient/")[-1].split("/")[0] != patient_id
    return False


def read_resource(data: Any, where: str, patient_id: str) -> tuple[Resource | None, DataIssue | None, bool]:
    """One resource (JSON, or bytes as sent): its model or the issue that skipped it (`parse_resource`),
    and whether it names another patient. Bytes are decoded straight into the model when they read as
    strict R4 (`decode_resource`), else parsed and read tolerantly like any JSON."""
    if isinstance(data, bytes | msgspec.Raw):
        decoded = decode_resource(data)
        if decoded is not None:
            resource, head = decoded
            return resource, None, _other_patient(head.subject, head.patient, patient_id)
        data = loads_strict(bytes(data))
    return *parse_resource(data, where), isinstance(data, dict) and _other_patient(data.get("subject"), data.get("patient"), patient_id)


def _entries(value: Any, where: str) -> list[tuple[str | None, Any, str]]:
    """(fullUrl, resource JSON, location) of each entry of a payload: a list, a Bundle or one resource."""
    if isinstance(value, list):
        return [(None, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return list(bundle_entries(value, where))
    return [(None, value, where)]


def read_payload(payload: Any, where: str, room: int, patient_id: str, top: TopLevel | None = None) -> ReadPayload:
    """The entries of one payload (a list, a Bundle or one resource), at most `room` of them read
    (`read_resource`); raises ValueError when a payload kept as sent is not JSON after all. A payload
    kept as sent is split without being parsed (`split_entries`, from its `top` level when read
    already) unless it takes the tolerant path."""
    entries = split_entries(payload.raw, where, top) if isinstance(payload, RawJson) else None
    if entries is None:
        entries = _entries(payload.value if isinstance(payload, RawJson) else payload, where)
    items = tuple(ReadItem(location, full_url, *read_resource(data, location, patient_id)) for full_url, data, location in entries[:room])
    if isinstance(payload, RawJson):
        payload.forget()
    return ReadPayload(items, len(entries))


def ingest(record: PatientRecord, query: DataQuery, payload: Any, where: str, limit: int, cache: ParsedHistory | None = None) -> None:
    """Add the resources of one prefetch value or search page to the record, at most `limit` per key.

    The payload is read once per content (`history_cache`: the key holds everything the reading depends
    on), and the record's `contents` take in its key, so facts derived from the history can be kept by
    the history's content too."""
    room = max(limit - record.counts.get(query.key, 0), 0)
    top = top_level(payload.raw) if isinstance(payload, RawJson) else None  # read once: for the key and the split
    key = content_key(query.key, where, record.patient_id, room, what_is_read(payload, top))
    record.add_content(key)
    read = cache.get(key) if cache is not None else None
    metrics.history_payloads("read" if read is None else "reused").inc()
    if read is None:
        try:
            read = read_payload(payload, where, room, record.patient_id, top)
        except ValueError as error:  # never seen: what is kept as sent was checked as JSON on arrival
            record.issues.append(DataIssue(where, f"not JSON: {str(error)[:200]}", not_checked=query.purpose, reason="not_fhir", data_key=query.key))
            return
        if cache is not None:
            cache.put(key, read)
    if read.sent > room:
        problem = f"{query.purpose}: only the first {limit} resources were read (resource limit)"
        record.issues.append(DataIssue(where, problem, reason="resource_limit", data_key=query.key))
    record.counts[query.key] = record.counts.get(query.key, 0) + len(read.items)
    for item in read.items:
        _add_item(record, query, item)


def _add_item(record: PatientRecord, query: DataQuery, item: ReadItem) -> None:
    """One read entry into the record: Medications by their references, the patient, the history lists."""
    resource = item.resource
    if item.issue is not None:
        record.issues.append(item.issue)
        return
    if resource is None:
        return  # a resource type the history does not use
    kind = resource.get_resource_type()
    if kind == "Medication":
        for reference in filter(None, (item.full_url, f"Medication/{resource.id}" if resource.id else None)):
            record.medications[reference] = resource
    elif kind not in query.resource_types:
        return  # e.g. an OperationOutcome entry with search.mode "outcome"
    elif item.other_patient:
        record.issues.append(DataIssue(item.location, "belongs to another patient", skipped=f"{kind}/{resource.id}"))
    elif kind == "Patient":
        record.patient = resource
    else:
        target: list[Any] = getattr(record, RECORD_LISTS[kind])
        label = f"{kind}/{resource.id}"
        if resource.id is None or label not in record.seen:
            record.seen.add(label)
            target.append(resource)


Added = tuple[list[DataIssue], list[str | None]]  # the issues and content keys one read added to a record


def _added_since(record: PatientRecord, issues_at: int, contents_at: int) -> Added:
    return record.issues[issues_at:], record.contents[contents_at:]


def _in_catalogue_order(record: PatientRecord, issues_at: int, contents_at: int, added: list[Added]) -> None:
    """Put what the concurrent reads added to the record in the order they were asked, not the order the
    answers came in: the record (its issues, its `history_key`) is then the same for the same history,
    and the history summaries kept by that key are found again. (Without it they were missed on most
    calls without prefetch: 52 keys for one history over 80 calls, five answers in a new order each time.)
    Each answer is still added as soon as it arrives, while its parsed JSON is fresh in the CPU's cache."""
    record.issues[issues_at:] = [issue for issues, _ in added for issue in issues]
    record.contents[contents_at:] = [key for _, keys in added for key in keys]


async def _fetch_query(
    session: FhirSession, record: PatientRecord, query: DataQuery, url: str, limit: int, cache: ParsedHistory | None
) -> Added:
    where = f"FHIR {query.key}"
    try:
        if "?" in url:
            result = await session.search_recent(url, RECENT_BY.get(query.resource_types[0]))
        else:
            result = SearchResult([await session.get_page(url)])
    except FhirError as error:
        result = error
    issues_at, contents_at = len(record.issues), len(record.contents)  # no await from here on: only this read adds
    if isinstance(result, FhirError):
        record.sources[query.key] = "unavailable"
        record.issues.append(DataIssue(where, result.reason, not_checked=query.purpose, reason=result.kind, data_key=query.key))
        return _added_since(record, issues_at, contents_at)
    record.sources[query.key] = "fhir"
    for number, page in enumerate(result.pages, start=1):
        ingest(record, query, page, f"{where} page {number}", limit, cache)
    if result.truncated:
        problem = f"{query.purpose}: only the first {len(result.pages)} pages were read (page limit)"
        record.issues.append(DataIssue(where, problem, reason="pages_left", data_key=query.key))
    if result.stopped is not None:
        problem = f"{query.purpose}: {len(result.pages)} page(s) read, then {result.stopped.reason}"
        record.issues.append(DataIssue(where, problem, reason=result.stopped.kind, data_key=query.key))
    return _added_since(record, issues_at, contents_at)


async def _fetch_queries(
    session: FhirSession, record: PatientRecord, to_fetch: list[tuple[DataQuery, str]], limit: int, cache: ParsedHistory | None
) -> None:
    """Read the queries concurrently; the record as if they had been read one after another."""
    issues_at, contents_at = len(record.issues), len(record.contents)
    added = await asyncio.gather(*(_fetch_query(session, record, query, url, limit, cache) for query, url in to_fetch))
    _in_catalogue_order(record, issues_at, contents_at, added)
    fetched = {query.key for query, _ in to_fetch}
    others = {key: source for key, source in record.sources.items() if key not in fetched}
    record.sources = others | {query.key: record.sources[query.key] for query, _ in to_fetch}


def history_since(today: date, months: int) -> date | None:
    """The first day of the recent history asked of FHIR servers; None (everything) for 0 months."""
    return today - timedelta(days=round(months * DAYS_PER_MONTH)) if months > 0 else None


def _unresolved_medication_refs(record: PatientRecord) -> list[str]:
    refs: set[str] = set()
    for resource in (
        *record.medication_statements,
        *record.medication_requests,
        *record.medication_dispenses,
        *record.draft_orders,
    ):
        ref = medication_reference(resource)
        if ref and not ref.startswith("#") and resolve_medication(resource, record.medications) is None:
            refs.add(ref)
    return sorted(refs)


async def _read_medication(session: FhirSession, record: PatientRecord, ref: str) -> Added:
    try:
        page: RawJson | FhirError = await session.get_page(ref)
    except FhirError as error:
        page = error
    issues_at, contents_at = len(record.issues), len(record.contents)  # no await from here on: only this read adds
    if isinstance(page, FhirError):
        record.issues.append(DataIssue(f"FHIR {ref}", f"medication details not read: {page.reason}", reason=page.kind))
        return _added_since(record, issues_at, contents_at)
    record.add_content(content_key("medication", ref, page))  # keyed by its bytes' digest, not serialised again
    resource, issue, _ = read_resource(page.raw, f"FHIR {ref}", record.patient_id)
    if issue is not None:
        record.issues.append(issue)
    elif resource is not None and resource.get_resource_type() == "Medication":
        record.medications[ref] = resource
    return _added_since(record, issues_at, contents_at)


async def _fetch_medications(session: FhirSession, record: PatientRecord, refs: list[str]) -> None:
    """Read the referenced Medications concurrently; the record as if read in the order of `refs`."""
    issues_at, contents_at = len(record.issues), len(record.contents)
    added = await asyncio.gather(*(_read_medication(session, record, ref) for ref in refs))
    _in_catalogue_order(record, issues_at, contents_at, added)
    read = {ref: record.medications[ref] for ref in refs if ref in record.medications}
    record.medications = {key: medication for key, medication in record.medications.items() if key not in read} | read


async def gather_record(
    request: HookRequest,
    context: HookContext,
    record: PatientRecord,
    session: FhirSession | None,
    limit: int,
    cache: ParsedHistory | None = None,
) -> PatientRecord:
    """Fill `record` (which already holds the draft orders) from prefetch and FHIR."""
    to_fetch: list[tuple[DataQuery, str]] = []
    fields: dict[str, Any] | None = None  # the context as the templates see it, dumped once per call
    for query in DATA_QUERIES:
        payload = _prefetched(request, query.key)
        if payload is not None:
            record.sources[query.key] = "prefetch"
            ingest(record, query, payload, f"prefetch.{query.key}", limit, cache)
            continue
        try:
            fields = context.model_dump() if fields is None else fields
            url = render(query.template, fields)
        except TemplateError as error:
            record.sources[query.key] = "unavailable"
            record.issues.append(
                DataIssue(
                    f"prefetch.{query.key}",
                    str(error),
                    not_checked=query.purpose,
                    reason="request_incomplete",
                    data_key=query.key,
                )
            )
            continue
        if session is None:
            record.sources[query.key] = "unavailable"
            record.issues.append(
                DataIssue(
                    f"prefetch.{query.key}",
                    "not prefetched and no FHIR server given",
                    not_checked=query.purpose,
                    reason="no_server",
                    data_key=query.key,
                )
            )
        else:
            to_fetch.append((query, url))
    if session is not None:
        await _fetch_queries(session, record, to_fetch, limit, cache)
    unresolved = _unresolved_medication_refs(record)
    if unresolved and session is not None:
        await _fetch_medications(session, record, unresolved)
        unresolved = _unresolved_medication_refs(record)
    for ref in unresolved:
        record.issues.append(
            DataIssue(ref, "referenced medication not available; that entry may be unidentified", reason="medication_unresolved")
        )
    return record
