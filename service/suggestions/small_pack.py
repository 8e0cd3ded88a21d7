"""Small pack: an `update` of the draft order to the quantity for N days, without repeats.

Everything else in the order stays exactly as the EHR sent it: its JSON, not a re-serialisation of
the parsed model. Only valid R4 is offered: the rest of the order was validated as a
MedicationRequest when the draft was parsed (`parse_draft_orders`) and is unchanged, and the new
`dispenseRequest`, the one element the service writes, is validated here. No MedicationRequest-level
rule involves `dispenseRequest`, so this is the check a validation of the whole updated order would
make, at a fraction of the cost.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import orjson
from fhir.resources.R4B.medicationrequest import MedicationRequestDispenseRequest

from cds_hooks import Action, Suggestion
from service.facts.model import OrderFacts
from service.knowledge.models import Knowledge
from service.memo import Memo, json_key
from service.rules.cards import BuiltSuggestion
from service.suggestions.texts import text, unit_words

UCUM = "http://unitsofmeasure.org"
_VALID: Memo[bool] = Memo(1024)  # the dispenseRequest JSONs found valid R4 (a few hundred bytes each)


def _copy(order_json: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON value: through orjson, a tenth of `copy.deepcopy`'s time (which stays for
    what orjson cannot write, e.g. an integer beyond 64 bits read by the standard library)."""
    try:
        copied: dict[str, Any] = orjson.loads(orjson.dumps(order_json))
    except TypeError:
        return copy.deepcopy(order_json)
    return copied


def _check_dispense(dispense: dict[str, Any]) -> None:
    """Raise unless `dispense` is a valid R4 dispenseRequest; a valid one is remembered by its JSON
    (the same order, selected then signed, gets the same one). An invalid one raises every time."""
    key = json_key(dispense)
    if key is None:
        MedicationRequestDispenseRequest.model_validate(dispense)
        return
    _VALID.get(key, lambda: MedicationRequestDispenseRequest.model_validate(dispense) is not None)


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
    """None when the units a day are unknown, or the order is already as small.

    `order_json` is left untouched: the suggested resource is a deep copy, so the request's JSON and
    the response never share an object.
    """
    if order.units_per_day is None or order.units_per_day <= 0 or days <= 0:
        return None
    quantity = small_pack_quantity(order.units_per_day, days)
    if order.quantity is not None and order.quantity <= quantity and order.repeats == 0:
        return None
    updated = _copy(order_json)
    dispense = updated.get("dispenseRequest") or {}
    old_quantity = dispense.get("quantity") or {}
    unit = old_quantity.get("unit") or unit_words("tablet", quantity, language)  # the EHR's own unit, else in the card's language
    dispense["quantity"] = {key: value for key, value in old_quantity.items() if key in ("unit", "system", "code")} | {"value": quantity}
    dispense["quantity"].setdefault("unit", unit)
    dispense["numberOfRepeatsAllowed"] = 0
    dispense["expectedSupplyDuration"] = {"value": days, "unit": text("days_unit", language), "system": UCUM, "code": "d"}
    _check_dispense(dispense)  # only valid R4 is offered (see above)
    updated["dispenseRequest"] = dispense
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
