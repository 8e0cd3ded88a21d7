"""A local journal of audit records, so that a crash loses no record of a call that was answered.

The audit queue to the database can fall behind under load, and a `kill -9` loses whatever it holds.
So each record is also appended to a journal file on the hook path, before the answer goes out: one
`write(2)`, after which the kernel has it whatever happens to the process. A thread of its own fsyncs
the file every few milliseconds (a group commit: one fsync covers every record of that interval), so
a power cut loses at most that interval. A thread, not an asyncio task handing each fsync to the
default executor: at half the service's capacity that task woke the event loop about once a call (its
timer, the executor's hand-over and the answer back), ~0.15 ms of CPU a record measured in process.

A record is settled once the writer has put it in the database or in the spool (which fsyncs its
own appends); a journal file whose records are all settled is deleted. At start, the files a crashed
run left behind go to the spool, whose replay writes them idempotently (each line carries its record
id). The lines have the spool's format. One journal directory belongs to one running store.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "journal-"
ROTATE_RECORDS = 20_000  # a file is closed after this many records, so settled ones can be deleted


def created_ns(path: Path) -> int:
    """When a journal file was begun, from its name (`journal-<ns>-<pid>.jsonl`)."""
    try:
        return int(path.name[len(PREFIX) :].split("-")[0])
    except ValueError:
        return 0


class Journal:
    def __init__(self, directory: Path, commit_seconds: float):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._commit_seconds = commit_seconds
        self._path: Path | None = None
        self._fd = -1
        self._records_in_file = 0
        self._unsynced = False
        self._to_close: list[tuple[int, Path]] = []  # rotated files: fsync, close, delete once settled
        self._file_of: dict[str, Path] = {}  # record id -> its journal file, until settled
        self._unsettled: Counter[Path] = Counter()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._written = threading.Event()  # set by `append`: the commit thread sleeps until there is work
        self._lock = threading.Lock()  # `_to_close` and the fd to sync, between the loop and the thread

    def leftovers(self) -> list[Path]:
        """Files of an earlier run (call before `start`): records that may never have reached the database."""
        return sorted(self.directory.glob(f"{PREFIX}*.jsonl"), key=created_ns)

    def start(self) -> None:
        self._open_file()
        self._thread = threading.Thread(target=self._commit_loop, name="bzra-journal-commit", daemon=True)
        self._thread.start()

    def append(self, record_id: str, line: bytes) -> None:
        """Writes one record's line now (the group commit makes it durable within `commit_seconds`)."""
        if self._fd < 0:
            raise RuntimeError("the journal is not open")
        os.write(self._fd, line)
        assert self._path is not None
        self._file_of[record_id] = self._path
        self._unsettled[self._path] += 1
        self._unsynced = True
        if not self._written.is_set():
            self._written.set()
        self._records_in_file += 1
        if self._records_in_file >= ROTATE_RECORDS:
            with self._lock:
                self._to_close.append((self._fd, self._path))
                self._open_file()

    def settle(self, record_ids: Iterable[str]) -> None:
        """These records are in the database or the spool: their journal lines are no longer needed."""
        for record_id in record_ids:
            path = self._file_of.pop(record_id, None)
            if path is None:
                continue
            self._unsettled[path] -= 1
            if self._unsettled[path] <= 0:
                del self._unsettled[path]
                with self._lock:
                    closed = path != self._path and all(path != closing for _, closing in self._to_close)
                if closed:
                    path.unlink(missing_ok=True)  # closed already (or being closed: it is gone either way)

    def unsettled(self) -> int:
        return len(self._file_of)

    async def close(self) -> None:
        """Syncs and closes; deletes every file whose records are all settled (after a clean shutdown, all)."""
        self._stopping = True  # the thread ends its round: an fsync must end before the file is closed
        self._written.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
        if self._fd >= 0:
            assert self._path is not None
            self._to_close.append((self._fd, self._path))
            self._fd, self._path = -1, None
        closing, self._to_close = self._to_close, []
        self._sync_and_close(closing)

    def _commit_loop(self) -> None:
        """The group commit, in its own thread (the event loop never waits on the disk, nor wakes for it).
        It waits for a write, then `commit_seconds` for the others of its group: an idle service does not
        wake up."""
        while not self._stopping:
            self._written.wait()
            time.sleep(self._commit_seconds)
            self._written.clear()
            try:
                with self._lock:
                    fd = self._fd
                    closing, self._to_close = self._to_close, []
                if self._unsynced and fd >= 0:
                    self._unsynced = False  # (before the fsync: a write after it is synced next round)
                    os.fsync(fd)
                if closing:
                    self._sync_and_close(closing)
            except OSError as error:
                log.error("journal: fsync failed (%s); records stay in the file", type(error).__name__)

    def _sync_and_close(self, closing: list[tuple[int, Path]]) -> None:
        for fd, path in closing:
            os.fsync(fd)
            os.close(fd)
            with self._lock:
                settled = self._unsettled.get(path, 0) <= 0
            if settled:
                path.unlink(missing_ok=True)

    def _open_file(self) -> None:
        self._path = self.directory / f"{PREFIX}{time.time_ns():020d}-{os.getpid()}.jsonl"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._records_in_file = 0
