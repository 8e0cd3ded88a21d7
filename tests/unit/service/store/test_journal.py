"""The journal's group commit: a write is fsynced within the commit interval; an idle journal sleeps."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from service.store import journal as journal_module
from service.store.journal import Journal


@pytest.mark.anyio
async def test_an_idle_journal_does_not_wake_and_a_write_is_synced_within_the_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(journal_module.os, "fsync", lambda fd: synced.append(fd))
    sleeps: list[float] = []
    real_time_sleep = journal_module.time.sleep

    def counted_sleep(seconds: float) -> None:
        if threading.current_thread().name == "bzra-journal-commit":
            sleeps.append(seconds)
        real_time_sleep(seconds)

    monkeypatch.setattr(journal_module.time, "sleep", counted_sleep)
    real_sleep = asyncio.sleep
    log = Journal(tmp_path, commit_seconds=0.005)
    log.start()
    await real_sleep(0.1)
    assert sleeps == [] and synced == []  # twenty commit intervals went by with nothing written
    log.append("record-1", b'{"id": "record-1"}\n')
    await real_sleep(0.05)
    assert len(synced) == 1 and len(sleeps) == 1
    await log.close()


@pytest.mark.anyio
async def test_a_failed_fsync_is_logged_and_the_next_write_is_synced_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    synced: list[int] = []
    failures = [OSError("disk full")]

    def flaky_fsync(fd: int) -> None:
        if failures:
            raise failures.pop()
        synced.append(fd)

    monkeypatch.setattr(journal_module.os, "fsync", flaky_fsync)
    log = Journal(tmp_path, commit_seconds=0.002)
    log.start()
    log.append("record-1", b'{"id": "record-1"}\n')
    await asyncio.sleep(0.05)
    assert synced == [] and "fsync failed" in caplog.text  # reported; the thread goes on
    log.append("record-2", b'{"id": "record-2"}\n')
    await asyncio.sleep(0.05)
    assert len(synced) == 1
    await log.close()


@pytest.mark.anyio
async def test_rotated_files_are_synced_closed_and_deleted_once_settled_and_close_keeps_the_unsettled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "ROTATE_RECORDS", 3)
    log = Journal(tmp_path, commit_seconds=0.001)
    log.start()
    for number in range(10):
        log.append(f"record-{number}", f'{{"id": "record-{number}"}}\n'.encode())
        await asyncio.sleep(0.002)  # the thread closes rotated files while the loop goes on writing
    log.settle(f"record-{number}" for number in range(9))
    await log.close()
    left = log.leftovers()
    assert len(left) == 1 and left[0].read_bytes() == b'{"id": "record-9"}\n'  # only the unsettled record's file
    assert log.unsettled() == 1
