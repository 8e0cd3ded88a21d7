"""An evaluation as text or JSON, for `bzra-cds evaluate`: the cards, then every rule and why."""

from __future__ import annotations

import json
from typing import Any

from service.rules.engine import Evaluation


def _compact(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evaluation_json(evaluation: Evaluation | None, notes: list[str]) -> dict[str, Any]:
    if evaluation is None:
        return {"cards": [], "rules": [], "notes": notes}
    return {
        "cards": [card.wire() for card in evaluation.cards],
        "rules": [
            {"id": o.rule.id, "version": o.rule.rule.version, "status": o.status, "reason": o.reason, "values": o.values}
            for o in evaluation.outcomes
        ],
        "notes": notes,
    }


def evaluation_text(evaluation: Evaluation | None, notes: list[str]) -> str:
    lines: list[str] = []
    if evaluation is None:
        return "No rules were evaluated."
    lines.append(f"Cards ({len(evaluation.cards)}):")
    for card in evaluation.cards:
        lines.append(f"  [{card.indicator}] {card.summary}")
        for suggestion in card.suggestions or []:
            lines.append(f"      suggestion: {suggestion.label}")
    lines += ["", "Rules:"]
    for outcome in evaluation.outcomes:
        lines.append(f"  {outcome.status:<13} {outcome.rule.id} (v{outcome.rule.rule.version}): {outcome.reason}")
        if outcome.status in ("fired", "not fired", "not evaluated"):
            lines.append(f"      when: {' '.join(outcome.rule.rule.when.split())}")
            for name, value in outcome.values.items():
                lines.append(f"      {name} = {_compact(value)}")
    if notes:
        lines += ["", "Could not be worked out:", *[f"  - {note}" for note in notes]]
    return "\n".join(lines)
