"""A local JSON-lines file where records wait while the database cannot take them.

Appends go to `spool.jsonl`. A replay first renames it to `replay-*.jsonl` (atomic), so records
spooled during the replay go to a fresh file; a replay file is deleted only once all of it is in the
database, and records are idempotent, so a replay cut short is simply done again. Lines that cannot be
read, or that the database refuses as invalid, are moved to `rejected.jsonl` to be looked at by hand
instead of blocking the replay for ever; only a record whose content the database refused goes there
(an outage never does: see `db.refuses_content`), and `rejected` counts them for `/readyz` and `/metrics`.
Appends from the writer are fsynced: a record in the spool has left the journal (see `journal`).

One spool directory belongs to one running store (one replica). Records hold no patient identifiers,
only the patient hash, like the database.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from service import metrics
from service.store.lines import json_line

log = logging.getLogger(__name__)

ACTIVE = "spool.jsonl"
REJECTED = "rejected.jsonl"
REPLAY_GLOB = "replay-*.jsonl"


class Spool:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._count = sum(_line_count(path) for path in self._files())
        self.rejected = _line_count(directory / REJECTED)
        metrics.AUDIT_REJECTED.set(self.rejected)

    def __len__(self) -> int:
        """Records waiting, counted without reading the files (kept up to date on every change)."""
        return self._count

    def append(self, records: Iterable[dict[str, Any]], *, sync: bool = True) -> int:
        """Appends records; `sync=False` skips the fsync (the hook path must not wait on the disk:
        the write alone survives a crash of the process, not of the machine)."""
        lines = [json_line(record) for record in records]
        if lines:
            _append(self.directory / ACTIVE, b"".join(lines), sync)
            self._count += len(lines)
        return len(lines)

    def adopt(self, path: Path, created_ns: int) -> None:
        """Takes a file of records in the spool's format (a journal left by a crash) as one to replay,
        ordered by when it was begun."""
        lines = _line_count(path)
        path.rename(self.directory / f"replay-{created_ns:020d}-{os.getpid()}-adopted.jsonl")
        self._count += lines

    def claim(self) -> list[Path]:
        """The files to replay, oldest first. Only once earlier replay files are gone is the active file
        renamed into one (so appends go to a fresh file): a long outage leaves two files, not hundreds."""
        claimed = sorted(self.directory.glob(REPLAY_GLOB))
        active = self.directory / ACTIVE
        if not claimed and active.exists():
            target = self.directory / f"replay-{time.time_ns():020d}-{os.getpid()}.jsonl"
            active.rename(target)
            claimed = [target]
        return claimed

    def read(self, path: Path) -> Iterator[dict[str, Any]]:
        """The records of a claimed file; unreadable lines (e.g. a torn last line) go to the rejects."""
        with open(path, encoding="utf-8", errors="surrogateescape") as file:
            for line in file:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    self._reject_lines([line])
                    continue
                if isinstance(record, dict):
                    yield record
                else:
                    self._reject_lines([line])

    def reject(self, record: dict[str, Any]) -> None:
        """Keeps a record the database refused, out of the replay (counted out of `len`)."""
        self._reject_lines([json_line(record).decode("utf-8")])

    def done(self, path: Path) -> None:
        """A claimed file is fully replayed: delete it."""
        lines = _line_count(path)
        path.unlink(missing_ok=True)
        self._count = max(0, self._count - lines)

    def _reject_lines(self, lines: list[str]) -> None:
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        _append(self.directory / REJECTED, text.encode("utf-8", "surrogateescape"), sync=True)
        self.rejected += len(lines)
        metrics.AUDIT_REJECTED.set(self.rejected)
        log.warning("store spool: %d record(s) moved to %s", len(lines), REJECTED)

    def _files(self) -> list[Path]:
        return [*sorted(self.directory.glob(REPLAY_GLOB)), self.directory / ACTIVE]


def _append(path: Path, data: bytes, sync: bool) -> None:
    with open(path, "ab") as file:
        file.write(data)
        if sync:
            file.flush()
            os.fsync(file.fileno())


def _line_count(path: Path) -> int:
    try:
        with open(path, "rb") as file:
            return sum(1 for line in file if line.strip())
    except FileNotFoundError:
        return 0
