"""The journal's group commit: a write is fsynced within the commit interval; an idle journal sleeps."""

from __future__ import annotations

import asyncio
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
    real_sleep = asyncio.sleep

    async def counted_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(journal_module.asyncio, "sleep", counted_sleep)
    log = Journal(tmp_path, commit_seconds=0.005)
    log.start()
    await real_sleep(0.1)
    assert sleeps == [] and synced == []  # twenty commit intervals went by with nothing written
    log.append("record-1", b'{"id": "record-1"}\n')
    await real_sleep(0.05)
    assert len(synced) == 1 and len(sleeps) == 1
    await log.close()
