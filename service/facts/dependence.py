"""Is physical dependence likely? Regular use (most days of the week) for longer than about 4 weeks.

Read from the history only: the draft is what the prescriber is about to do, not what the body is
used to. The running episode (BZRA intervals joined across gaps of at most the tolerance) gives how
long; the days it actually covers give how regularly, so a 7-tablet pack every three weeks is not
daily use. The thresholds come from `use_thresholds.dependence` in the knowledge data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.facts.episodes import Interval, days_in_window, merge
from service.knowledge.models import DependenceThreshold


@dataclass(frozen=True)
class Dependence:
    likely: bool
    days_per_week: float | None
    derivation: str


def dependence(intervals: list[Interval], continuous_days: int, today: date, rule: DependenceThreshold) -> Dependence:
    """Whether `continuous_days` of use, covered as `intervals` show, make dependence likely."""
    if continuous_days <= 0:
        return Dependence(False, None, "no BZRA use running up to the order date")
    window = Interval(today - timedelta(days=continuous_days), today - timedelta(days=1))
    covered = days_in_window(merge(intervals, 0), window)
    per_week = round(covered / continuous_days * 7, 1)
    regular = per_week >= rule.min_days_per_week
    long_enough = continuous_days > rule.more_than_days
    how = (
        f"BZRA use for {continuous_days} days up to the order date, on {covered} of them "
        f"({per_week:g} days a week); dependence is likely after use on at least "
        f"{rule.min_days_per_week:g} days a week for more than {rule.more_than_days} days"
    )
    if not long_enough:
        how += ": not long enough"
    elif not regular:
        how += ": not regular enough"
    return Dependence(long_enough and regular, per_week, how)
