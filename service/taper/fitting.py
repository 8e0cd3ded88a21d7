"""Fitting a planned dose to what a form can give, as a week's pattern of doses.

A step is a `Week`: `high_mg` on most days and `low_mg` on `low_days` days a week. When the form
cannot make a daily dose between the planned dose and the current one, some days take the next lower
dose it makes (lower-dose days); at the lowest dose it makes, the lower dose is 0 (planned drug-free
days). A fitted step is never larger than planned when a smaller one exists: the pattern with the
smallest average at or above the planned dose is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.taper.protocol import LowEnd
from service.taper.forms import EPS, DoseMaker

__all__ = ["Week", "fit_between", "next_below"]

DAYS = 7


@dataclass(frozen=True)
class Week:
    """`high_mg` on 7 - `low_days` days and `low_mg` on `low_days` days (0 mg: drug-free days)."""

    high_mg: float
    low_mg: float = 0.0
    low_days: int = 0

    @property
    def average(self) -> float:
        return (self.high_mg * (DAYS - self.low_days) + self.low_mg * self.low_days) / DAYS

    @property
    def free_days(self) -> int:
        return self.low_days if self.low_mg == 0 else 0


def _lower_partner(high: float, form: DoseMaker, low_end: LowEnd) -> float | None:
    """The dose for the lower days under `high`: the next dose down, or 0 at the lowest dose."""
    if not form.discrete:
        return None
    lower = form.largest_below(high)
    if lower > 0:
        return lower if low_end.mixed_days else None
    return 0.0 if low_end.drug_free_days else None


def _mixed(high: float, low: float, target: float, below: float) -> Week | None:
    """The week of `high` and `low` days with the smallest average at or above target, below `below`."""
    for low_days in range(DAYS - 1, 0, -1):
        week = Week(high, low, low_days)
        if week.average >= target - EPS and week.average < below - EPS:
            return week
    return None


def fit_between(target: float, current: Week, form: DoseMaker, low_end: LowEnd, floor: float | None = None) -> Week | None:
    """The week with the smallest average in [target, current average), or None when there is none.

    A daily dose is simpler to take than a week of two doses: when none lies in that range, a daily
    dose just below the target is taken if it is still at or above `floor` (a step the protocol
    accepts), before lower-dose or drug-free days are used.
    """
    daily = form.at_or_above(target, below=current.average)
    if daily is not None:
        return Week(daily)
    below = form.largest_below(target)
    if floor is not None and below > 0 and below >= floor - EPS:
        return Week(below)
    high = form.at_or_above(target)
    if high is None:
        return None
    low = _lower_partner(high, form, low_end)
    return _mixed(high, low, target, current.average) if low is not None else None


def next_below(current: Week, form: DoseMaker, low_end: LowEnd) -> Week | None:
    """The week with the largest average below the current one (a step larger than planned), or None."""
    candidates = []
    daily = form.largest_below(current.average)
    if daily > 0:
        candidates.append(Week(daily))
    high = form.at_or_above(current.average)
    if high is not None:
        low = _lower_partner(high, form, low_end)
        if low is not None:
            week = next((Week(high, low, k) for k in range(1, DAYS) if Week(high, low, k).average < current.average - EPS), None)
            if week is not None:
                candidates.append(week)
    return max(candidates, key=lambda week: week.average, default=None)
