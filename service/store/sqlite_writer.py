"""Writes fresh audit batches to SQLite from a thread of its own, with plain `executemany`.

Why: through SQLAlchemy and aiosqlite a batch cost the event loop ~1.5 ms of CPU plus ~0.2 ms a record
(statement parameters built row by row in Python, six hops to aiosqlite's thread and back). At half the
service's capacity that was about a tenth of each call's CPU, spent in lumps that every call arriving
meanwhile waited behind (the p99 of the open-loop run). Here the loop only hands the batch over; the
thread binds pre-written statements' rows in C (`sqlite3.executemany`) on its own connection, and the
loop hears back once per batch.

The rows are the ones `writes.write_calls` makes, stored exactly as SQLAlchemy stores them on SQLite
(timestamps as naive UTC text with microseconds, JSON through `json.dumps`, booleans as 0/1), so that
reading them back is unchanged (a test compares the two paths row by row). Only fresh batches come here
(records straight from the queue, none stored before): when one of their cards has feedback waiting for
it (feedback that reached the database before its card's audit, rare), the transaction is rolled back
and the outcome None tells the store to write that batch the usual way, which links it. A refusal of
content is raised as SQLAlchemy's `IntegrityError`/`DataError`, so `db.refuses_content` judges it as
before; any other error means the database cannot take records now.

One writer per store (one process): the store's write lock keeps its transactions apart from the
SQLAlchemy ones, and SQLite's busy timeout from other processes' (workers sharing the file).
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, IntegrityError

from service.store.records import CallAudit, as_utc
from service.store.writes import _all_storable, _rule_rows, _storable, call_row, cards_of

log = logging.getLogger(__name__)

_STOP = object()
_INSERT_CALLS = (
    "INSERT INTO audit_calls (id, hook_instance, service_id, hook, received_at, latency_ms, patient_hash, "
    "sources, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_RULES = "INSERT INTO audit_rules (call_id, rule_id, rule_version, fired) VALUES (?, ?, ?, ?)"
_INSERT_CARDS = "INSERT INTO audit_cards (call_id, uuid, indicator, patient_hash, rules) VALUES (?, ?, ?, ?, ?)"
_WAITING_FEEDBACK = "SELECT 1 FROM feedback WHERE unknown_card = 1 AND card_uuid IN ({}) LIMIT 1"
_MAX_VARIABLES = 500  # per IN list: below SQLite's smallest build limit (999)


def database_path(url: str) -> str | None:
    """The file of a SQLite URL that a second connection would open too; None for anything else (another
    database, an in-memory one, a `file:` URI)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:") or parsed.query:
        return None
    return database


def sqlite_time(moment: datetime) -> str:
    """How SQLAlchemy's DateTime stores a timestamp on SQLite (`models.UTCDateTime` makes it naive UTC)."""
    return as_utc(moment).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def batch_rows(records: Sequence[tuple[str, CallAudit]]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The calls', rules' and cards' rows of a fresh batch, as `writes.write_calls` makes them (its dicts,
    made storable the same way), in the order of the statements' columns."""
    calls: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    cards: list[dict[str, Any]] = []
    for record_id, audit in records:
        calls.append({**call_row(record_id, audit), "received_at": sqlite_time(audit.received_at)})
        rules.extend(_rule_rows(record_id, audit))
        cards.extend(cards_of(record_id, audit))
    calls, rules, cards = (rows if _all_storable(rows) else [_storable(row) for row in rows] for rows in (calls, rules, cards))
    return (
        [(c["id"], c["hook_instance"], c["service_id"], c["hook"], c["received_at"], c["latency_ms"],
          c["patient_hash"], json.dumps(c["sources"]), json.dumps(c["errors"])) for c in calls],
        [(r["call_id"], r["rule_id"], r["rule_version"], int(r["fired"])) for r in rules],
        [(c["call_id"], c["uuid"], c["indicator"], c["patient_hash"], json.dumps(c["rules"])) for c in cards],
    )


class SqliteAuditWriter:
    """A thread with its own connection; `submit` hands it a batch and returns a future of its outcome."""

    def __init__(self, path: str, busy_timeout: float):
        self._path = path
        self._busy_timeout = busy_timeout
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="bzra-audit-sqlite", daemon=True)
        self._thread.start()

    def submit(self, records: Sequence[tuple[str, CallAudit]]) -> Future[int | None]:
        """Writes the batch in one transaction; the future gives the number of calls written, None when
        feedback waits for one of its cards (nothing written: `writes.write_calls` must link it), or raises
        the database's error (nothing written)."""
        future: Future[int | None] = Future()
        self._jobs.put((future, list(records)))
        return future

    def close(self, timeout: float | None = None) -> None:
        """Stops after the batches already submitted (call from a thread: it waits for them)."""
        self._jobs.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        while True:
            job = self._jobs.get()
            if job is _STOP:
                break
            future, records = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if connection is None:
                    connection = self._connect()
                future.set_result(_write(connection, records))
            except BaseException as error:  # noqa: BLE001 - handed to the store, which decides
                if connection is not None:
                    connection.close()  # a connection in an unknown state is not reused
                    connection = None
                future.set_exception(_as_sqlalchemy(error))
        if connection is not None:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")  # the same pragmas as `db.create_engine`'s connections
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        return connection


def _write(connection: sqlite3.Connection, records: list[tuple[str, CallAudit]]) -> int | None:
    calls, rules, cards = batch_rows(records)
    connection.execute("BEGIN")
    try:
        connection.executemany(_INSERT_CALLS, calls)
        connection.executemany(_INSERT_RULES, rules)
        connection.executemany(_INSERT_CARDS, cards)
        uuids = [card[1] for card in cards]
        for start in range(0, len(uuids), _MAX_VARIABLES):
            part = uuids[start : start + _MAX_VARIABLES]
            if connection.execute(_WAITING_FEEDBACK.format(",".join("?" * len(part))), part).fetchone():
                connection.execute("ROLLBACK")
                return None
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return len(calls)


def _as_sqlalchemy(error: BaseException) -> BaseException:
    """The driver's refusals of content as SQLAlchemy's (what `db.refuses_content` knows); others as they are."""
    if isinstance(error, sqlite3.IntegrityError):
        return IntegrityError("INSERT audit rows", None, error)
    if isinstance(error, sqlite3.DataError):
        return DataError("INSERT audit rows", None, error)
    return error
