"""The store: audit, feedback, suppression and report on a real database, and no loss when it is down.

Every test that needs a database runs on SQLite, and on PostgreSQL too when BZRA_TEST_DATABASE_URL is
set (see tests/support/store_support.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from service.store import (
    CallAudit,
    FeedbackOutcome,
    RuleReport,
    Store,
    models,
    patient_hash,
    report_csv,
    report_json,
    report_text,
)
from service.store.db import create_engine, head_revision
from service.store.journal import Journal
from service.store.lines import json_line
from service.store.spool import ACTIVE, REJECTED
from service.store.sqlite_writer import SqliteAuditWriter
from service.store.writes import write_calls
from tests.support.store_support import (
    FHIR_SERVER,
    NOW,
    SECRET,
    UNREACHABLE_PG,
    accepted,
    backends,
    card,
    database_url,
    days,
    hashed,
    make_call,
    overridden,
    rows,
    text_values,
)

pytestmark = pytest.mark.anyio

SUPPRESSING = {"patient-declined", "specialist-advice"}


@pytest.fixture(params=backends())
async def store_url(request: pytest.FixtureRequest, tmp_path: Path, anyio_backend: str) -> AsyncIterator[str]:
    async with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


# --- schema -----------------------------------------------------------------------------------------


async def test_migrations_create_the_schema(store_url: str, spool_dir: Path) -> None:
    store = await Store.open(store_url, spool_dir)
    await store.close()

    engine, _ = create_engine(store_url)
    try:
        async with engine.connect() as connection:

            def check(sync_connection: Connection) -> None:
                names = set(inspect(sync_connection).get_table_names())
                assert set(models.metadata.tables) | {"bzra_alembic_version"} <= names
                context = MigrationContext.configure(sync_connection, opts={"version_table": "bzra_alembic_version"})
                assert context.get_current_revision() == head_revision() == "0002"
                # the migration and the table definitions describe the same schema
                assert compare_metadata(context, models.metadata) == []
                indexes = {ix["name"] for ix in inspect(sync_connection).get_indexes("suppressions")}
                assert "ix_suppressions_patient_hash_until" in indexes

            await connection.run_sync(check)
    finally:
        await engine.dispose()

    again = await Store.open(store_url, spool_dir)  # a second open finds the schema current
    assert again.healthy()
    await again.close()


# --- audit ------------------------------------------------------------------------------------------


async def test_a_call_is_audited_with_the_patient_only_hashed(store_url: str, spool_dir: Path) -> None:
    raw_id = "pt-98f3c2e1-raw"
    shown = card("long-term-use", "high-dose")
    audit = make_call(
        patient=patient_hash(SECRET, FHIR_SERVER, raw_id),
        cards=(shown, card("data-check", indicator="info")),
        fired=(("long-term-use", 2), ("high-dose", 1)),
        evaluated=(("long-term-use", 2), ("high-dose", 1), ("older-adult", 3)),
        latency_ms=42.5,
    )
    store = await Store.open(store_url, spool_dir)
    store.record_call(audit)
    await store.flush()
    assert store.healthy() and store.pending() == 0
    await store.close()

    [call] = await rows(store_url, "audit_calls")
    assert call["hook_instance"] == audit.hook_instance
    assert call["service_id"] == "bzra-order-sign" and call["hook"] == "order-sign"
    assert call["received_at"] == NOW and call["latency_ms"] == 42.5
    assert call["patient_hash"] == audit.patient_hash
    assert call["sources"] == audit.sources and call["errors"] == []
    rules = {(r["rule_id"], r["rule_version"], r["fired"]) for r in await rows(store_url, "audit_rules")}
    assert rules == {("long-term-use", 2, True), ("high-dose", 1, True), ("older-adult", 3, False)}
    cards = {c["uuid"]: c for c in await rows(store_url, "audit_cards")}
    assert cards[shown.uuid]["rules"] == ["long-term-use", "high-dose"]
    assert cards[shown.uuid]["indicator"] == "warning"

    values = await text_values(store_url)
    assert values and not [v for v in values if raw_id in v or FHIR_SERVER in v]


# --- feedback ---------------------------------------------------------------------------------------


async def test_feedback_is_stored_once_and_unknown_cards_are_kept(store_url: str, spool_dir: Path) -> None:
    shown = card("long-term-use")
    store = await Store.open(store_url, spool_dir)
    store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1),)))  # still queued: feedback flushes
    items = [accepted(shown.uuid, "taper-plan"), overridden("no-such-card", "not-applicable", "known to the team")]

    first = await store.record_feedback("bzra-order-sign", items, SUPPRESSING, 90, NOW)
    assert first == FeedbackOutcome(stored=2, duplicates=0, unknown_cards=1, suppressions_created=0)
    again = await store.record_feedback("bzra-order-sign", [*items, items[0]], SUPPRESSING, 90, NOW)
    assert again == FeedbackOutcome(stored=0, duplicates=3, unknown_cards=0, suppressions_created=0)
    await store.close()

    stored = {f["card_uuid"]: f for f in await rows(store_url, "feedback")}
    assert len(stored) == 2
    known, unknown = stored[shown.uuid], stored["no-such-card"]
    assert known["outcome"] == "accepted" and known["accepted_suggestions"] == ["taper-plan"]
    assert not known["unknown_card"] and known["patient_hash"] == hashed()
    assert unknown["unknown_card"] and unknown["patient_hash"] is None
    assert unknown["reason_code"] == "not-applicable" and unknown["user_comment"] == "known to the team"
    assert unknown["outcome_at"] == NOW
    links = {(link["feedback_id"], link["rule_id"]) for link in await rows(store_url, "feedback_rules")}
    assert links == {(known["id"], "long-term-use")}


async def test_a_suppressing_override_silences_the_cards_rules_for_that_patient(
    store_url: str, spool_dir: Path
) -> None:
    shown = card("long-term-use", "high-dose")
    store = await Store.open(store_url, spool_dir)
    store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1), ("high-dose", 1))))

    outcome = await store.record_feedback(
        "bzra-order-sign", [overridden(shown.uuid, "patient-declined")], SUPPRESSING, 30, NOW
    )
    assert outcome.suppressions_created == 2
    until = NOW + days(30)
    assert await store.suppressed_rules(hashed(), NOW) == {"long-term-use", "high-dose"}
    assert await store.suppressed_rules(hashed(), until - days(0.001)) == {"long-term-use", "high-dose"}
    assert await store.suppressed_rules(hashed(), until) == set()
    assert await store.suppressed_rules(hashed("another-patient"), NOW) == set()

    active = await store.list_suppressions(now=NOW)
    assert {(s.rule_id, s.reason_code, s.patient_hash) for s in active} == {
        ("long-term-use", "patient-declined", hashed()),
        ("high-dose", "patient-declined", hashed()),
    }
    assert all(s.created_at == NOW and s.until == until and not s.lifted for s in active)
    assert await store.list_suppressions(now=until) == []

    lifted = next(s for s in active if s.rule_id == "high-dose")
    assert await store.lift_suppression(lifted.id) is True
    assert await store.lift_suppression(lifted.id) is False
    assert await store.lift_suppression(999_999) is False
    assert await store.suppressed_rules(hashed(), NOW) == {"long-term-use"}
    everything = await store.list_suppressions(active_only=False)
    assert {(s.rule_id, s.lifted) for s in everything} == {("long-term-use", False), ("high-dose", True)}
    await store.close()


async def test_a_non_suppressing_reason_suppresses_nothing(store_url: str, spool_dir: Path) -> None:
    shown = card("long-term-use")
    store = await Store.open(store_url, spool_dir)
    store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1),)))
    feedback = [overridden(shown.uuid, "not-applicable"), overridden(shown.uuid, None, "no reason picked")]
    outcome = await store.record_feedback("bzra-order-sign", feedback, SUPPRESSING, 30, NOW)
    assert outcome == FeedbackOutcome(stored=2, duplicates=0, unknown_cards=0, suppressions_created=0)
    assert await store.suppressed_rules(hashed(), NOW) == set()
    assert await store.list_suppressions(active_only=False) == []
    await store.close()


# --- report -----------------------------------------------------------------------------------------


async def test_the_report_counts_each_rule_on_real_rows(store_url: str, spool_dir: Path) -> None:
    store = await Store.open(store_url, spool_dir)
    both = [card("long-term-use", "high-dose") for _ in range(3)]
    for shown, latency in zip(both, (10.0, 30.0, 20.0), strict=True):
        store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1), ("high-dose", 1)), latency_ms=latency))
    only = card("long-term-use")
    evaluated = (("long-term-use", 1), ("older-adult", 1))
    store.record_call(make_call(cards=(only,), fired=(("long-term-use", 1),), evaluated=evaluated, latency_ms=50.0))
    old = card("long-term-use")
    store.record_call(make_call(cards=(old,), fired=(("long-term-use", 1),), latency_ms=999.0, at=NOW - days(60)))
    feedback = [
        accepted(both[0].uuid, "taper-plan"),
        overridden(both[1].uuid, "patient-declined"),
        overridden(both[2].uuid, "not-applicable"),
        overridden(only.uuid, "not-applicable"),
        overridden(old.uuid, "patient-declined", at=NOW - days(59)),
    ]
    await store.record_feedback("bzra-order-sign", feedback, set(), 30, NOW)

    report = {row.rule_id: row for row in await store.report(since=NOW - days(30))}
    assert report == {
        "long-term-use": RuleReport("long-term-use", 4, 1, 3, {"not-applicable": 2, "patient-declined": 1}, 25.0),
        "high-dose": RuleReport("high-dose", 3, 1, 2, {"not-applicable": 1, "patient-declined": 1}, 20.0),
        "older-adult": RuleReport("older-adult", 0, 0, 0, {}, None),
    }
    everything = {row.rule_id: row for row in await store.report()}
    assert everything["long-term-use"].fired == 5 and everything["long-term-use"].overridden == 4
    assert everything["long-term-use"].median_latency_ms == 30.0
    await store.close()

    rows_ = [report["high-dose"], report["long-term-use"], report["older-adult"]]
    text = report_text(rows_).splitlines()
    assert text[0].split() == ["rule", "fired", "accepted", "overridden", "median", "ms", "override", "reasons"]
    assert text[2].split()[:5] == ["high-dose", "3", "1", "2", "20.0"]
    assert text[2].index(" 3 ") < text[2].index("20.0") and len(text) == 5
    fired_column_end = text[0].index("fired") + len("fired")
    assert all(line[fired_column_end - 1].isdigit() for line in text[2:])  # numbers right-aligned
    parsed = list(csv.DictReader(io.StringIO(report_csv(rows_))))
    assert parsed[1] == {
        "rule_id": "long-term-use",
        "fired": "4",
        "accepted": "1",
        "overridden": "3",
        "median_latency_ms": "25.0",
        "override_reasons": "not-applicable=2; patient-declined=1",
    }
    assert json.loads(report_json(rows_))[2] == {
        "rule_id": "older-adult",
        "fired": 0,
        "accepted": 0,
        "overridden": 0,
        "override_reasons": {},
        "median_latency_ms": None,
    }
    assert "No rule" in report_text([])


# --- durability -------------------------------------------------------------------------------------


async def test_a_restart_keeps_everything(store_url: str, spool_dir: Path) -> None:
    shown = card("long-term-use")
    store = await Store.open(store_url, spool_dir)
    store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1),)))
    await store.record_feedback("bzra-order-sign", [overridden(shown.uuid, "patient-declined")], SUPPRESSING, 30, NOW)
    await store.close()

    reopened = await Store.open(store_url, spool_dir)
    assert [row.fired for row in await reopened.report()] == [1]
    assert await reopened.suppressed_rules(hashed(), NOW) == {"long-term-use"}
    duplicate = await reopened.record_feedback(
        "bzra-order-sign", [overridden(shown.uuid, "patient-declined")], SUPPRESSING, 30, NOW
    )
    assert duplicate.duplicates == 1 and duplicate.stored == 0
    await reopened.close()


async def test_close_writes_every_queued_record(store_url: str, spool_dir: Path) -> None:
    store = await Store.open(store_url, spool_dir)
    for _ in range(1200):  # more than one batch, none flushed
        store.record_call(make_call(fired=(("long-term-use", 1),)))
    assert store.pending() == 1200
    await store.close()
    assert store.pending() == 0
    assert len(await rows(store_url, "audit_calls")) == 1200
    store.record_call(make_call())  # after close: spooled, not lost, and no error
    assert store.pending() == 1


async def test_audit_record_ids_grow_in_the_order_the_calls_were_audited(store_url: str, spool_dir: Path) -> None:
    """The record id keys the audit tables: ids that grow with time go in at the end of their indexes,
    where random ones land on any page of a growing index (bench/PROFILE.md, round 7)."""
    store = await Store.open(store_url, spool_dir)
    audited = [make_call(fired=(("long-term-use", 1),)) for _ in range(300)]
    for audit in audited:
        store.record_call(audit)
    await store.close()
    id_of = {row["hook_instance"]: row["id"] for row in await rows(store_url, "audit_calls")}
    ids = [id_of[audit.hook_instance] for audit in audited]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # as stored (text), in the order audited
    assert {uuid.UUID(record_id).version for record_id in ids} == {7}  # RFC 9562's time-ordered UUID
    call_ids = [row["call_id"] for row in await rows(store_url, "audit_rules")]
    assert sorted(call_ids) == sorted(ids)


async def test_a_full_queue_spills_to_the_spool_and_is_written_later(store_url: str, spool_dir: Path) -> None:
    store = await Store.open(store_url, spool_dir, queue_size=3)
    for _ in range(20):
        store.record_call(make_call())
    assert store.pending() == 20 and (spool_dir / ACTIVE).exists()
    await store.flush()
    assert store.pending() == 0
    await store.close()
    assert len(await rows(store_url, "audit_calls")) == 20


@pytest.mark.parametrize("down", ["postgresql", "sqlite"])
async def test_database_down_spools_and_replays_when_back(
    down: str, store_url: str, spool_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    bad_url = UNREACHABLE_PG if down == "postgresql" else f"sqlite+aiosqlite:///{blocker / 'bzra.db'}"
    shown = card("long-term-use")

    store = await Store.open(bad_url, spool_dir)
    assert not store.healthy()
    for _ in range(3):
        store.record_call(make_call(cards=(shown,), fired=(("long-term-use", 1),)))
    started = time.perf_counter()
    assert await store.suppressed_rules(hashed(), NOW) == set()
    assert time.perf_counter() - started < 0.1
    outcome = await store.record_feedback(
        "bzra-order-sign", [overridden(shown.uuid, "patient-declined")], SUPPRESSING, 30, NOW
    )
    assert outcome.stored == 1
    assert store.pending() == 4 and not store.healthy()
    await store.close()
    assert store.pending() == 4

    back = await Store.open(store_url, spool_dir)
    assert back.healthy() and back.pending() == 0
    assert len(await rows(store_url, "audit_calls")) == 3
    [feedback] = await rows(store_url, "feedback")
    assert not feedback["unknown_card"]  # its card was replayed before it
    assert await back.suppressed_rules(hashed(), NOW) == {"long-term-use"}
    await back.close()
    assert not (spool_dir / ACTIVE).exists() and not list(spool_dir.glob("replay-*"))


async def test_audits_of_calls_close_together_go_to_the_database_in_one_write(
    store_url: str, spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each write costs about the same whatever its size: the writer lets the audits of calls a few
    milliseconds apart gather into one batch instead of writing each alone."""
    batches: list[int] = []
    original = Store._write_calls

    async def counted(self: Store, records: Sequence[tuple[str, CallAudit]], **options: bool) -> bool:
        batches.append(len(records))
        return await original(self, records, **options)

    monkeypatch.setattr(Store, "_write_calls", counted)
    store = await Store.open(store_url, spool_dir)
    try:
        for _ in range(5):
            store.record_call(make_call())
            await asyncio.sleep(0.001)
        await store.flush()
        assert batches == [5]
    finally:
        await store.close()
    assert len(await rows(store_url, "audit_calls")) == 5


