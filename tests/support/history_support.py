"""Days around the tests' today, plan steps and the shipped thresholds, for the pure pieces behind the history facts."""

from __future__ import annotations

from datetime import date, timedelta

from service.facts.steps import Step
from service.knowledge.loader import load_knowledge
from tests.support.facts_support import TODAY

THRESHOLDS = load_knowledge().use_thresholds


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def steps(*doses: float, first: int = -28, length: int = 14) -> list[Step]:
    return [Step(i + 1, day(first + i * length), day(first + (i + 1) * length - 1), dose) for i, dose in enumerate(doses)]
