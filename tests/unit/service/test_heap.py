"""The C heap is trimmed after a large request only, not after every call."""

from __future__ import annotations

import sys

import pytest

from service import heap
from service.heap import HeapTrim


class Trims:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, pad: int) -> int:
        self.calls.append(pad)
        return 1


def test_it_trims_after_a_large_body_only() -> None:
    trims = Trims()
    heap_trim = HeapTrim(large_body_bytes=1000, trim=trims)
    heap_trim.done(999)
    heap_trim.done(999)  # small bodies do not add up to a trim
    assert trims.calls == []
    heap_trim.done(1000)
    assert trims.calls == [0]  # pad 0: every free page goes back
    heap_trim.done(5000)
    assert trims.calls == [0, 0]


def test_without_glibc_nothing_is_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_glibc_malloc_trim", lambda: None)
    HeapTrim(large_body_bytes=1).done(10)  # no error, nothing to call


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_glibc_malloc_trim_is_found_and_runs() -> None:
    trim = heap._glibc_malloc_trim()
    assert trim is not None and trim(0) in (0, 1)
