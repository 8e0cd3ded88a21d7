"""How many days an order or a dispense covers: its quantity and repeats at the prescribed dose.

Used both for the draft order ("the new order alone covers N days") and for past prescriptions and
dispenses when turning them into periods of use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.facts.timing import duration_in_days
from service.facts.units import to_float


@dataclass(frozen=True)
class Supply:
    days: float | None  # None: cannot be derived
    derivation: str


def _fmt(value: float) -> str:
    return f"{value:g}"


def order_supply(dispense_request: Any, units_per_day: float | None) -> Supply:
    """Days covered by a MedicationRequest's `dispenseRequest`, including its repeats."""
    if dispense_request is None:
        return Supply(None, "no dispenseRequest: quantity and supply unknown")
    repeats = int(to_float(getattr(dispense_request, "numberOfRepeatsAllowed", None)) or 0)
    fills = 1 + max(repeats, 0)
    fills_text = f" × {fills} fills (1 + {repeats} repeats)" if repeats else ""
    expected = duration_in_days(getattr(dispense_request, "expectedSupplyDuration", None))
    if expected is not None:
        return Supply(expected * fills, f"expected supply {_fmt(expected)} days{fills_text} = {_fmt(expected * fills)} days")
    quantity = getattr(dispense_request, "quantity", None)
    return quantity_supply(quantity, units_per_day, fills, fills_text)


def quantity_supply(quantity: Any, units_per_day: float | None, fills: int = 1, fills_text: str = "") -> Supply:
    """Days a quantity of dose units lasts at `units_per_day`."""
    amount = to_float(getattr(quantity, "value", None)) if quantity is not None else None
    if amount is None or amount < 0:
        return Supply(None, "no quantity given: supply unknown")
    if not units_per_day:
        return Supply(None, f"quantity {_fmt(amount)} given but the number of units a day is unknown")
    days = amount / units_per_day * fills
    return Supply(days, f"{_fmt(amount)} units ÷ {_fmt(units_per_day)} units/day{fills_text} = {_fmt(days)} days")


def dispense_supply(dispense: Any, units_per_day: float | None) -> Supply:
    """Days covered by a MedicationDispense: `daysSupply`, else quantity at the dose."""
    days = duration_in_days(getattr(dispense, "daysSupply", None))
    if days is not None:
        return Supply(days, f"days supply {_fmt(days)}")
    return quantity_supply(getattr(dispense, "quantity", None), units_per_day)
