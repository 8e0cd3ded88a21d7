"""The store: audit of hook calls, feedback on cards and rule suppressions, kept in a database.

The hook path must never wait for the database: `record_call` writes the audit to a local journal
(so that a crash loses nothing that was answered, see `journal`) and puts it on a bounded queue,
which a background writer drains in batches (on SQLite, fresh batches are written by a thread with its
own connection, so that their CPU is not spent on the event loop: see `sqlite_writer`); `suppressed_rules`
answers within a short timeout, or with nothing. When the database is down (or starting, or shutting down: any error that
is not a refusal of the record's content, see `db.refuses_content`), records go to a local spool file and are replayed once it is back
(a maintenance task probes it every few seconds, and every open replays what a previous run left).
Nothing is lost on a clean shutdown: `close` writes out the queue, to the database or to the spool.

Replicas sharing the database share through it what must agree everywhere (see `shared`, `notify`):
used token ids (`claim_token`), the audit secret's fingerprint (`problems`), and suppression changes,
heard at once on PostgreSQL (`on_suppressions_changed`). A schema newer than this code is not touched.

Everything runs on one event loop; `record_call` must be called from it (asyncio.Queue is not
thread-safe).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from uuid6 import uuid7

from cds_hooks.models import Feedback
from service.store import queries
from service.store import shared
from service.store.db import (
    SQLITE_BUSY_TIMEOUT_S,
    SchemaMismatch,
    SchemaTooNew,
    check_schema,
    create_engine,
    is_unavailable,
    migrate,
    ping,
)
from service.store.journal import Journal, created_ns
from service.store.lines import json_line
from service.store.notify import ChangeFeed
from service.store.records import (
    CallAudit,
    FeedbackOutcome,
    RuleReport,
    Suppression,
    as_utc,
)
from service.errors import UnavailableError
from service.store.spool import Spool
from service.store.sqlite_writer import SqliteAuditWriter, database_path
from service.store.suppressed_patients import SuppressedPatients
from service.store.writes import CallsWritten, unique_items, write_calls, write_feedback

log = logging.getLogger(__name__)

BATCH_SIZE = 500
PROBE_SECONDS = 15.0  # how often an idle, healthy store pings the database (for /readyz)
CLOSE_TIMEOUT_SECONDS = 30.0
MAX_LOOKUPS_IN_FLIGHT = 64  # beyond this the database is too slow to help the hook path: skip it
SPOOL_FORMAT = 1
REPLAY_ROUNDS = 3
JOURNAL_COMMIT_SECONDS = 0.005  # the group commit: how long a record may wait for its fsync
# How long the writer lets audits gather before a write: each write has a cost whatever its size (through
# SQLAlchemy ~3 ms of CPU; on SQLite's writer thread, its transaction and commit), and one call at a time
# (measured in process) made it a batch of one, 2.5 ms of every call's CPU. At 50 ms, a service answering
# 70 calls a second still wrote batches of 3 or 4, 0.26 ms of the writer thread's CPU a call; at 200 ms,
# batches of about 14, 0.15 ms (bench/PROFILE.md, round 4). Audit rows reach the database that much later.
# The journal already holds each record, so the wait risks nothing; a flush cuts it short.
WRITE_GATHER_SECONDS = 0.2
PRUNE_SECONDS = 60.0  # how often the rows of expired tokens are deleted


class StoreUnavailable(UnavailableError):
    """The database cannot answer now (down, starting, or not this code's schema)."""

    code = "store_unavailable"

CallItem = tuple[str, CallAudit]  # (record id, audit): the id makes writes and replays idempotent


def _describe(error: BaseException) -> str:
    """An error's kind, without its message (which could quote stored values)."""
    original = getattr(error, "orig", None) if isinstance(error, DBAPIError) else None
    return type(error).__name__ + (f"/{type(original).__name__}" if original is not None else "")


class Store:
    def __init__(
        self,
        engine: AsyncEngine,
        schemas: list[str],
        spool: Spool,
        journal: Journal | None,
        *,
        queue_size: int,
        lookup_timeout: float,
        retry_seconds: float,
    ):
        self._engine = engine
        self._schemas = schemas
        self._spool = spool
        self._journal = journal
        self._queue: asyncio.Queue[CallItem] = asyncio.Queue(maxsize=max(queue_size, 1))
        self._lookup_timeout = lookup_timeout
        self._retry_seconds = retry_seconds
        self._flushing = 0  # flushes waiting: the writer does not pause to gather while any waits
        self._hurry = asyncio.Event()  # set by a flush or close: cuts the writer's pause short
        self._write_lock = asyncio.Lock()  # one write transaction at a time (SQLite needs it)
        self._replay_lock = asyncio.Lock()  # one replay at a time: two would read the same files
        self._healthy = False
        self._migrated = False  # the schema was migrated (or found current) and the secret compared
        self._migrate_schema = True  # False: `bzra-cds migrate` does it; the store only checks the revision
        self._closing = False
        self._closed = False
        self._in_flight = 0
        self._last_success = 0.0
        self._lookups: set[asyncio.Task[set[str]]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._secret_fingerprint: str | None = None
        self._problems: dict[str, str] = {}  # what makes this replica unfit to serve: schema, secret
        self._waiting_for: str | None = None  # why records wait in the spool though the database answers
        self._on_change: list[Callable[[], None]] = []
        self._suppressed: SuppressedPatients | None = None  # see `_keep_suppressed`
        self._suppressed_changed = asyncio.Event()
        self._feed: ChangeFeed | None = None
        self._last_prune = 0.0
        self._sqlite_writer: SqliteAuditWriter | None = None  # fresh audits on SQLite: see `sqlite_writer`

    @classmethod
    async def open(
        cls,
        url: str,
        spool_dir: Path,
        *,
        queue_size: int = 10000,
        lookup_timeout: float = 0.2,
        retry_seconds: float = 2.0,
        migrate_schema: bool = True,
        journal: bool = False,
        secret_fingerprint: str | None = None,
        listen: bool = False,
        suppression_check_seconds: float | None = None,
    ) -> Store:
        """Migrates the database (unless `migrate_schema` is false: `bzra-cds migrate` did it), replays
        the spool and starts the writer.

        With `journal` (the service; not a command-line tool beside it), every audit is journaled on the
        hook path, and the journal files a crashed run left are replayed first. `secret_fingerprint` is
        recorded in the database by the first replica and compared by the others (see `problems`).
        With `listen`, suppression changes made by other replicas are heard at once (PostgreSQL).
        With `suppression_check_seconds`, the patients with a suppression are kept in memory (see
        `suppressed_patients`; without notifications, changes by other processes are checked for that
        often), so that the hook path asks the database only for them.
        A database that cannot be reached does not stop the opening: the store starts unhealthy, spools,
        and keeps retrying. Only a URL that cannot work at all (unknown dialect or driver) raises.
        """
        engine, schemas = create_engine(url)
        spool = Spool(Path(spool_dir))
        log_book = Journal(Path(spool_dir) / "journal", JOURNAL_COMMIT_SECONDS) if journal else None
        if log_book is not None:
            for path in log_book.leftovers():
                spool.adopt(path, created_ns(path))
        store = cls(
            engine,
            schemas,
            spool,
            log_book,
            queue_size=queue_size,
            lookup_timeout=lookup_timeout,
            retry_seconds=retry_seconds,
        )
        store._secret_fingerprint = secret_fingerprint
        store._sqlite_writer = _sqlite_writer(url)
        store._migrate_schema = migrate_schema
        if await store._connect() and len(store._spool):
            await store._replay()
        if log_book is not None:
            log_book.start()
        store._tasks = [
            asyncio.create_task(store._writer(), name="bzra-store-writer"),
            asyncio.create_task(store._maintain(), name="bzra-store-maintenance"),
        ]
        if suppression_check_seconds is not None:
            await store._start_suppressed(SuppressedPatients(suppression_check_seconds))
        if listen and engine.dialect.name == "postgresql":
            store._feed = ChangeFeed(engine, store._announce_change)
            store._tasks.append(asyncio.create_task(store._feed.run(), name="bzra-store-change-feed"))
        return store

    # --- the hook path -------------------------------------------------------------------------

    def record_call(self, audit: CallAudit) -> None:
        """Journals and queues the audit of one hook call; never waits and never raises (a full queue
        spools)."""
        # The record id keys the audit tables (audit_rules' and audit_cards' keys begin with it): ids
        # that grow with time go in at the end of those indexes, random ones onto any page of them, and
        # those cost the writer twice the CPU a call by 160 MB of audit (bench/PROFILE.md, round 7).
        item: CallItem = (str(uuid7()), audit)
        if self._closing:
            self._spool_calls([item], sync=False)
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self._spool_calls([item], sync=False)
            return
        if self._journal is not None:
            try:
                self._journal.append(item[0], json_line(_call_record(item)))
            except OSError as error:  # a full disk: the record still has its place in the queue
                log.error("store: journaling an audit failed (%s)", _describe(error))

    def surely_unsuppressed(self, patient_hash: str, now: datetime) -> bool:
        """True when the patient surely has no suppression in force: no database lookup is needed."""
        return self._suppressed is not None and self._suppressed.surely_none(patient_hash, now, self.listening())

    async def suppressed_rules(self, patient_hash: str, now: datetime) -> set[str]:
        """Rules suppressed for this patient now; an empty set when the database is down or slow."""
        if not self._healthy or self._closing or len(self._lookups) >= MAX_LOOKUPS_IN_FLIGHT:
            return set()
        task = asyncio.create_task(self._lookup(patient_hash, now))
        self._lookups.add(task)
        task.add_done_callback(self._lookup_done)
        # asyncio.wait, not wait_for: a slow lookup is left to finish on its own rather than cancelled
        # inside the driver, and the hook call goes on without it.
        done, _ = await asyncio.wait({task}, timeout=self._lookup_timeout)
        if task in done and not task.cancelled() and task.exception() is None:
            return task.result()
        return set()

    async def _lookup(self, patient_hash: str, now: datetime) -> set[str]:
        try:
            async with self._engine.connect() as connection:
                return await queries.suppressed_rules(connection, patient_hash, now)
        except Exception as error:
            if is_unavailable(error):
                self._set_health(False, error)
            raise

    def _lookup_done(self, task: asyncio.Task[set[str]]) -> None:
        self._lookups.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.warning("store: suppression lookup failed (%s)", _describe(error))

    # --- feedback and administration ---------------------------------------------------------

    async def record_feedback(
        self,
        service_id: str,
        items: list[Feedback],
        suppressing_codes: set[str],
        suppression_days: int,
        now: datetime,
    ) -> FeedbackOutcome:
        """Stores feedback (after the queued audits, so its cards are found). If the database is down the
        feedback is spooled and counted as stored; its card lookup and suppressions happen at replay."""
        await self.flush()
        if self._healthy or await self._connect():
            for attempt in range(2):
                try:
                    async with self._write_lock, self._engine.begin() as connection:
                        outcome = await write_feedback(
                            connection, service_id, items, suppressing_codes, suppression_days, now
                        )
                    self._set_health(True)
                    if outcome.suppressions_created:
                        self._announce_change()
                    return outcome
                except IntegrityError:
                    if attempt:  # a concurrent replica stored the same keys; the second try skips them
                        log.error("store: feedback write conflicts persistently; spooling it")
                        break
                except Exception as error:  # noqa: BLE001 - spooled below, not lost
                    if is_unavailable(error):
                        self._set_health(False, error)
                    else:
                        log.error("store: feedback write failed (%s); spooling it", _describe(error))
                    break
        keyed, duplicates = unique_items(service_id, items)
        self._spool.append(
            [
                {
                    "v": SPOOL_FORMAT,
                    "kind": "feedback",
                    "service_id": service_id,
                    "items": [item.model_dump(mode="json", exclude_none=True) for _, item in keyed],
                    "suppressing_codes": sorted(suppressing_codes),
                    "suppression_days": suppression_days,
                    "now": as_utc(now).isoformat(),
                }
            ]
        )
        return FeedbackOutcome(stored=len(keyed), duplicates=duplicates, unknown_cards=0, suppressions_created=0)

    async def list_suppressions(self, active_only: bool = True, now: datetime | None = None) -> list[Suppression]:
        """All suppressions, or only those in force at `now` (default: the current time). Raises if the
        database is down."""
        async with self._engine.connect() as connection:
            return await queries.list_suppressions(connection, active_only, now or datetime.now(UTC))

    async def lift_suppression(self, suppression_id: int) -> bool:
        """Ends a suppression now; False if there is none with that id in force. Raises if the database
        is down."""
        async with self._write_lock, self._engine.begin() as connection:
            lifted = await queries.lift_suppression(connection, suppression_id)
        if lifted:
            self._announce_change()
        return lifted

    async def report(self, since: datetime | None = None) -> list[RuleReport]:
        """The per-rule report (see `queries.report`). Raises if the database is down."""
        async with self._engine.connect() as connection:
            return await queries.report(connection, since)

    def on_suppressions_changed(self, callback: Callable[[], None]) -> None:
        """Calls `callback` whenever suppressions change: here, or on another replica (heard through
        PostgreSQL notifications while `listening()`)."""
        self._on_change.append(callback)

    def _announce_change(self) -> None:
        if self._suppressed is not None:
            self._suppressed.changed()
            self._suppressed_changed.set()
        for callback in self._on_change:
            callback()

    # --- shared with the other replicas ------------------------------------------------------

    async def claim_token(self, key: str, expires_at: datetime) -> bool:
        """True on a token's first use across every replica sharing the database, False on a replay.
        Raises StoreUnavailable when the database cannot say."""
        if not self._healthy or self._closing or self._problems.get("schema"):
            raise StoreUnavailable("the database is not available")
        try:
            async with self._engine.begin() as connection:
                first = await shared.claim_token(connection, key, as_utc(expires_at))
        except Exception as error:
            if is_unavailable(error):
                self._set_health(False, error)
            raise StoreUnavailable(_describe(error)) from error
        self._set_health(True)
        return first

    def listening(self) -> bool:
        """Whether suppression changes on other replicas are heard at once (PostgreSQL notifications)."""
        return self._feed is not None and self._feed.listening

    def problems(self) -> dict[str, str]:
        """What makes this replica unfit to serve, by topic (`schema`, `audit_secret`); empty when none."""
        return dict(self._problems)

    # --- state -------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Waits until every audit queued so far is written (to the database, or the spool if it is
        down); with the database up, also replays the spool."""
        if self._tasks and not self._tasks[0].done():
            self._flushing += 1
            self._hurry.set()
            try:
                await self._queue.join()
            finally:
                self._flushing -= 1
        else:
            self._drain_to_spool()
        if self._healthy and len(self._spool):
            await self._replay()

    def healthy(self) -> bool:
        """Whether the last database write or ping succeeded."""
        return self._healthy and not self._closed

    def pending(self) -> int:
        """Records not in the database yet: queued, being written, or spooled."""
        return self._queue.qsize() + self._in_flight + len(self._spool)

    def rejected(self) -> int:
        """Records the database refused for their content, set aside in the spool's rejects file."""
        return self._spool.rejected

    async def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Writes out everything queued (to the database; what `timeout` leaves, to the spool), then
        stops. Idempotent."""
        if self._closed:
            return
        self._closing = True
        self._hurry.set()
        writer = self._tasks[0] if self._tasks else None
        if writer is not None and not writer.done():
            try:
                await asyncio.wait_for(self._queue.join(), timeout)
            except TimeoutError:
                log.warning("store: database too slow at shutdown; the rest goes to the spool")
        for task in [*self._tasks, *self._lookups]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._lookups, return_exceptions=True)
        self._drain_to_spool()
        if self._sqlite_writer is not None:
            await asyncio.to_thread(self._sqlite_writer.close)  # after the batches handed to it
        if self._journal is not None:
            await self._journal.close()
        self._closed = True
        self._healthy = False
        await self._engine.dispose()

    # --- background work ---------------------------------------------------------------------

    async def _writer(self) -> None:
        """Drains the queue in batches for as long as the store is open."""
        while True:
            batch = [await self._queue.get()]
            self._in_flight = 1  # still pending while it waits for others (see `pending`)
            try:
                await self._pause_to_gather()
                while len(batch) < BATCH_SIZE and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                self._in_flight = len(batch)
                await self._write_batch(batch)
            except asyncio.CancelledError:
                self._spool_calls(batch)  # possibly written already: the replay skips those by id
                raise
            except Exception as error:  # noqa: BLE001 - the writer must survive anything
                log.error("store: writing audits failed (%s); spooled", _describe(error))
                self._spool_calls(batch)
            finally:
                self._in_flight = 0
                for _ in batch:
                    self._queue.task_done()

    async def _pause_to_gather(self) -> None:
        """Lets more audits join the batch (see WRITE_GATHER_SECONDS), unless someone waits for them."""
        if self._flushing or self._closing or self._queue.qsize() >= BATCH_SIZE:
            return
        self._hurry.clear()
        try:
            await asyncio.wait_for(self._hurry.wait(), WRITE_GATHER_SECONDS)
        except TimeoutError:
            pass

    async def _write_batch(self, batch: list[CallItem]) -> None:
        if not self._healthy:
            self._spool_calls(batch)
            return
        stored = await self._write_calls(batch, fresh=True)
        if not stored:
            self._spool_calls(batch)

    async def _write_calls(self, batch: Sequence[CallItem], *, fresh: bool = False) -> bool:
        """Writes audits; False if the database is unavailable. Audits the database refuses as invalid
        are set aside one by one (to the spool's rejects) so they cannot block the others. `fresh`: the
        records come straight from the queue, so none can be in the database yet (see `write_calls`)."""
        try:
            written = await self._write_in_thread(batch) if fresh else None
            if written is None:
                async with self._write_lock, self._engine.begin() as connection:
                    written = await write_calls(connection, batch, fresh=fresh)
            self._set_health(True)
            self._settle(batch)
            if written.suppressions:  # feedback that came before these cards was linked
                self._announce_change()
            return True
        except Exception as error:  # noqa: BLE001
            if is_unavailable(error):
                self._set_health(False, error)
                return False
            if len(batch) == 1:
                log.error("store: an audit record was refused (%s); set aside", _describe(error))
                try:
                    self._spool.reject(_call_record(batch[0]))
                    self._settle(batch)
                except Exception as spool_error:  # noqa: BLE001 - it stays in the journal, if any
                    log.error("store: a refused audit record could not be set aside (%s)", _describe(spool_error))
                return True
        for item in batch:
            if not await self._write_calls([item], fresh=fresh):
                return False
        return True

    async def _write_in_thread(self, batch: Sequence[CallItem]) -> CallsWritten | None:
        """A fresh batch written by the SQLite writer's thread (see `sqlite_writer`); None when there is none
        or when feedback waits for one of the batch's cards (then nothing was written: `write_calls` links it)."""
        if self._sqlite_writer is None:
            return None
        async with self._write_lock:
            new = await asyncio.wrap_future(self._sqlite_writer.submit(batch))
        return CallsWritten(new, 0) if new is not None else None

    async def _maintain(self) -> None:
        """Probes the database (often while degraded, seldom when fine) and replays the spool."""
        while True:
            await asyncio.sleep(self._retry_seconds)
            await self._prune_tokens()
            degraded = not self._healthy or len(self._spool) > 0
            if not degraded and time.monotonic() - self._last_success < PROBE_SECONDS:
                continue
            try:
                if await self._connect() and len(self._spool):
                    await self._replay()
            except Exception as error:  # noqa: BLE001 - keep maintaining
                log.error("store: maintenance failed (%s)", _describe(error))

    async def _start_suppressed(self, suppressed: SuppressedPatients) -> None:
        self._suppressed = suppressed
        await self._refresh_suppressed(suppressed)
        self._tasks.append(asyncio.create_task(self._keep_suppressed(suppressed), name="bzra-store-suppressed"))

    async def _keep_suppressed(self, suppressed: SuppressedPatients) -> None:
        """Loads the suppressed patients again after each change; without notifications, also checks
        every `check_seconds` whether another process changed them. A failed load leaves the set
        distrusted (the per-patient lookups answer) until the next round."""
        check_seconds = suppressed.check_seconds or self._retry_seconds
        while True:
            try:
                await asyncio.wait_for(self._suppressed_changed.wait(), check_seconds)
            except TimeoutError:
                pass
            self._suppressed_changed.clear()
            await self._refresh_suppressed(suppressed)

    async def _refresh_suppressed(self, suppressed: SuppressedPatients) -> None:
        if not self._healthy or (suppressed.trusted() and self.listening()):
            return
        try:
            async with self._engine.connect() as connection:
                await suppressed.refresh(connection, self.listening())
        except Exception as error:  # noqa: BLE001 - distrusted meanwhile; tried again next round
            log.warning("store: loading the suppressed patients failed (%s)", _describe(error))

    async def _prune_tokens(self) -> None:
        if not self._healthy or time.monotonic() - self._last_prune < PRUNE_SECONDS:
            return
        self._last_prune = time.monotonic()
        try:
            async with self._engine.begin() as connection:
                await shared.prune_tokens(connection, datetime.now(UTC))
        except Exception as error:  # noqa: BLE001 - tried again at the next round
            log.warning("store: pruning expired token ids failed (%s)", _describe(error))

    async def _connect(self) -> bool:
        """Migrates on first contact (or, with `migrate_schema` false, checks that the schema is current),
        then compares the audit secret's fingerprint; pings after. Records the outcome as the store's health."""
        try:
            if self._migrated:
                await ping(self._engine)
            else:
                await (migrate(self._engine, self._schemas) if self._migrate_schema else check_schema(self._engine))
                self._problems.pop("schema", None)
                self._waiting_for = None
                await self._check_secret()
                self._migrated = True
        except SchemaMismatch as error:
            self._schema_mismatch(error)
            self._set_health(False, error)
            return False
        except Exception as error:  # noqa: BLE001
            if not is_unavailable(error):
                log.error("store: migration or ping failed (%s)", _describe(error))
            self._set_health(False, error)
            return False
        self._set_health(True)
        return True

    def _schema_mismatch(self, error: SchemaMismatch) -> None:
        """A newer schema makes this replica unfit (it is the wrong version); an older one, left to
        `bzra-cds migrate`, is waited for like a database outage: records wait in the spool."""
        if isinstance(error, SchemaTooNew):
            if self._problems.get("schema") != str(error):
                log.error("store: %s; this replica is not ready", error)
            self._problems["schema"] = str(error)
        else:
            if self._waiting_for != str(error):
                log.warning("store: %s; records wait in the spool until then", error)
            self._waiting_for = str(error)

    def waiting_for(self) -> str | None:
        """Why records wait in the spool although the database answers (a migration not run yet), if so."""
        return self._waiting_for

    async def _check_secret(self) -> None:
        """Records the audit secret's fingerprint if no replica did yet; a different one on record means
        this replica hashes patients differently: its suppressions would never meet the others'."""
        if self._secret_fingerprint is None:
            return
        async with self._engine.begin() as connection:
            recorded = await shared.agreed_fact(connection, shared.AUDIT_SECRET_FACT, self._secret_fingerprint)
        if recorded != self._secret_fingerprint:
            self._problems["audit_secret"] = (
                "BZRA_AUDIT_SECRET differs from the secret this database was first used with: "
                "set the same value on every replica"
            )
            log.error("store: %s; this replica is not ready", self._problems["audit_secret"])
        else:
            self._problems.pop("audit_secret", None)

    async def _replay(self) -> None:
        """Writes spooled records to the database, oldest file first; stops at the first outage."""
        async with self._replay_lock:
            for _ in range(REPLAY_ROUNDS):  # each round may find records spooled during the last one
                files = self._spool.claim()
                if not files:
                    return
                for path in files:
                    if not await self._replay_file(path):
                        return

    async def _replay_file(self, path: Path) -> bool:
        """A file's audits first, then its feedback (which looks up their cards); False at an outage."""
        calls: list[CallItem] = []
        feedback: list[dict[str, Any]] = []
        for record in self._spool.read(path):
            try:
                if record.get("kind") == "call":
                    calls.append((str(record["id"]), CallAudit.from_json(record["call"])))
                elif record.get("kind") == "feedback":
                    feedback.append(record)
                else:
                    self._spool.reject(record)
            except (KeyError, TypeError, ValueError):
                self._spool.reject(record)
        for start in range(0, len(calls), BATCH_SIZE):
            if not await self._write_calls(calls[start : start + BATCH_SIZE]):
                return False
        for record in feedback:
            if not await self._replay_feedback(record):
                return False
        self._spool.done(path)
        log.info("store: replayed %d audit and %d feedback record(s) from the spool", len(calls), len(feedback))
        return True

    async def _replay_feedback(self, record: dict[str, Any]) -> bool:
        try:
            items = [Feedback.model_validate(item) for item in record["items"]]
            arguments = (
                str(record["service_id"]),
                items,
                set(record["suppressing_codes"]),
                int(record["suppression_days"]),
                as_utc(datetime.fromisoformat(record["now"])),
            )
        except (KeyError, TypeError, ValueError):
            self._spool.reject(record)
            return True
        try:
            async with self._write_lock, self._engine.begin() as connection:
                outcome = await write_feedback(connection, *arguments)
        except Exception as error:  # noqa: BLE001
            if is_unavailable(error):
                self._set_health(False, error)
                return False
            log.error("store: a spooled feedback record was refused (%s); set aside", _describe(error))
            self._spool.reject(record)
            return True
        if outcome.suppressions_created:
            self._announce_change()
        return True

    # --- helpers -----------------------------------------------------------------------------

    def _spool_calls(self, batch: Sequence[CallItem], *, sync: bool = True) -> None:
        """Spools audits; never raises (the writer and the hook path must survive a full disk)."""
        try:
            self._spool.append([_call_record(item) for item in batch], sync=sync)
        except Exception as error:  # noqa: BLE001
            kept = " (they stay in the journal)" if self._journal is not None else ""
            log.error("store: %d audit record(s) not spooled (%s)%s", len(batch), _describe(error), kept)
            return
        self._settle(batch)

    def _settle(self, batch: Sequence[CallItem]) -> None:
        """The records are in the database or the spool: the journal may forget them."""
        if self._journal is not None:
            self._journal.settle(record_id for record_id, _ in batch)

    def _drain_to_spool(self) -> None:
        items: list[CallItem] = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
            self._queue.task_done()
        if items:
            self._spool_calls(items)

    def _set_health(self, healthy: bool, error: BaseException | None = None) -> None:
        if healthy and not self._healthy:
            log.info("store: database available")
        elif not healthy and self._healthy:
            log.warning(
                "store: database unavailable (%s); audits go to the spool until it is back",
                _describe(error) if error else "unknown",
            )
        self._healthy = healthy
        if healthy:
            self._last_success = time.monotonic()


def _sqlite_writer(url: str) -> SqliteAuditWriter | None:
    """The writer thread of a SQLite file's fresh audits (see `sqlite_writer`); None for other databases."""
    path = database_path(url)
    return SqliteAuditWriter(path, SQLITE_BUSY_TIMEOUT_S) if path is not None else None


def _call_record(item: CallItem) -> dict[str, Any]:
    record_id, audit = item
    return {"v": SPOOL_FORMAT, "kind": "call", "id": record_id, "call": audit.to_json()}