async def test_the_writer_recovers_without_a_restart(
    store_url: str, spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await Store.open(store_url, spool_dir, retry_seconds=0.05)
    outage = True

    async def flaky_write(connection: AsyncConnection, records: Sequence[tuple[str, CallAudit]], **options: bool) -> int:
        if outage:
            raise OperationalError("INSERT", {}, ConnectionRefusedError("database restarting"))
        return await write_calls(connection, records, **options)

    original_submit = SqliteAuditWriter.submit

    def flaky_submit(self: SqliteAuditWriter, records: Sequence[tuple[str, CallAudit]]) -> Future[int | None]:
        if not outage:
            return original_submit(self, records)
        failed: Future[int | None] = Future()
        failed.set_exception(OperationalError("INSERT", {}, ConnectionRefusedError("database restarting")))
        return failed

    monkeypatch.setattr("service.store.store.write_calls", flaky_write)
    monkeypatch.setattr(SqliteAuditWriter, "submit", flaky_submit)
    store.record_call(make_call())
    store.record_call(make_call())
    await store.flush()
    assert not store.healthy() and store.pending() == 2
    outage = False
    for _ in range(100):
        if store.pending() == 0:
            break
        await asyncio.sleep(0.02)
    assert store.pending() == 0 and store.healthy()
    await store.close()
    assert len(await rows(store_url, "audit_calls")) == 2


async def test_a_slow_database_does_not_hold_up_the_hook(
    store_url: str, spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await Store.open(store_url, spool_dir, lookup_timeout=0.05)

    async def stuck(*_args: object) -> set[str]:
        await asyncio.sleep(30)
        return {"never"}

    monkeypatch.setattr("service.store.queries.suppressed_rules", stuck)
    started = time.perf_counter()
    assert await store.suppressed_rules(hashed(), NOW) == set()
    assert time.perf_counter() - started < 0.2
    assert store.healthy()  # slow is not down
    await store.close()  # the stuck lookup is cancelled, not awaited for 30 s


async def test_a_malformed_audit_does_not_stop_the_others(store_url: str, spool_dir: Path) -> None:
    store = await Store.open(store_url, spool_dir)
    store.record_call(make_call())
    store.record_call(replace(make_call(), rules_evaluated=(("no-version", "x"),)))  # type: ignore[arg-type]
    store.record_call(make_call())
    await store.flush()
    assert store.healthy() and store.pending() == 0
    store.record_call(make_call())  # the writer is still there
    await store.close()
    assert len(await rows(store_url, "audit_calls")) == 3


async def test_unreadable_spool_lines_are_set_aside(store_url: str, spool_dir: Path) -> None:
    spool_dir.mkdir()
    good = {"v": 1, "kind": "call", "id": "0f0e", "call": make_call().to_json()}
    (spool_dir / ACTIVE).write_text(json.dumps(good) + "\n" + '{"v": 1, "kind": "call", "id": "x"}\n' + '{"torn')
    store = await Store.open(store_url, spool_dir)
    assert store.pending() == 0
    await store.close()
    assert [row["id"] for row in await rows(store_url, "audit_calls")] == ["0f0e"]
    assert len((spool_dir / REJECTED).read_text().splitlines()) == 2


def test_audits_survive_the_spool_format() -> None:
    audit = make_call(cards=(card("a", "b"),), fired=(("a", 1),), evaluated=(("a", 1), ("b", 2)))
    assert CallAudit.from_json(json.loads(json.dumps(audit.to_json()))) == audit


# --- text no database can hold, the journal -------------------------------------------------------


@pytest.mark.parametrize("database_up", [True, False], ids=["database-up", "database-down"])
async def test_text_no_database_can_hold_is_stored_not_refused(
    database_up: bool, store_url: str, spool_dir: Path, tmp_path: Path
) -> None:
    """A lone surrogate (a JSON escape such as \\udc80) or a NUL in a comment or an error is written to
    the spool and the database with U+FFFD in its place, never a reason to lose the record."""
    shown = card("long-term-use")
    odd = "tapering\udc80 with GP\x00"
    store = await Store.open(store_url if database_up else UNREACHABLE_PG, spool_dir)
    store.record_call(replace(make_call(cards=(shown,)), errors=(f"prefetch: {odd}",)))
    outcome = await store.record_feedback("bzra-order-sign", [overridden(shown.uuid, "other", odd)], SUPPRESSING, 30, NOW)
    assert outcome.stored == 1
    await store.close()
    if not database_up:
        assert (spool_dir / ACTIVE).exists()
        store = await Store.open(store_url, spool_dir)
        await store.close()
    [feedback] = await rows(store_url, "feedback")
    [call] = await rows(store_url, "audit_calls")
    assert feedback["user_comment"] == "tapering\ufffd with GP\ufffd" and not feedback["unknown_card"]
    assert call["errors"] == ["prefetch: tapering\ufffd with GP\ufffd"]
    assert not (spool_dir / REJECTED).exists()


async def test_a_journal_left_by_a_crash_is_replayed_once(store_url: str, spool_dir: Path) -> None:
    """Records journaled by a run that died before writing them reach the database at the next start;
    one that had reached it already is not written twice."""
    written = (str(uuid.uuid4()), make_call())
    lost = [(str(uuid.uuid4()), make_call()) for _ in range(3)]
    store = await Store.open(store_url, spool_dir)
    async with store._write_lock:  # the record that made it to the database before the crash
        engine, _ = create_engine(store_url)
        async with engine.begin() as connection:
            await write_calls(connection, [written])
        await engine.dispose()
    await store.close()
    crashed = Journal(spool_dir / "journal", commit_seconds=0.005)
    crashed.start()
    for item in [written, *lost]:
        crashed.append(item[0], json_line({"v": 1, "kind": "call", "id": item[0], "call": item[1].to_json()}))
    await asyncio.sleep(0.02)  # (no close: the process "died" here)

    again = await Store.open(store_url, spool_dir, journal=True)
    assert again.pending() == 0
    await again.close()
    stored = await rows(store_url, "audit_calls")
    assert sorted(row["id"] for row in stored) == sorted(item[0] for item in [written, *lost])
    assert list((spool_dir / "journal").glob("journal-*")) == []


async def test_the_journal_keeps_only_what_is_not_written_yet(
    store_url: str, spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("service.store.journal.ROTATE_RECORDS", 3)
    store = await Store.open(store_url, spool_dir, journal=True)
    for _ in range(10):
        store.record_call(make_call())
    journal_files = list((spool_dir / "journal").glob("journal-*"))
    assert len(journal_files) == 4  # rotated every 3 records
    lines = sum(len(path.read_bytes().splitlines()) for path in journal_files)
    assert lines == 10
    await store.flush()
    for _ in range(200):  # the group commit closes the rotated files (within a few ms, on a quiet disk)
        if len(list((spool_dir / "journal").glob("journal-*"))) == 1:
            break
        await asyncio.sleep(0.01)
    assert len(list((spool_dir / "journal").glob("journal-*"))) == 1  # only the file being written
    await store.close()
    assert list((spool_dir / "journal").glob("journal-*")) == []
    assert len(await rows(store_url, "audit_calls")) == 10
