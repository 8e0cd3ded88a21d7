"""The forms a plan's doses are given in, and which daily doses each can make.

`tablets`: the market's tablets and capsules (whole, or in the equal parts their source allows);
`liquid`: an oral solution or drops measured in fixed ml steps; `magistral` (Belgian capsules made at
any strength) and `strips` (Dutch daily pouches) make any dose, rounded up to a few significant digits.
The planner asks each the same questions: the smallest dose, the smallest dose at or above a target
(below the current one), the largest below a dose, and the units that make a dose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from service.taper.markets import Product
from service.taper.tablets import TabletSet, tablet_set
from service.taper.vocabulary import Form
from service.taper.wording import fmt_number

__all__ = ["ContinuousForm", "DoseMaker", "FormKind", "LiquidForm", "TabletForm", "ceil_significant"]

FormKind = Form  # the closed set is written once, in service/taper/vocabulary.py
EPS = 1e-9


def ceil_significant(mg: float, digits: int) -> float:
    """`mg` rounded up to `digits` significant digits (0.9287 -> 0.93 with 2)."""
    if mg <= 0:
        return 0.0
    scale = 10 ** (digits - 1 - math.floor(math.log10(mg)))
    return round(math.ceil(round(mg * scale, 6)) / scale, 10)


def floor_significant(mg: float, digits: int) -> float:
    if mg <= 0:
        return 0.0
    scale = 10 ** (digits - 1 - math.floor(math.log10(mg)))
    return round(math.floor(round(mg * scale, 6)) / scale, 10)


class DoseMaker:
    """What a form can give: exact doses, rounding to them, and the units that make one."""

    kind: FormKind
    drug: str
    discrete: bool = True
    unconfirmed: bool = False

    @property
    def smallest(self) -> float:
        raise NotImplementedError

    def at_or_above(self, mg: float, below: float | None = None) -> float | None:
        """The smallest dose it makes at or above `mg` (and strictly below `below`), or None."""
        raise NotImplementedError

    def largest_below(self, mg: float) -> float:
        """The largest dose it makes strictly below `mg`; 0.0 when none."""
        raise NotImplementedError

    def units(self, mg: float) -> tuple[tuple[float, float], ...]:
        """(strength: mg a unit or mg/ml, count or ml) making `mg` on one day."""
        raise NotImplementedError

    def unit_form(self, strength: float) -> str:
        """The dose-form id of a unit of that strength (tablet, capsule, oral_liquid, ...)."""
        raise NotImplementedError


@dataclass
class TabletForm(DoseMaker):
    """The market's tablets and capsules of one drug."""

    drug: str
    products: tuple[Product, ...]
    unconfirmed: bool = False
    kind: FormKind = "tablets"
    tablets: TabletSet = field(init=False)

    def __post_init__(self) -> None:
        self.tablets = tablet_set(self.drug, self.products)

    @property
    def empty(self) -> bool:
        return self.tablets.empty

    @property
    def smallest(self) -> float:
        return self.tablets.smallest_mg

    def at_or_above(self, mg: float, below: float | None = None) -> float | None:
        if self.tablets.empty:
            return None
        if below is None:
            return self.tablets.at_or_above(max(mg, EPS))
        return self.tablets.smallest_from(max(mg, EPS), below_mg=below)

    def largest_below(self, mg: float) -> float:
        return self.tablets.largest_below(mg)

    def units(self, mg: float) -> tuple[tuple[float, float], ...]:
        return self.tablets.composition(mg)

    def unit_form(self, strength: float) -> str:
        return self.tablets.forms.get(strength, "tablet")

    def product_names(self, language: str = "en") -> tuple[str, ...]:
        """'Diazepam EG 2/5/10 mg': each product once, with its strengths (decimal comma in nl and fr)."""
        strengths: dict[str, list[float]] = {}
        for product in self.products:
            strengths.setdefault(product.product, []).append(product.mg or 0.0)
        return tuple(
            f"{name} {'/'.join(dict.fromkeys(fmt_number(mg, language) for mg in mgs))} mg" for name, mgs in strengths.items()
        )


@dataclass
class LiquidForm(DoseMaker):
    """An oral solution or drops of `mg_per_ml`, measured in steps of `measure_ml`."""

    drug: str
    product: Product
    measure_ml: float
    kind: FormKind = "liquid"

    @property
    def _step(self) -> float:
        assert self.product.mg_per_ml is not None
        return self.product.mg_per_ml * self.measure_ml

    @property
    def smallest(self) -> float:
        return self._step

    def _on_grid(self, count: int) -> float:
        return round(count * self._step, 10)

    def at_or_above(self, mg: float, below: float | None = None) -> float | None:
        dose = self._on_grid(max(1, math.ceil(mg / self._step - 1e-9)))
        return dose if below is None or dose < below - EPS else None

    def largest_below(self, mg: float) -> float:
        count = math.ceil(mg / self._step - 1e-9) - 1
        return self._on_grid(count) if count >= 1 else 0.0

    def units(self, mg: float) -> tuple[tuple[float, float], ...]:
        assert self.product.mg_per_ml is not None
        return ((self.product.mg_per_ml, round(mg / self.product.mg_per_ml, 4)),)

    def unit_form(self, strength: float) -> str:
        return self.product.form


@dataclass
class ContinuousForm(DoseMaker):
    """Magistral capsules or tapering-strip pouches: any dose, rounded up to `digits` significant digits."""

    drug: str
    kind: FormKind
    digits: int
    discrete: bool = False

    @property
    def smallest(self) -> float:
        return 0.0

    def at_or_above(self, mg: float, below: float | None = None) -> float | None:
        dose = ceil_significant(mg, self.digits)
        return dose if dose > 0 and (below is None or dose < below - EPS) else None

    def largest_below(self, mg: float) -> float:
        dose = floor_significant(mg, self.digits)
        if dose >= mg - EPS:
            dose = floor_significant(mg - 10 ** (math.floor(math.log10(mg)) - self.digits + 1), self.digits)
        return max(dose, 0.0)

    def units(self, mg: float) -> tuple[tuple[float, float], ...]:
        return ((mg, 1.0),)

    def unit_form(self, strength: float) -> str:
        return "capsule" if self.kind == "magistral" else "strip_pouch"
