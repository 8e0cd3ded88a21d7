"""Taper plans for the generator's tests: a fixed start day, the shipped protocols, and a Belgian plan
unless told otherwise."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.knowledge.models import Knowledge
from service.taper.plan import TaperPlan, TaperRequest, make_plan
from service.taper.protocol import load_protocols

START = date(2026, 12, 1)
PROTOCOLS = load_protocols()


def plan_for(kn: Knowledge, drug: str, dose: float, **kw: Any) -> TaperPlan:
    kw.setdefault("market", "BE")
    return make_plan(TaperRequest(drug, dose, start=kw.pop("start", START), **kw), kn)
