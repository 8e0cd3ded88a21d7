"""The SQLite audit writer's thread: the rows it stores are the SQLAlchemy path's, batches land in the order
handed over, a failed batch is reported (not fatal to the thread), feedback waiting for a card sends the
batch back, and closing writes what was handed over first."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from concurrent.futures import Future
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from service.store import Store
from service.store.db import SQLITE_BUSY_TIMEOUT_S, create_engine
from service.store.records import CallAudit, CardAudit
from service.store.sqlite_writer import SqliteAuditWriter, database_path
from service.store.writes import write_calls
from tests.support.store_support import NOW, card, hashed, make_call, overridden

pytestmark = pytest.mark.anyio

TABLES = ("audit_calls", "audit_rules", "audit_cards")


async def _migrated(tmp_path: Path, name: str) -> tuple[str, str]:
    """(URL, file) of a new SQLite database with the store's schema."""
    path = tmp_path / name
    url = f"sqlite+aiosqlite:///{path}"
    store = await Store.open(url, tmp_path / f"spool-{name}")
    await store.close()
    return url, str(path)


def _raw(path: str, table: str) -> list[tuple[Any, ...]]:
    """The rows as SQLite holds them (text, numbers), not as SQLAlchemy reads them back."""
    with sqlite3.connect(path) as connection:
        return connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def _audits() -> list[tuple[str, CallAudit]]:
    shown = card("bzra-older-adult", "bzra-older-adult", "bzra-long-duration")
    odd_text = replace(make_call(), hook_instance="instance-\udc80-\x00-end", sources={"conditions": "fhir\x00"})
    return [
        (str(uuid.uuid4()), make_call(cards=(shown, shown), fired=(("bzra-older-adult", 3),),
                                      evaluated=(("bzra-older-adult", 3), ("bzra-long-duration", 1)),
                                      latency_ms=7.25, at=NOW + timedelta(microseconds=1))),
        (str(uuid.uuid4()), make_call(at=NOW)),  # a whole second: SQLAlchemy still writes the microseconds
        (str(uuid.uuid4()), odd_text),
    ]


async def test_the_rows_are_stored_exactly_as_the_sqlalchemy_path_stores_them(tmp_path: Path) -> None:
    audits = _audits()
    url, through_sqlalchemy = await _migrated(tmp_path, "a.db")
    _, through_thread = await _migrated(tmp_path, "b.db")
    engine, _ = create_engine(url)
    try:
        async with engine.begin() as connection:
            await write_calls(connection, audits, fresh=True)
    finally:
        await engine.dispose()
    writer = SqliteAuditWriter(through_thread, SQLITE_BUSY_TIMEOUT_S)
    try:
        assert writer.submit(audits).result(timeout=10) == 3
    finally:
        writer.close()
    for table in TABLES:
        expected = _raw(through_sqlalchemy, table)
        assert expected and _raw(through_thread, table) == expected, table


async def test_batches_land_in_the_order_handed_over_and_close_writes_them_first(tmp_path: Path) -> None:
    _, path = await _migrated(tmp_path, "a.db")
    writer = SqliteAuditWriter(path, SQLITE_BUSY_TIMEOUT_S)
    batches = [[(str(uuid.uuid4()), make_call())] for _ in range(20)]
    futures = [writer.submit(batch) for batch in batches]
    writer.close()  # returns once everything handed over is written
    assert all(future.done() and future.result() == 1 for future in futures)
    assert [row[0] for row in _raw(path, "audit_calls")] == [batch[0][0] for batch in batches]


async def test_a_refused_batch_is_reported_rolled_back_and_the_thread_goes_on(tmp_path: Path) -> None:
    _, path = await _migrated(tmp_path, "a.db")
    writer = SqliteAuditWriter(path, SQLITE_BUSY_TIMEOUT_S)
    try:
        first = (str(uuid.uuid4()), make_call(cards=(card("r1"),), fired=(("r1", 1),)))
        assert writer.submit([first]).result(timeout=10) == 1
        fresh = (str(uuid.uuid4()), make_call())
        with pytest.raises(IntegrityError):  # SQLAlchemy's type, as `db.refuses_content` knows it
            writer.submit([fresh, first]).result(timeout=10)  # the second repeats a stored id
        assert writer.submit([(str(uuid.uuid4()), make_call())]).result(timeout=10) == 1
    finally:
        writer.close()
    ids = [row[0] for row in _raw(path, "audit_calls")]
    assert len(ids) == 2 and fresh[0] not in ids  # nothing of the refused batch stayed


