"""Which daily doses can be made from one market's tablets and capsules of one drug.

A taper step is only useful if the patient can take it: whole tablets or capsules of the market's
immediate-release products, plus the equal parts (halves, quarters) of tablets whose source says they
divide into equal doses.  This
module turns those units into exact doses: doses are integers on a grid (1/10 000 mg, then divided by
the greatest common divisor of the units), an unbounded coin-change table gives the fewest units for
each dose, and beyond a bound (the square of the largest unit, above the Frobenius number of the
units) every multiple of the grid is reachable, so large doses cost no table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

from service.taper.markets import Product

__all__ = ["TabletSet", "Unit", "tablet_set"]

_SCALE = 100_000  # grid of 1/100 000 mg: strengths have at most 3 decimals, quarters at most 5


def _to_grid(mg: float) -> int:
    return round(mg * _SCALE)


@dataclass(frozen=True)
class Unit:
    """One piece a patient can take: a whole unit (`part` 1) or a part of a scored tablet."""

    strength_mg: float
    form: str
    part: Fraction

    @property
    def mg(self) -> float:
        return float(Fraction(str(self.strength_mg)) * self.part)


@dataclass
class TabletSet:
    """The achievable daily doses of one drug, with the units that make each of them."""

    drug: str
    units: tuple[Unit, ...]
    forms: dict[float, str] = field(default_factory=dict)
    _step: int = 0
    _sizes: tuple[int, ...] = ()
    _count: list[int | None] = field(default_factory=list)
    _last: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        grid = [_to_grid(u.mg) for u in self.units]
        self._step = 0
        for size in grid:
            self._step = gcd(self._step, size)
        self._sizes = tuple(size // self._step for size in grid) if self._step else ()
        self._count = [0]
        self._last = [-1]

    # ---- basic facts -------------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return not self.units

    @property
    def smallest_mg(self) -> float:
        """The smallest positive dose (the smallest unit); 0 when there are no units."""
        return min((u.mg for u in self.units), default=0.0)

    # ---- the table ---------------------------------------------------------------------

    @property
    def _bound(self) -> int:
        largest = max(self._sizes)
        return largest * largest

    def _extend(self, upto: int) -> None:
        """Fill the fewest-units table up to index `upto` (ties: fewer split pieces)."""
        for i in range(len(self._count), upto + 1):
            best: int | None = None
            best_key: tuple[int, int] | None = None
            choice = -1
            for k, size in enumerate(self._sizes):
                if size > i or self._count[i - size] is None:
                    continue
                previous = self._count[i - size]
                assert previous is not None
                key = (previous + 1, 0 if self.units[k].part == 1 else 1)
                if best_key is None or key < best_key:
                    best_key, best, choice = key, previous + 1, k
            self._count.append(best)
            self._last.append(choice)

    def _reachable(self, index: int) -> bool:
        if index < 0 or not self._sizes:
            return False
        if index == 0:
            return True
        if index > self._bound:
            return True
        self._extend(index)
        return self._count[index] is not None

    def _index(self, mg: float) -> tuple[int, bool]:
        """(grid index at or below mg, whether mg lies exactly on the grid)."""
        value = _to_grid(mg)
        return value // self._step, value % self._step == 0

    def _mg(self, index: int) -> float:
        return index * self._step / _SCALE

    # ---- questions the planner asks ----------------------------------------------------

    def achievable(self, mg: float) -> bool:
        if self.empty or mg < 0:
            return False
        index, exact = self._index(mg)
        return exact and self._reachable(index)

    def largest_below(self, mg: float) -> float:
        """The largest achievable dose strictly below `mg` (0.0 when none: the next step is stopping)."""
        if self.empty or mg <= 0:
            return 0.0
        index, exact = self._index(mg)
        if exact:
            index -= 1
        while index > 0 and not self._reachable(index):
            index -= 1
        return self._mg(max(index, 0))

    def smallest_from(self, target_mg: float, below_mg: float) -> float | None:
        """The smallest achievable dose d with target <= d < below, or None."""
        if self.empty:
            return None
        low, exact = self._index(max(target_mg, 0.0))
        if not exact:
            low += 1
        high, exact_high = self._index(below_mg)
        if exact_high:
            high -= 1
        for index in range(max(low, 1), high + 1):
            if self._reachable(index):
                return self._mg(index)
            if index > self._bound:
                break
        return None

    def at_or_above(self, mg: float) -> float:
        """The smallest achievable dose at or above `mg` (used to round a conversion up)."""
        index, exact = self._index(mg)
        if not exact:
            index += 1
        index = max(index, 1)
        while not self._reachable(index):
            index += 1
        return self._mg(index)

    def nearest(self, mg: float) -> float:
        """The achievable positive dose nearest to `mg` (ties go up)."""
        up = self.at_or_above(mg)
        down = self.largest_below(mg) if not self.achievable(mg) else mg
        if down <= 0:
            return up
        return down if (mg - down) < (up - mg) else up

    def composition(self, mg: float) -> tuple[tuple[float, float], ...]:
        """(strength mg, count a day) making `mg` with the fewest units; 0.5 = half a tablet.

        Raises ValueError when the dose cannot be made (the planner only asks for achievable doses).
        """
        if mg == 0:
            return ()
        index, exact = self._index(mg)
        if not exact or not self._reachable(index):
            raise ValueError(f"{mg} mg of {self.drug} cannot be made from the marketed strengths")
        counts: dict[float, Fraction] = {}
        largest = max(range(len(self._sizes)), key=lambda k: (self._sizes[k], self.units[k].part == 1))
        while index > self._bound:
            unit = self.units[largest]
            counts[unit.strength_mg] = counts.get(unit.strength_mg, Fraction(0)) + unit.part
            index -= self._sizes[largest]
        self._extend(index)
        while index > 0:
            k = self._last[index]
            unit = self.units[k]
            counts[unit.strength_mg] = counts.get(unit.strength_mg, Fraction(0)) + unit.part
            index -= self._sizes[k]
        return tuple((strength, float(count)) for strength, count in sorted(counts.items(), reverse=True))


def tablet_set(drug_id: str, products: Iterable[Product]) -> TabletSet:
    """The units of a drug: each product's strength, and its equal parts when the product says so.

    A tablet that divides into quarters also gives halves (two quarters); capsules and other forms with
    `equal_parts: 1` are taken whole.
    """
    units: dict[tuple[float, Fraction], Unit] = {}
    strength_forms: dict[float, str] = {}
    for product in products:
        if product.mg is None:
            continue
        strength_forms.setdefault(product.mg, product.form)
        parts = {1} | ({2, product.equal_parts} if product.equal_parts > 1 else set())
        for count in sorted(parts):
            units.setdefault((product.mg, Fraction(1, count)), Unit(product.mg, product.form, Fraction(1, count)))
    ordered = tuple(sorted(units.values(), key=lambda u: (u.mg, -u.part)))
    return TabletSet(drug=drug_id, units=ordered, forms=strength_forms)
