"""Parsed history kept by content: any change in the history changes the key; equal content is parsed once."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.catalog import DATA_QUERIES
from service.fhir.gather import ingest
from service.fhir.history_cache import ParsedHistory, content_key
from service.fhir.record import PatientRecord
from service.strict_json import RawJson
from tests.support import builders as b

QUERIES = {query.key: query for query in DATA_QUERIES}


def read_record(prefetch: dict[str, Any], cache: ParsedHistory | None = None) -> PatientRecord:
    record = PatientRecord(patient_id=b.PATIENT_ID)
    for key, payload in prefetch.items():
        ingest(record, QUERIES[key], payload, f"prefetch.{key}", 5000, cache)
    return record


def history_key(prefetch: dict[str, Any], cache: ParsedHistory | None = None) -> str | None:
    return read_record(prefetch, cache).history_key


def what_the_facts_see(record: PatientRecord) -> tuple[Any, ...]:
    """Everything the facts and the data card take from a record."""
    return (
        record.patient,
        record.medication_statements,
        record.medication_requests,
        record.medication_dispenses,
        record.conditions,
        record.medications,
        record.issues,
        record.counts,
    )


def paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value, the value itself included."""
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*at, index))
    return found


def changed(value: Any, how: int) -> Any:
    """Another JSON value in place of `value`: a different leaf, a key or element less or more."""
    if isinstance(value, dict) and value and how == 0:
        return {k: v for i, (k, v) in enumerate(value.items()) if i != 0}
    if isinstance(value, list) and value and how == 0:
        return value[1:]
    if isinstance(value, dict) and how == 1:
        return {**value, "extra": 1}
    if isinstance(value, list) and how == 1:
        return [*value, {"extra": 1}]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return "changed"


def mutate(prefetch: dict[str, Any], path: tuple[Any, ...], how: int) -> dict[str, Any]:
    copied = copy.deepcopy(prefetch)
    if not path:
        return copied
    parent = copied
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = changed(parent[path[-1]], how)
    return copied


def history() -> dict[str, Any]:
    prefetch = b.full_prefetch()
    prefetch["medicationRequests"] = b.searchset(b.medication_request(), b.medication_request("mr-2", medication_reference="Medication/med-1"), b.medication())
    return prefetch


HISTORY = history()
PLACES = [p for p in paths(HISTORY) if len(p) >= 2]
# A search Bundle's own members, which a server stamps afresh on each search; nothing reads them.
BUNDLE_OWN = ("id", "meta", "type", "total", "link")
STAMPED = [p for p in PLACES if HISTORY[p[0]].get("resourceType") == "Bundle" and p[1] in BUNDLE_OWN]
HISTORY_PLACES = [p for p in PLACES if p not in STAMPED]  # the resources, their entries, each payload's resourceType


@settings(max_examples=150, deadline=None)
@given(place=st.sampled_from(HISTORY_PLACES), how=st.integers(0, 2))
def test_any_change_in_the_history_changes_the_key(place: tuple[Any, ...], how: int) -> None:
    mutated = mutate(HISTORY, place, how)
    assume(mutated != HISTORY)
    assert history_key(mutated) != history_key(HISTORY)


@settings(max_examples=150, deadline=None)
@given(place=st.sampled_from(PLACES), how=st.integers(0, 2), sent_as_bytes=st.booleans())
def test_an_equal_key_means_an_equal_history_read(place: tuple[Any, ...], how: int, sent_as_bytes: bool) -> None:
    """Whatever changes, anywhere in a payload (a Bundle's own members included): either the key
    changes, or the record read is the same in everything the facts see."""
    mutated = mutate(HISTORY, place, how)
    send = as_sent if sent_as_bytes else dict
    before, after = read_record(send(HISTORY)), read_record(send(mutated))
    if after.history_key == before.history_key:
        assert what_the_facts_see(after) == what_the_facts_see(before)


