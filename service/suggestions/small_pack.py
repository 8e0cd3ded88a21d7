"""Small pack: an `update` of the draft order to the quantity for N days, without repeats.

Everything else in the order stays as the prescriber wrote it; the result is checked to be a valid
R4 MedicationRequest before it is offered.
"""

from __future__ import annotations

import math
from typing import Any

from fhir.resources.R4B.medicationrequest import MedicationRequest

from cds_hooks import Action, Suggestion
from service.facts.model import OrderFacts
from service.knowledge.models import Knowledge
from service.rules.cards import BuiltSuggestion
from service.suggestions.texts import text, unit_words

UCUM = "http://unitsofmeasure.org"


def small_pack_quantity(units_per_day: float, days: int) -> int:
    """Whole units for `days` days (half tablets round up to a whole tablet)."""
    return max(1, math.ceil(units_per_day * days - 1e-9))


def _pack_note(order: OrderFacts, quantity: int, knowledge: Knowledge, market: str | None, language: str) -> str | None:
    drug = knowledge.drug(order.drug) if order.drug else None
    if drug is None or not drug.pack_sizes:
        return None
    packs = sorted({p.units for p in drug.pack_sizes if market is None or p.market == market})
    fitting = [units for units in packs if units <= quantity]
    if quantity in packs:
        return text("pack_fits", language, pack=quantity)
    if fitting:
        return text("pack_fits", language, pack=max(fitting)) + " " + text("unit_dispensing", language, quantity=quantity)
    return text("unit_dispensing", language, quantity=quantity)


def small_pack_suggestion(
    order_json: dict[str, Any], order: OrderFacts, days: int, knowledge: Knowledge, market: str | None, language: str
) -> BuiltSuggestion | None:
    """None when the units a day are unknown, or the order is already as small."""
    if order.units_per_day is None or order.units_per_day <= 0 or days <= 0:
        return None
    quantity = small_pack_quantity(order.units_per_day, days)
    if order.quantity is not None and order.quantity <= quantity and order.repeats == 0:
        return None
    updated = dict(order_json)
    dispense = dict(updated.get("dispenseRequest") or {})
    old_quantity = dispense.get("quantity") or {}
    unit = old_quantity.get("unit") or "tablets"
    dispense["quantity"] = {key: value for key, value in old_quantity.items() if key in ("unit", "system", "code")} | {"value": quantity}
    dispense["quantity"].setdefault("unit", unit)
    dispense["numberOfRepeatsAllowed"] = 0
    dispense["expectedSupplyDuration"] = {"value": days, "unit": "days", "system": UCUM, "code": "d"}
    updated["dispenseRequest"] = dispense
    MedicationRequest.model_validate(updated)  # only valid R4 is offered
    words = unit_words(unit, quantity, language)
    description = text("small_pack_description", language, quantity=quantity, unit=words, days=days)
    note = _pack_note(order, quantity, knowledge, market, language)
    if note:
        description += " " + note
    return BuiltSuggestion(
        Suggestion(
            label=text("small_pack_label", language, quantity=quantity, unit=words, days=days),
            isRecommended=True,
            actions=[Action(type="update", description=description, resource=updated)],
        )
    )
