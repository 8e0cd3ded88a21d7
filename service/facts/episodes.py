"""Exposure intervals and the episodes they merge into.

An exposure is one resource's claim that a drug was taken from `start` to `end` (inclusive dates).
Exposures of one drug (or of the whole BZRA class) merge into episodes when the gap between them is
at most the tolerance: a few days without tablets do not end a period of continuous use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import msgspec


class Interval(msgspec.Struct, frozen=True, gc=False):
    """Dates only: kept in cached history summaries without adding work for the garbage collector."""

    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlap_days(self, window: Interval) -> int:
        start, end = max(self.start, window.start), min(self.end, window.end)
        return max((end - start).days + 1, 0)


def merge(intervals: Iterable[Interval], gap_days: int) -> list[Interval]:
    """Episodes: intervals joined when at most `gap_days` uncovered days lie between them."""
    episodes: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: (i.start, i.end)):
        if episodes and (interval.start - episodes[-1].end).days - 1 <= gap_days:
            last = episodes[-1]
            episodes[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            episodes.append(interval)
    return episodes


def continuous_days(episodes: list[Interval], on: date, gap_days: int) -> int:
    """Days of continuous use up to (not including) `on`, for the episode still running at `on`.

    An episode counts as running when it ends at most `gap_days` before `on`; a patient who starts
    on the order date has 0 days of prior use.
    """
    for episode in reversed(episodes):
        if episode.start >= on:
            continue
        if (on - episode.end).days - 1 <= gap_days:
            return (min(on, episode.end + timedelta(days=1)) - episode.start).days
        return 0
    return 0


def days_in_window(episodes: list[Interval], window: Interval) -> int:
    return sum(episode.overlap_days(window) for episode in episodes)