@pytest.mark.parametrize("sent_as_bytes", [False, True], ids=["parsed", "as-sent"])
def test_a_history_searched_again_keeps_its_key_and_is_not_parsed_again(sent_as_bytes: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same history in Bundles stamped afresh for each search (id, time, paging links), as a select,
    a second select and the sign would get it: the sign reads it from the cache."""
    send = as_sent if sent_as_bytes else dict
    cache = ParsedHistory(1000)
    first = read_record(send(b.searched_again(HISTORY, "select-1", "2026-12-07T10:00:05Z")), cache)
    assert read_record(send(b.searched_again(HISTORY, "select-2", "2026-12-07T10:00:40Z")), cache).history_key == first.history_key
    monkeypatch.setattr("service.fhir.gather.read_resource", lambda *args: pytest.fail("parsed again"))
    sign = read_record(send(b.searched_again(HISTORY, "sign", "2026-12-07T10:01:15Z")), cache)
    assert sign.history_key == first.history_key
    assert what_the_facts_see(sign) == what_the_facts_see(first)
    assert [r.id for r in sign.medication_requests] == ["mr-1", "mr-2"] and "Medication/med-1" in sign.medications


def test_a_bundles_own_members_are_all_it_leaves_out_of_the_key() -> None:
    """Changing any of the stamped members keeps the key; each other place was tested above."""
    assert STAMPED and {p[1] for p in STAMPED} == {"type", "total", "link"}  # the builder's Bundles have no id or meta
    for place in STAMPED:
        assert history_key(mutate(HISTORY, place, 2)) == history_key(HISTORY)


def test_the_same_content_sent_again_gives_the_same_key() -> None:
    assert content_key(copy.deepcopy(HISTORY["patient"])) == content_key(HISTORY["patient"])
    assert history_key(dict(HISTORY)) == history_key(copy.deepcopy(HISTORY))


def test_a_history_seen_twice_is_not_parsed_a_third_time(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ParsedHistory(1000)
    first = history_key(HISTORY, cache)
    assert len(cache) == 0  # seen once: nothing kept (distinct patients leave no garbage behind)
    assert history_key(HISTORY, cache) == first
    monkeypatch.setattr("service.fhir.gather.read_resource", lambda *args: pytest.fail("parsed again"))
    record = PatientRecord(patient_id=b.PATIENT_ID)
    for key, payload in copy.deepcopy(HISTORY).items():
        ingest(record, QUERIES[key], payload, f"prefetch.{key}", 5000, cache)
    assert record.history_key == first
    assert [r.id for r in record.medication_requests] == ["mr-1", "mr-2"] and "Medication/med-1" in record.medications


def test_the_parsed_history_is_bounded_by_its_resources() -> None:
    cache = ParsedHistory(3)
    for number in range(10):
        for _ in range(2):  # kept from the second sight
            history_key({"medicationStatements": b.searchset(b.medication_statement(f"ms-{number}"), b.medication_statement(f"ms-{number}b"))}, cache)
    assert len(cache) == 1  # two resources each: one entry fits at a time


def test_a_bad_resource_is_still_reported_when_its_page_comes_from_the_cache() -> None:
    cache = ParsedHistory(1000)
    bad = {"medicationStatements": b.searchset(b.medication_statement(status=7))}
    for _ in range(3):
        record = PatientRecord(patient_id=b.PATIENT_ID)
        ingest(record, QUERIES["medicationStatements"], bad["medicationStatements"], "prefetch.medicationStatements", 5000, cache)
        assert [issue.skipped for issue in record.issues] == ["MedicationStatement/ms-1"]


def as_sent(prefetch: dict[str, Any]) -> dict[str, Any]:
    """The prefetch as the hook route keeps it: each value the bytes it was sent in."""
    return {key: RawJson(orjson.dumps(value)) for key, value in prefetch.items()}


def test_a_history_kept_as_sent_reads_as_the_parsed_one() -> None:
    other_patient = b.medication_statement("ms-other", subject={"reference": "Patient/someone-else"})
    prefetch = {**HISTORY, "medicationStatements": b.searchset(b.medication_statement(status=7), other_patient)}
    records = []
    for payloads in (prefetch, as_sent(prefetch)):
        record = PatientRecord(patient_id=b.PATIENT_ID)
        for key, payload in payloads.items():
            ingest(record, QUERIES[key], payload, f"prefetch.{key}", 1, None)
        records.append(record)
    parsed, sent = records
    assert sent.issues == parsed.issues and len(sent.issues) == 3  # a bad resource, another patient, the limit
    assert [r.id for r in sent.medication_requests] == [r.id for r in parsed.medication_requests] == ["mr-1"]
    assert sent.patient == parsed.patient and sent.medications == parsed.medications


def test_a_history_kept_as_sent_and_seen_before_is_neither_read_nor_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ParsedHistory(1000)
    first = history_key(as_sent(HISTORY), cache)
    assert history_key(as_sent(HISTORY), cache) == first  # kept from the second sight
    monkeypatch.setattr(RawJson, "value", property(lambda self: pytest.fail("read again")))
    monkeypatch.setattr("service.fhir.gather.read_resource", lambda *args: pytest.fail("parsed again"))
    assert history_key(as_sent(HISTORY), cache) == first


@settings(max_examples=100, deadline=None)
@given(place=st.sampled_from(HISTORY_PLACES), how=st.integers(0, 2))
def test_any_change_in_a_history_kept_as_sent_changes_the_key(place: tuple[Any, ...], how: int) -> None:
    mutated = mutate(HISTORY, place, how)
    assume(mutated != HISTORY)
    assert history_key(as_sent(mutated)) != history_key(as_sent(HISTORY))
