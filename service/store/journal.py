"""A local journal of audit records, so that a crash loses no record of a call that was answered.

The audit queue to the database can fall behind under load, and a `kill -9` loses whatever it holds.
So each record is also appended to a journal file on the hook path, before the answer goes out: one
`write(2)`, after which the kernel has it whatever happens to the process. A background task fsyncs
the file every few milliseconds (a group commit: one fsync covers every record of that interval), so
a power cut loses at most that interval.

A record is settled once the writer has put it in the database or in the spool (which fsyncs its
own appends); a journal file whose records are all settled is deleted. At start, the files a crashed
run left behind go to the spool, whose replay writes them idempotently (each line carries its record
id). The lines have the spool's format. One journal directory belongs to one running store.
"""

from __future__ import annotations

import asyncio
import logging
import os
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
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._written = asyncio.Event()  # set by `append`: the commit loop sleeps until there is work

    def leftovers(self) -> list[Path]:
        """Files of an earlier run (call before `start`): records that may never have reached the database."""
        return sorted(self.directory.glob(f"{PREFIX}*.jsonl"), key=created_ns)

    def start(self) -> None:
        self._open_file()
        self._task = asyncio.create_task(self._commit_loop(), name="bzra-journal-commit")

    def append(self, record_id: str, line: bytes) -> None:
        """Writes one record's line now (the group commit makes it durable within `commit_seconds`)."""
        if self._fd < 0:
            raise RuntimeError("the journal is not open")
        os.write(self._fd, line)
        assert self._path is not None
        self._file_of[record_id] = self._path
        self._unsettled[self._path] += 1
        self._unsynced = True
        self._written.set()
        self._records_in_file += 1
        if self._records_in_file >= ROTATE_RECORDS:
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
                if path != self._path and all(path != closing for _, closing in self._to_close):
                    path.unlink(missing_ok=True)  # closed already (or being closed: it is gone either way)

    def unsettled(self) -> int:
        return len(self._file_of)

    async def close(self) -> None:
        """Syncs and closes; deletes every file whose records are all settled (after a clean shutdown, all)."""
        self._stopping = True  # not cancelled: an fsync in its thread must end before the file is closed
        self._written.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        if self._fd >= 0:
            assert self._path is not None
            self._to_close.append((self._fd, self._path))
            self._fd, self._path = -1, None
        closing, self._to_close = self._to_close, []
        self._sync_and_close(closing)

    async def _commit_loop(self) -> None:
        """The group commit: fsync in a thread (the event loop never waits on the disk). It waits for a
        write, then `commit_seconds` for the others of its group: an idle service does not wake up."""
        while not self._stopping:
            await self._written.wait()
            await asyncio.sleep(self._commit_seconds)
            self._written.clear()
            try:
                if self._unsynced and self._fd >= 0:
                    self._unsynced = False
                    await asyncio.to_thread(os.fsync, self._fd)
                if self._to_close:
                    closing, self._to_close = self._to_close, []
                    await asyncio.to_thread(self._sync_and_close, closing)
            except OSError as error:
                log.error("journal: fsync failed (%s); records stay in the file", type(error).__name__)

    def _sync_and_close(self, closing: list[tuple[int, Path]]) -> None:
        for fd, path in closing:
            os.fsync(fd)
            os.close(fd)
            if self._unsettled.get(path, 0) <= 0:
                path.unlink(missing_ok=True)

    def _open_file(self) -> None:
        self._path = self.directory / f"{PREFIX}{time.time_ns():020d}-{os.getpid()}.jsonl"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._records_in_file = 0
