"""When was a drug taken, according to one MedicationStatement, MedicationRequest or Dispense?

Each resource becomes at most one `Exposure`: an inclusive date interval, whether it is still
current on the order date, and a sentence saying how the dates were derived. Statuses that mean the
drug was not taken (entered-in-error, not-taken, cancelled, …) give no exposure.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import msgspec

from service.facts.dates import as_date
from service.facts.episodes import Interval
from service.facts.supply import dispense_supply, order_supply

STATEMENT_NOT_TAKEN = {"entered-in-error", "not-taken", "intended", "unknown"}
REQUEST_NOT_TAKEN = {"entered-in-error", "cancelled", "draft", "unknown"}
DISPENSE_NOT_TAKEN = {"entered-in-error", "cancelled", "declined", "stopped", "preparation", "in-progress", "on-hold"}


class Exposure(msgspec.Struct, frozen=True, gc=False):  # no cycles: left out of the GC's passes
    reference: str  # "MedicationRequest/123"
    interval: Interval | None  # None: when it was taken cannot be told
    current: bool  # still being taken on the order date
    derivation: str


def _label(resource: Any) -> str:
    return f"{resource.get_resource_type()}/{resource.id or '?'}"


def _covering(start: date, days: float | None) -> date | None:
    if days is None or days <= 0:
        return None
    return start + timedelta(days=math.ceil(days) - 1)


def statement_exposure(statement: Any, today: date) -> Exposure | None:
    if statement.status in STATEMENT_NOT_TAKEN:
        return None
    period = statement.effectivePeriod
    start = as_date(period.start) if period else as_date(statement.effectiveDateTime)
    end = as_date(period.end, end=True) if period and period.end else None
    if start is None:
        start = as_date(statement.dateAsserted)
        if start is None:
            return Exposure(_label(statement), None, statement.status == "active", "no effective date or dateAsserted")
    if end is None:
        if statement.status in ("active", "on-hold"):
            end = today
            how = f"taken since {start} (status {statement.status}, no end date)"
        else:
            end = max(start, as_date(statement.dateAsserted) or start)
            how = f"from {start} to {end} (status {statement.status}; end taken as the date asserted)"
    else:
        how = f"from {start} to {end} (effective period)"
    current = statement.status == "active" and end >= today
    return Exposure(_label(statement), Interval(start, max(start, end)), current, how)


def request_exposure(request: Any, units_per_day: float | None, today: date) -> Exposure | None:
    if request.status in REQUEST_NOT_TAKEN or request.intent in ("proposal", "plan"):
        return None
    validity = request.dispenseRequest.validityPeriod if request.dispenseRequest else None
    start = as_date(validity.start) if validity and validity.start else as_date(request.authoredOn)
    if start is None:
        return Exposure(_label(request), None, request.status == "active", "no authoredOn or validity start")
    supply = order_supply(request.dispenseRequest, units_per_day)
    end = _covering(start, supply.days)
    if end is None:
        # Supply unknown: the prescription shows use on the day it was written, no more.
        return Exposure(_label(request), Interval(start, start), request.status == "active", f"prescribed {start}; {supply.derivation}")
    if request.status in ("stopped", "completed") and validity and validity.end:
        end = min(end, as_date(validity.end, end=True) or end)
    current = request.status == "active" and end >= today
    return Exposure(_label(request), Interval(start, end), current, f"prescribed {start}; {supply.derivation}; covers to {end}")


def dispense_exposure(dispense: Any, units_per_day: float | None, today: date) -> Exposure | None:
    if dispense.status in DISPENSE_NOT_TAKEN:
        return None
    start = as_date(dispense.whenHandedOver) or as_date(dispense.whenPrepared)
    if start is None:
        return Exposure(_label(dispense), None, False, "no whenHandedOver or whenPrepared")
    supply = dispense_supply(dispense, units_per_day)
    end = _covering(start, supply.days) or start
    return Exposure(_label(dispense), Interval(start, end), end >= today, f"dispensed {start}; {supply.derivation}")