async def test_a_database_without_the_schema_fails_the_batch_not_the_thread(tmp_path: Path) -> None:
    _, path = await _migrated(tmp_path, "a.db")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    writer = SqliteAuditWriter(str(empty), SQLITE_BUSY_TIMEOUT_S)
    try:
        with pytest.raises(sqlite3.OperationalError):
            writer.submit([(str(uuid.uuid4()), make_call())]).result(timeout=10)
        writer._path = path  # the database comes back (the next batch opens a new connection)
        assert writer.submit([(str(uuid.uuid4()), make_call())]).result(timeout=10) == 1
    finally:
        writer.close()


async def _override_before_its_audit(store: Store) -> CardAudit:
    """A card of the older-adult rule overridden (suppressing) before its call's audit is stored."""
    shown = card("bzra-older-adult")
    await store.record_feedback("bzra-order-sign", [overridden(shown.uuid, "patient-declined")],
                                {"patient-declined"}, 30, NOW)
    return shown


async def test_feedback_waiting_for_a_card_sends_the_batch_back_unwritten(tmp_path: Path) -> None:
    url, path = await _migrated(tmp_path, "a.db")
    store = await Store.open(url, tmp_path / "spool")
    try:
        shown = await _override_before_its_audit(store)
    finally:
        await store.close()
    writer = SqliteAuditWriter(path, SQLITE_BUSY_TIMEOUT_S)
    try:
        sent = writer.submit([(str(uuid.uuid4()), make_call(cards=(shown,), fired=(("bzra-older-adult", 1),)))])
        assert sent.result(timeout=10) is None
        assert writer.submit([(str(uuid.uuid4()), make_call())]).result(timeout=10) == 1  # the next goes on
    finally:
        writer.close()
    assert len(_raw(path, "audit_calls")) == 1  # the one sent back was rolled back


async def test_the_store_links_feedback_that_came_before_its_cards_audit(tmp_path: Path) -> None:
    """The store's side of the sending back: the batch goes through `write_calls`, which links it."""
    url, path = await _migrated(tmp_path, "a.db")
    store = await Store.open(url, tmp_path / "spool")
    try:
        shown = await _override_before_its_audit(store)
        store.record_call(make_call(cards=(shown,), fired=(("bzra-older-adult", 1),)))
        store.record_call(make_call())
        await store.flush()
        assert store.pending() == 0
        assert await store.suppressed_rules(hashed(), NOW + timedelta(days=1)) == {"bzra-older-adult"}
    finally:
        await store.close()
    assert len(_raw(path, "audit_calls")) == 2


async def test_an_outage_of_the_thread_s_database_spools_and_is_replayed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, path = await _migrated(tmp_path, "a.db")
    store = await Store.open(url, tmp_path / "spool", retry_seconds=0.05)
    original = SqliteAuditWriter.submit
    failing = True

    def submit(self: SqliteAuditWriter, records: Any) -> Any:
        future = original(self, records)
        if failing:
            future.result(timeout=10)  # let it finish, then report an outage instead
            failed: Future[int | None] = Future()
            failed.set_exception(OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error")))
            return failed
        return future

    monkeypatch.setattr(SqliteAuditWriter, "submit", submit)
    try:
        store.record_call(make_call())
        await store.flush()
        assert not store.healthy() and store.pending() == 1  # spooled, not lost
        failing = False
        for _ in range(100):
            if store.pending() == 0 and store.healthy():
                break
            await asyncio.sleep(0.02)
        assert store.pending() == 0 and store.healthy()
    finally:
        await store.close()
    assert len(_raw(path, "audit_calls")) == 1  # the replay skipped the record written before the "outage"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:////data/bzra.db", "/data/bzra.db"),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+aiosqlite://", None),
        ("sqlite+aiosqlite:///file:bzra?mode=memory&uri=true", None),
        ("postgresql+asyncpg://postgres@127.0.0.1:5432/test", None),
    ],
)
def test_only_a_sqlite_file_gets_a_writer_thread(url: str, expected: str | None) -> None:
    assert database_path(url) == expected
