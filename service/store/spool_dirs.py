"""One spool directory per running process, locked, and the directories of dead processes adopted.

Several processes share one data directory (`bzra-cds serve --workers N`, or a command-line tool beside
the service); a spool or journal read by two of them would be replayed twice or renamed under the
other's feet. So each process works in `spool/proc-*/` of its own, holding an exclusive `flock` on the
directory's `.lock` for as long as it runs. The kernel drops the lock when the process ends, however it
ends, so a directory whose lock can be taken belongs to nobody: its records (spool, replay files,
journal, rejects) are taken over by the process that finds it. Files an older version left directly in
`spool/` are taken over the same way. Scanning and taking over happen under `spool/.adopt.lock`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from service.store.journal import PREFIX as JOURNAL_PREFIX
from service.store.spool import ACTIVE, REJECTED, REPLAY_GLOB

LOCK_FILE = ".lock"
ADOPT_LOCK_FILE = ".adopt.lock"
DIR_PREFIX = "proc-"
JOURNAL_DIR = "journal"


@dataclass
class ClaimedDir:
    """A spool directory this process holds (the lock lasts as long as `descriptor` is open)."""

    path: Path
    descriptor: int

    def release(self) -> None:
        """Gives the directory up; removes it when nothing is left in it (a clean shutdown)."""
        if self.descriptor < 0:
            return
        with _adopt_lock(self.path.parent):
            if _is_empty(self.path):
                shutil.rmtree(self.path, ignore_errors=True)
            os.close(self.descriptor)
            self.descriptor = -1


def claim_spool_dir(root: Path) -> ClaimedDir:
    """A spool directory for this process: a dead process's (taken over as it is) or a new one; the
    records of every other dead process's directory, and of an older version's layout, are moved in."""
    root.mkdir(parents=True, exist_ok=True)
    with _adopt_lock(root):
        orphans = [claimed for path in sorted(root.glob(f"{DIR_PREFIX}*")) if (claimed := _try_lock(path))]
        own = orphans.pop(0) if orphans else _new_dir(root)
        for orphan in orphans:
            _move_records(orphan.path, own.path)
            shutil.rmtree(orphan.path, ignore_errors=True)
            os.close(orphan.descriptor)
        _move_records(root, own.path)  # an older version's spool, directly in `spool/`
    return own


@contextmanager
def _adopt_lock(root: Path) -> Iterator[None]:
    descriptor = os.open(root / ADOPT_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _try_lock(path: Path) -> ClaimedDir | None:
    """The directory, locked, if no running process holds it."""
    if not path.is_dir():
        return None
    descriptor = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return ClaimedDir(path, descriptor)


def _new_dir(root: Path) -> ClaimedDir:
    path = root / f"{DIR_PREFIX}{uuid.uuid4().hex[:12]}"
    path.mkdir()
    claimed = _try_lock(path)
    assert claimed is not None  # nobody else knows the new name
    return claimed


def _move_records(source: Path, target: Path) -> None:
    """Moves a dead process's records into `target`: its spool and replay files become replay files,
    its journal files join the journal (replayed at the store's opening), its rejects are appended."""
    active = source / ACTIVE
    if active.exists():
        _move(active, target / f"replay-{time.time_ns():020d}-{os.getpid()}-adopted.jsonl")
    for replay in sorted(source.glob(REPLAY_GLOB)):
        _move(replay, target / replay.name)
    journal = source / JOURNAL_DIR
    if journal.is_dir():
        (target / JOURNAL_DIR).mkdir(exist_ok=True)
        for path in journal.glob(f"{JOURNAL_PREFIX}*.jsonl"):
            _move(path, target / JOURNAL_DIR / path.name)
    rejected = source / REJECTED
    if rejected.exists():
        with open(target / REJECTED, "ab") as into:
            into.write(rejected.read_bytes())
            into.flush()
            os.fsync(into.fileno())
        rejected.unlink()


def _move(path: Path, target: Path) -> None:
    while target.exists():  # names carry times and pids: a clash is rare, but never overwrite
        target = target.with_name(f"{target.stem}-{uuid.uuid4().hex[:6]}{target.suffix}")
    path.rename(target)


def _is_empty(path: Path) -> bool:
    """Nothing left to replay or look at: no spool, replay, reject or journal file."""
    files = [p for p in path.rglob("*") if p.is_file() and p.name != LOCK_FILE]
    return not files
